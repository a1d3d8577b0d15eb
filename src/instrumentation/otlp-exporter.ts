/**
 * The OTLP/HTTP metric exporter: the SDK's exporter and serializers over a
 * transport of ours, so that every timer and socket of an export can be let
 * go when the shutdown bound is reached.
 *
 * The SDK's own transport waits between retries on referenced timers that
 * nobody can clear: with the collector refusing connections, a retry
 * scheduled up to 5 s ahead held the app open that long past the bound
 * (about 8 s instead of 5 s from SIGINT to exit). Ours keeps the
 * specification's policy (retry on a network error, 429, 502, 503 or 504 with
 * exponential backoff and jitter, `Retry-After` honoured, within the export
 * timeout) on unreferenced timers, and `abort()` settles every export at once.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp-throttling
 */
import http from "node:http";
import https from "node:https";
import { gzip } from "node:zlib";
import { diag } from "@opentelemetry/api";
import type * as OtlpHttpModule from "@opentelemetry/exporter-metrics-otlp-http";
import type {
  ExportResponse,
  IExporterTransport,
} from "@opentelemetry/otlp-exporter-base";
import type * as OtlpBaseModule from "@opentelemetry/otlp-exporter-base";
import type * as TransformerModule from "@opentelemetry/otlp-transformer";
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { METER_NAME, METER_VERSION } from "../metrics/views.js";
import { redactUrl, type OtlpConfig, type OtlpTls } from "./config.js";
import { loadPackage } from "./load.js";

/** An OTLP exporter whose exports can be abandoned. */
export interface OtlpExporter {
  readonly exporter: PushMetricExporter;
  /**
   * Fails every export in flight or waiting to retry, and any later one.
   * @returns how many exports were abandoned
   */
  abort(): number;
}

// The SDK's own exporter allows as many exports in flight.
const CONCURRENCY_LIMIT = 30;

/** An OTLP/HTTP exporter for the configured protocol. */
export function createOtlpExporter(otlp: OtlpConfig): OtlpExporter {
  const base = loadPackage<typeof OtlpBaseModule>(
    "@opentelemetry/otlp-exporter-base",
  );
  const { JsonMetricsSerializer, ProtobufMetricsSerializer, ...transformer } =
    loadPackage<typeof TransformerModule>("@opentelemetry/otlp-transformer");
  const { OTLPMetricExporterBase, AggregationTemporalityPreference } =
    loadPackage<typeof OtlpHttpModule>(
      "@opentelemetry/exporter-metrics-otlp-http",
    );

  const json = otlp.protocol === "http/json";
  const transport = new OtlpHttpTransport({
    url: otlp.url,
    headers: {
      ...otlp.headers,
      "Content-Type": json ? "application/json" : "application/x-protobuf",
      "User-Agent": `${METER_NAME}/${METER_VERSION}`,
    },
    gzip: otlp.compression === "gzip",
    tls: otlp.tls,
    newError: (message, code, data) =>
      new base.OTLPExporterError(message, code, data),
  });
  const delegate = base.createOtlpNetworkExportDelegate(
    {
      timeoutMillis: otlp.timeoutMillis,
      concurrencyLimit: CONCURRENCY_LIMIT,
      compression: otlp.compression,
    },
    json ? JsonMetricsSerializer : ProtobufMetricsSerializer,
    // The exporter's own metrics are off (no meter provider), as they are
    // in the SDK's exporter unless asked for.
    new base.ExporterMetrics({
      componentType: "otlp_http_metric_exporter",
      metricsHelper: transformer.MetricsExporterMetricsHelper,
      url: otlp.url,
      meterProvider: undefined,
      responseAttributesFromError: () => ({}),
    }),
    transport,
  );
  const temporalityPreference = {
    cumulative: AggregationTemporalityPreference.CUMULATIVE,
    delta: AggregationTemporalityPreference.DELTA,
    lowmemory: AggregationTemporalityPreference.LOWMEMORY,
  }[otlp.temporality];
  diag.debug(
    `td-monitoring: exporting ${otlp.protocol} to ${redactUrl(otlp.url)}`,
  );
  return {
    exporter: new OTLPMetricExporterBase(delegate, { temporalityPreference }),
    abort: () => transport.abort(),
  };
}

const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MILLIS = 1_000;
const MAX_BACKOFF_MILLIS = 5_000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
// A response body beyond this is not read (the SDK's transport has the same cap).
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);

interface TransportOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly gzip: boolean;
  readonly tls: OtlpTls;
  readonly newError: (message: string, code: number, data: string) => Error;
}

/**
 * POSTs serialized requests and retries them. Nothing it holds keeps the
 * process alive: sockets and backoff timers are unreferenced, since an
 * export in flight must not delay the app's exit beyond the shutdown bound,
 * which a referenced timer enforces instead (see `shutdown.ts`).
 */
export class OtlpHttpTransport implements IExporterTransport {
  private readonly request: typeof http.request;
  private readonly agent: http.Agent;
  // What `abort()` must settle: requests on the wire and retries waiting.
  private readonly pending = new Set<() => void>();
  private aborted = false;

  constructor(private readonly options: TransportOptions) {
    const secure = new URL(options.url).protocol === "https:";
    this.request = secure ? https.request : http.request;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, ...options.tls })
      : new http.Agent({ keepAlive: true });
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    let backoffMillis = INITIAL_BACKOFF_MILLIS;
    let response = await this.post(data, timeoutMillis);
    for (let retries = MAX_RETRIES; retries > 0; retries--) {
      if (response.status !== "retryable") return response;
      const jittered = backoffMillis * (1 + JITTER * (2 * Math.random() - 1));
      backoffMillis *= BACKOFF_MULTIPLIER;
      const waitMillis = Math.max(
        0,
        response.retryInMillis ?? Math.min(jittered, MAX_BACKOFF_MILLIS),
      );
      if (waitMillis > deadline - Date.now()) return response;
      if (!(await this.pause(waitMillis))) return abandoned();
      response = await this.post(data, deadline - Date.now());
    }
    return response;
  }

  shutdown(): void {
    this.agent.destroy();
  }

  abort(): number {
    this.aborted = true;
    const count = this.pending.size;
    for (const settle of [...this.pending]) settle();
    this.agent.destroy();
    return count;
  }

  /** Resolves true after `millis`, or false as soon as exports are aborted. */
  private pause(millis: number): Promise<boolean> {
    if (this.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        this.pending.delete(wake);
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.pending.delete(wake);
        resolve(true);
      }, millis).unref();
      this.pending.add(wake);
    });
  }

  private async post(
    data: Uint8Array,
    timeoutMillis: number,
  ): Promise<ExportResponse> {
    const body = this.options.gzip ? await gzipped(data) : data;
    if (this.aborted) return abandoned();
    return new Promise((resolve) => {
      let settled = false;
      const settle = (response: ExportResponse): void => {
        if (settled) return;
        settled = true;
        this.pending.delete(onAbort);
        resolve(response);
      };
      const headers = { ...this.options.headers };
      if (this.options.gzip) headers["Content-Encoding"] = "gzip";
      const request = this.request(
        this.options.url,
        { method: "POST", headers, agent: this.agent },
        (response) => this.readResponse(response, settle),
      );
      const onAbort = (): void => {
        settle(abandoned());
        request.destroy();
      };
      this.pending.add(onAbort);
      // A reused keep-alive socket comes back referenced: unref it each time.
      request.on("socket", (socket) => socket.unref());
      request.setTimeout(timeoutMillis, () => {
        request.destroy();
        settle({ status: "retryable", error: new Error("Request timed out") });
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        settle(
          RETRYABLE_NETWORK_ERRORS.has(error.code ?? "")
            ? { status: "retryable", error }
            : { status: "failure", error },
        );
      });
      request.end(body);
    });
  }

  private readResponse(
    response: http.IncomingMessage,
    settle: (response: ExportResponse) => void,
  ): void {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        settle({
          status: "failure",
          error: new Error(
            `OTLP export response body exceeded size limit of ${MAX_RESPONSE_BYTES} bytes`,
          ),
        });
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.on("error", (error) => settle({ status: "failure", error }));
    response.on("end", () => {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status <= 299) {
        settle({ status: "success", data: Buffer.concat(chunks) });
      } else if (RETRYABLE_STATUS.has(status)) {
        settle({
          status: "retryable",
          retryInMillis: retryAfterMillis(response.headers["retry-after"]),
        });
      } else {
        const text = Buffer.concat(chunks).toString();
        settle({
          status: "failure",
          error: this.options.newError(
            response.statusMessage ?? "",
            status,
            text,
          ),
        });
      }
    });
  }
}

function gzipped(data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    gzip(data, (error, zipped) => (error ? reject(error) : resolve(zipped))),
  );
}

// Carries no network error code, so it is never retried.
function abandoned(): ExportResponse {
  return {
    status: "failure",
    error: new Error("td-monitoring: export abandoned at shutdown"),
  };
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent. */
function retryAfterMillis(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number.parseInt(header, 10);
  if (Number.isInteger(seconds)) return Math.max(0, seconds * 1000);
  const date = new Date(header).getTime();
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
