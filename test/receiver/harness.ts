/**
 * A real receiver on a free port over a real embedded database in a
 * temporary directory, and OTLP payload builders in OTLP/JSON form.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import type {
  IngestPoint,
  NumberSample,
  SeriesKey,
  SeriesSamples,
} from "../../src/store/embedded/samples.js";
import { otlpTypes } from "../../src/receiver/protobuf.js";
import {
  OtlpReceiver,
  type ReceiverOptions,
} from "../../src/receiver/server.js";

export type Encoding = "json" | "protobuf";

export interface Harness {
  readonly url: string;
  readonly db: EmbeddedDatabase;
  readonly dataDir: string;
  readonly receiver: OtlpReceiver;
  stop(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 with a fresh store. */
export async function startHarness(
  options: ReceiverOptions = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "td-receiver-"));
  const db = EmbeddedDatabase.open(dataDir);
  const receiver = new OtlpReceiver(db, { port: 0, ...options });
  const { url } = await receiver.listen();
  return {
    url,
    db,
    dataDir,
    receiver,
    async stop() {
      await receiver.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface PostOptions {
  readonly encoding?: Encoding;
  readonly gzip?: boolean;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly path?: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The body decoded: JSON, or an ExportMetricsServiceResponse / Status from protobuf. */
  readonly body: Record<string, unknown>;
}

/** Encodes an OTLP/JSON-form request as the wire format asks. */
export function encode(payload: unknown, encoding: Encoding): Uint8Array {
  if (encoding === "json") return Buffer.from(JSON.stringify(payload));
  const { exportRequest } = otlpTypes();
  return exportRequest
    .encode(exportRequest.fromObject(payload as Record<string, unknown>))
    .finish();
}

/** POSTs a body (an object is encoded first) and decodes the answer. */
export async function post(
  url: string,
  payload: unknown,
  options: PostOptions = {},
): Promise<Answer> {
  const { encoding = "json", gzip = false } = options;
  const raw =
    payload instanceof Uint8Array ? payload : encode(payload, encoding);
  const body = gzip ? gzipSync(raw) : raw;
  const target = options.path ? new URL(options.path, url).href : url;
  const response = await fetch(target, {
    method: "POST",
    body,
    headers: {
      "Content-Type": options.contentType ?? contentTypeOf(encoding),
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
      ...options.headers,
    },
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    body: decodeAnswer(bytes, response),
  };
}

function contentTypeOf(encoding: Encoding): string {
  return encoding === "json" ? "application/json" : "application/x-protobuf";
}

function decodeAnswer(
  bytes: Uint8Array,
  response: Response,
): Record<string, unknown> {
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("application/json")) {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<
      string,
      unknown
    >;
  }
  const { exportResponse, status } = otlpTypes();
  const message = response.ok ? exportResponse : status;
  return message.toObject(message.decode(bytes), { longs: String }) as Record<
    string,
    unknown
  >;
}

/** Every stored series of a metric, all time. */
export function readAll(db: EmbeddedDatabase, metric: string): SeriesSamples[] {
  return db.readSeries({
    metric,
    filters: [],
    startMillis: 0,
    endMillis: Infinity,
  });
}

/** The values of a number series' samples, oldest first. */
export function values(series: SeriesSamples | undefined): number[] {
  return (series?.samples ?? []).map((s) => (s as NumberSample).value);
}

/** Total samples of every metric in the store. */
export function sampleCount(db: EmbeddedDatabase): number {
  return db
    .metricNames()
    .flatMap((metric) => readAll(db, metric))
    .reduce((total, series) => total + series.samples.length, 0);
}

export const T = 1_700_000_000_000_000_000n;
export const SECOND = 1_000_000_000n;

/** A time T + seconds, as an OTLP/JSON string. */
export function at(seconds: number): string {
  return String(T + BigInt(seconds) * SECOND);
}

/** Attributes in OTLP/JSON form. */
export function attributes(map: Record<string, string>) {
  return Object.entries(map).map(([key, value]) => ({
    key,
    value: { stringValue: value },
  }));
}

/** A request with one resource and one scope holding these metrics. */
export function request(
  metrics: unknown[],
  resource: Record<string, string> = { "service.name": "svc" },
) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: attributes(resource) },
        scopeMetrics: [{ scope: { name: "test" }, metrics }],
      },
    ],
  };
}

const TEMPORALITY_CODES = { delta: 1, cumulative: 2 } as const;

/**
 * The OTLP/JSON request a sender would have made of points written straight
 * into the store: one metric per series kind and temporality, each series'
 * labels as point attributes under a resource without attributes, so the
 * receiver stores the same series.
 */
export function requestOf(points: readonly IngestPoint[]) {
  const metrics = new Map<string, { key: SeriesKey; dataPoints: unknown[] }>();
  for (const point of points) {
    const { metric, kind, temporality } = point.series;
    const id = JSON.stringify([metric, kind, temporality]);
    const entry = metrics.get(id) ?? { key: point.series, dataPoints: [] };
    metrics.set(id, entry);
    entry.dataPoints.push(dataPointOf(point));
  }
  return request(
    [...metrics.values()].map(({ key, dataPoints }) =>
      metricOf(key, dataPoints),
    ),
    {},
  );
}

function dataPointOf(point: IngestPoint) {
  const common = {
    attributes: attributes(point.series.labels),
    startTimeUnixNano: String(point.startTimeNanos),
    timeUnixNano: String(point.timeNanos),
  };
  if (point.type === "number") {
    return typeof point.value === "bigint"
      ? { ...common, asInt: String(point.value) }
      : { ...common, asDouble: point.value };
  }
  return {
    ...common,
    count: String(point.count),
    sum: point.sum,
    bucketCounts: point.bucketCounts.map(String),
    explicitBounds: point.bounds,
  };
}

function metricOf(key: SeriesKey, dataPoints: unknown[]) {
  const { metric: name, unit, kind, temporality, monotonic } = key;
  if (kind === "gauge") return { name, unit, gauge: { dataPoints } };
  if (temporality === "unspecified") {
    throw new Error(`a ${kind} of ${name} needs a temporality`);
  }
  const aggregationTemporality = TEMPORALITY_CODES[temporality];
  if (kind === "sum") {
    return {
      name,
      unit,
      sum: { aggregationTemporality, isMonotonic: monotonic, dataPoints },
    };
  }
  if (kind === "histogram") {
    return { name, unit, histogram: { aggregationTemporality, dataPoints } };
  }
  throw new Error(`requestOf does not write ${kind} points`);
}
