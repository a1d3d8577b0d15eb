/**
 * A capture endpoint for OTLP/HTTP metric exports: a real node:http server on
 * 127.0.0.1 that keeps every request body, decoded from protobuf or JSON into
 * the OTLP/JSON shape, so tests read one shape whatever the exporter sent.
 */
import http from "node:http";
import https from "node:https";
import { gunzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";

/** The parts of an OTLP/JSON metrics request the tests read. */
export interface OtlpRequest {
  resourceMetrics: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: Array<{
      scope?: { name?: string; version?: string };
      metrics?: OtlpMetric[];
    }>;
  }>;
}

export interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

export interface OtlpMetric {
  name: string;
  unit?: string;
  description?: string;
  /** `aggregationTemporality`: 1 delta, 2 cumulative. */
  sum?: {
    dataPoints: NumberPoint[];
    isMonotonic?: boolean;
    aggregationTemporality?: number;
  };
  gauge?: { dataPoints: NumberPoint[] };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality?: number };
}

export interface NumberPoint {
  attributes?: KeyValue[];
  asDouble?: number | string;
  asInt?: number | string;
}

export interface HistogramPoint {
  attributes?: KeyValue[];
  count: number | string;
  sum?: number;
  bucketCounts: Array<number | string>;
  explicitBounds: number[];
}

/** One request as received. */
export interface Capture {
  /** The request target as sent: path and query. */
  readonly path: string;
  /** As Node gives them: names lower-cased, repeated ones joined by ", ". */
  readonly headers: http.IncomingHttpHeaders;
  readonly contentType: string;
  readonly body: OtlpRequest;
}

/** A running capture endpoint. */
export interface CaptureServer {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly captures: Capture[];
  /** Resolves once `count` requests have arrived (rejects after `timeoutMillis`). */
  waitFor(count: number, timeoutMillis?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a capture endpoint. With `respond: false` it accepts requests and
 * never answers them, as a collector that hangs would.
 */
export async function startCapture({
  respond = true,
  tls,
}: {
  respond?: boolean;
  /** PEM key and certificate: serve HTTPS, as a collector behind TLS would. */
  tls?: { key: Buffer; cert: Buffer };
} = {}): Promise<CaptureServer> {
  const captures: Capture[] = [];
  const waiters: Array<() => void> = [];
  const handler: http.RequestListener = (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      let body = Buffer.concat(chunks);
      if (request.headers["content-encoding"] === "gzip")
        body = gunzipSync(body);
      const contentType = request.headers["content-type"] ?? "";
      captures.push({
        path: request.url ?? "",
        headers: request.headers,
        contentType,
        body: decodeOtlp(body, contentType),
      });
      for (const wake of waiters.splice(0)) wake();
      if (!respond) return;
      // An empty ExportMetricsServiceResponse, in the request's encoding.
      const json = contentType.includes("json");
      response.writeHead(200, {
        "content-type": json ? "application/json" : "application/x-protobuf",
      });
      response.end(json ? "{}" : "");
    });
  };
  const server =
    tls === undefined
      ? http.createServer(handler)
      : https.createServer(tls, handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const waitFor = async (
    count: number,
    timeoutMillis = 20_000,
  ): Promise<void> => {
    const deadline = Date.now() + timeoutMillis;
    while (captures.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `waited ${timeoutMillis} ms for ${count} exports, got ${captures.length}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const scheme = tls === undefined ? "http" : "https";
  return {
    endpoint: `${scheme}://127.0.0.1:${port}`,
    captures,
    waitFor,
    close,
  };
}

/** Decodes a request body by its content type. */
export function decodeOtlp(body: Buffer, contentType: string): OtlpRequest {
  if (contentType.includes("json"))
    return JSON.parse(body.toString("utf8")) as OtlpRequest;
  if (contentType.includes("protobuf")) {
    const message = requestType().decode(body);
    return requestType().toObject(message, {
      longs: String,
      enums: Number,
      defaults: false,
      arrays: true,
    }) as OtlpRequest;
  }
  throw new Error(`unexpected content type ${JSON.stringify(contentType)}`);
}

// The parts of opentelemetry/proto/{common,resource,metrics}/v1/*.proto that
// metric exports use, with the official field numbers.
const OTLP_METRICS_PROTO = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3;
    double double_value = 4; ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics {
  Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3;
}
message ScopeMetrics {
  InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3;
}
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; }
  repeated KeyValue metadata = 12;
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum {
  repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2;
  bool is_monotonic = 3;
}
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message NumberDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5;
  repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
  uint32 flags = 10; optional double min = 11; optional double max = 12;
}
`;

let cachedType: protobuf.Type | undefined;
function requestType(): protobuf.Type {
  cachedType ??= protobuf
    .parse(OTLP_METRICS_PROTO)
    .root.lookupType("otlp.ExportMetricsServiceRequest");
  return cachedType;
}

/** Every metric of a request, with its resource attributes. */
export function metricsOf(
  request: OtlpRequest,
): Array<OtlpMetric & { resource: Record<string, unknown> }> {
  return request.resourceMetrics.flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) =>
      (sm.metrics ?? []).map((metric) => ({
        ...metric,
        resource: attributesOf(rm.resource?.attributes),
      })),
    ),
  );
}

/** Attributes as a plain object of strings, numbers and booleans. */
export function attributesOf(
  keyValues: KeyValue[] | undefined,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const { key, value } of keyValues ?? []) {
    const [kind, raw] = Object.entries(value)[0] ?? [];
    result[key] =
      kind === "intValue" || kind === "doubleValue" ? Number(raw) : raw;
  }
  return result;
}

/** The points of a metric, whatever its kind. */
export function pointsOf(
  metric: OtlpMetric,
): Array<NumberPoint | HistogramPoint> {
  return (
    metric.sum?.dataPoints ??
    metric.gauge?.dataPoints ??
    metric.histogram?.dataPoints ??
    []
  );
}

/** The value of a sum or gauge point as a number. */
export function valueOf(point: NumberPoint): number {
  return Number(point.asDouble ?? point.asInt ?? 0);
}
