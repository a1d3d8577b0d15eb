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
 * At exit, `beginFinalFlush()` gives up retrying a collector that cannot be
 * reached (connection refused, no such host or route): that will not heal
 * within the seconds left, and backing off only held the app until the
 * shutdown bound. A failed export says why, once in a while, naming the
 * endpoint: the SDK's own line only says that the export timed out.
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
import { REPEAT_QUIET_MILLIS } from "./logger.js";

/** An OTLP exporter whose exports can be abandoned. */
export interface OtlpExporter {
  readonly exporter: PushMetricExporter;
  /**
   * Fails every export in flight or waiting to retry, and any later one.
   * @returns how many exports were abandoned
   */
  abort(): number;
  /**
   * For the export at exit: a collector that cannot be reached is not
   * retried any more, and retries waiting for their backoff are made now.
   */
  beginFinalFlush(): void;
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
    beginFinalFlush: () => transport.beginFinalFlush(),
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
// Errors that a retry within the seconds left at exit will not cure.
const UNREACHABLE_ERRORS = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);
// Distinct failure lines remembered at most; beyond, the memory starts afresh.
const MAX_REMEMBERED_FAILURES = 50;

interface TransportOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly gzip: boolean;
  readonly tls: OtlpTls;
  readonly newError: (message: string, code: number, data: string) => Error;
  /** The clock of the failure warnings' quiet time (replaceable for tests). */
  readonly now?: () => number;
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
  // Retries waiting for their backoff, to be made at once at exit.
  private readonly waiting = new Set<() => void>();
  private aborted = false;
  private final = false;
  // When each failure line was last logged.
  private readonly warned = new Map<string, number>();

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
      if (this.final && unreachable(response)) return response;
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

  beginFinalFlush(): void {
    this.final = true;
    for (const wake of [...this.waiting]) wake();
  }

  abort(): number {
    this.aborted = true;
    const count = this.pending.size;
    for (const settle of [...this.pending]) settle();
    this.agent.destroy();
    return count;
  }

  /**
   * Resolves true after `millis` (at once when the final flush begins), or
   * false as soon as exports are aborted.
   */
  private pause(millis: number): Promise<boolean> {
    if (this.aborted) return Promise.resolve(false);
    if (this.final) return Promise.resolve(true);
    return new Promise((resolve) => {
      const end = (retry: boolean): void => {
        this.pending.delete(cancel);
        this.waiting.delete(hurry);
        clearTimeout(timer);
        resolve(retry);
      };
      const cancel = (): void => end(false);
      const hurry = (): void => end(true);
      const timer = setTimeout(hurry, millis).unref();
      this.pending.add(cancel);
      this.waiting.add(hurry);
    });
  }

  /**
   * One warning naming the endpoint and the cause, at most once per
   * REPEAT_QUIET_MILLIS for the same cause: a collector that stays down
   * costs a line now and then, not one per export.
   */
  private warnFailure(response: ExportResponse, timeoutMillis: number): void {
    if (response.status === "success" || this.aborted) return;
    const cause = failureCause(response, timeoutMillis);
    const message = this.final
      ? `td-monitoring: the last metrics export at exit to ` +
        `${redactUrl(this.options.url)} failed: ${cause}; its metrics are lost`
      : `td-monitoring: metrics export to ${redactUrl(this.options.url)} ` +
        `failed: ${cause}${unreachable(response) ? "; is the collector running?" : ""}`;
    const now = (this.options.now ?? Date.now)();
    const last = this.warned.get(message);
    if (last !== undefined && now - last < REPEAT_QUIET_MILLIS) return;
    if (this.warned.size >= MAX_REMEMBERED_FAILURES) this.warned.clear();
    this.warned.set(message, now);
    diag.warn(message);
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
        this.warnFailure(response, timeoutMillis);
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
        settle({
          status: "retryable",
          error: Object.assign(new Error("Request timed out"), {
            code: "ETIMEDOUT",
          }),
        });
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
          error: this.options.newError(
            response.statusMessage ?? "",
            status,
            "",
          ),
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

function errorCode(response: ExportResponse): string | undefined {
  if (response.status === "success") return undefined;
  const error = response.error as NodeJS.ErrnoException | undefined;
  return typeof error?.code === "string" ? error.code : undefined;
}

function unreachable(response: ExportResponse): boolean {
  return UNREACHABLE_ERRORS.has(errorCode(response) ?? "");
}

/** Why an export failed, in words: refused, timed out, an HTTP status. */
function failureCause(response: ExportResponse, timeoutMillis: number): string {
  const code = errorCode(response);
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED)";
  if (code === "ETIMEDOUT") {
    return `no response within ${Math.round(timeoutMillis)} ms (timed out)`;
  }
  if (response.status === "success") return "no error";
  const error = response.error as
    { code?: unknown; message?: string } | undefined;
  if (typeof error?.code === "number") {
    return `HTTP ${error.code}${error.message ? ` ${error.message}` : ""}`;
  }
  return error?.message || "unknown error";
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
