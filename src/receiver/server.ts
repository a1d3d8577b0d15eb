/**
 * The OTLP/HTTP metrics receiver: `POST /v1/metrics` in protobuf or JSON,
 * gzip or not, answered as the OTLP/HTTP specification says.
 *
 * - 200 with `partial_success` counting the points it refused, and why;
 * - 400 for a body that does not decode, naming the bad field;
 * - 413 for a body over the size limit, before or after gunzip;
 * - 415 for a content type or encoding other than OTLP's;
 * - 503 with `Retry-After` when too many requests are in flight or the
 *   store is busy, so exporters back off and retry.
 *
 * `/v1/traces` and `/v1/logs` are answered 200 with an empty response and
 * otherwise ignored, so an app exporting every signal to this endpoint gets
 * no error for the signals it does not keep.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { diag } from "@opentelemetry/api";
import type { IngestPoint } from "../store/embedded/samples.js";
import { decodeExportRequest, type OtlpEncoding } from "./decode.js";
import { toIngestPoints, type Conversion } from "./points.js";
import { otlpTypes } from "./protobuf.js";
import { OtlpDecodeError } from "./request.js";
import { ReceiverStats } from "./stats.js";

/** Where received points go; EmbeddedDatabase is one. */
export interface PointSink {
  /** Stores the points of one request, all or none; throws when it cannot. */
  ingest(points: readonly IngestPoint[]): unknown;
}

/** Receiver options; every one has a default. */
export interface ReceiverOptions {
  /** Interface to listen on. Default `127.0.0.1`: nothing beyond this host. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 4318, OTLP/HTTP's. */
  readonly port?: number;
  /** Largest body accepted, compressed and after gunzip. Default 16 MiB. */
  readonly maxRequestBytes?: number;
  /** Metric requests handled at once; more get 503. Default 16. */
  readonly maxInFlightRequests?: number;
  /** The `Retry-After` of a 503. Default 5. */
  readonly retryAfterSeconds?: number;
  /** How often a summary line is logged (when anything arrived). Default 60 s. */
  readonly logIntervalMillis?: number;
  /** A request must arrive whole within this time. Default 30 s. */
  readonly requestTimeoutMillis?: number;
}

/** Where the receiver listens. */
export interface ReceiverAddress {
  readonly host: string;
  readonly port: number;
  /** The metrics endpoint, e.g. `http://127.0.0.1:4318/v1/metrics`. */
  readonly url: string;
}

const MIB = 1024 * 1024;
const METRICS_PATH = "/v1/metrics";
const IGNORED_PATHS = new Set(["/v1/traces", "/v1/logs"]);
const MEDIA_TYPES: Record<string, OtlpEncoding> = {
  "application/x-protobuf": "protobuf",
  "application/protobuf": "protobuf",
  "application/json": "json",
};
const CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: "application/x-protobuf",
  json: "application/json",
};
// google.rpc.Code values for the Status body of error responses.
const GRPC_CODES: Record<number, number> = {
  400: 3,
  404: 5,
  405: 12,
  413: 8,
  415: 3,
  500: 13,
  503: 14,
};
const MAX_REASONS_IN_RESPONSE = 5;

const gunzip = promisify(zlib.gunzip);

/** A request answered with an error status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** An OTLP/HTTP metrics endpoint feeding a PointSink. */
export class OtlpReceiver {
  private readonly server: http.Server;
  private readonly options: Required<ReceiverOptions>;
  private readonly stats: ReceiverStats;
  private inFlight = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly sink: PointSink,
    options: ReceiverOptions = {},
  ) {
    this.options = withDefaults(options);
    this.stats = new ReceiverStats(this.options.logIntervalMillis);
    this.server = http.createServer(
      { requestTimeout: this.options.requestTimeoutMillis },
      (request, response) => void this.handle(request, response),
    );
  }

  /** Starts listening; rejects with the system error (e.g. EADDRINUSE). */
  async listen(): Promise<ReceiverAddress> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.stats.start();

    const address = this.server.address() as AddressInfo;
    const shown =
      address.family === "IPv6" ? `[${address.address}]` : address.address;
    const url = `http://${shown}:${address.port}${METRICS_PATH}`;
    return { host: address.address, port: address.port, url };
  }

  /**
   * Stops accepting requests, lets those in flight finish, and logs the last
   * summary line. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    }).finally(() => this.stats.stop());
    return this.closing;
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const path = pathOf(request);
    let encoding: OtlpEncoding = "json";
    try {
      checkMethod(request, path);
      if (IGNORED_PATHS.has(path)) return this.ignore(request, response);

      encoding = encodingOf(request);
      const started = performance.now();
      const conversion = await this.admit(() =>
        this.receive(request, encoding),
      );
      this.succeed(response, encoding, conversion);
      this.stats.recordStored(conversion);
      this.logRequest(request, 200, conversion, started);
    } catch (error) {
      this.fail(request, response, encoding, error);
    }
  }

  /** Runs work as one of the in-flight requests, or answers 503 at the limit. */
  private async admit<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.options.maxInFlightRequests) {
      throw this.busy(
        `too many requests in flight (${this.inFlight}); retry later`,
      );
    }
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
    }
  }

  private async receive(
    request: http.IncomingMessage,
    encoding: OtlpEncoding,
  ): Promise<Conversion> {
    const compressed = isGzip(request);
    const body = await readBody(request, this.options.maxRequestBytes);
    this.stats.recordBytes(body.length);
    const raw = compressed
      ? await gunzipLimited(body, this.options.maxRequestBytes)
      : body;

    const conversion = toIngestPoints(decodeExportRequest(raw, encoding));
    this.store(conversion.points);
    return conversion;
  }

  private store(points: IngestPoint[]): void {
    try {
      this.sink.ingest(points);
    } catch (error) {
      // The store is busy or failing (locked, disk full): nothing of this
      // request was kept, and the exporter will send it again.
      diag.error(`collector: cannot store points: ${(error as Error).message}`);
      throw this.busy(
        `cannot store the points now (${(error as Error).message}); retry later`,
      );
    }
  }

  private busy(message: string): HttpError {
    return new HttpError(503, message, {
      "Retry-After": String(this.options.retryAfterSeconds),
    });
  }

  /** Traces and logs: drained and acknowledged, never stored or complained about. */
  private ignore(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): void {
    const encoding = MEDIA_TYPES[mediaType(request)] ?? "json";
    request.resume();
    request.once("end", () => {
      const body = encoding === "json" ? "{}" : new Uint8Array(0);
      send(response, 200, CONTENT_TYPES[encoding], body);
      this.stats.recordIgnored();
    });
  }

  private succeed(
    response: http.ServerResponse,
    encoding: OtlpEncoding,
    conversion: Conversion,
  ): void {
    const message =
      conversion.rejected === 0
        ? {}
        : {
            partialSuccess: {
              rejectedDataPoints: String(conversion.rejected),
              errorMessage: summarizeReasons(conversion.reasons),
            },
          };
    const { exportResponse } = otlpTypes();
    const body =
      encoding === "json"
        ? JSON.stringify(message)
        : exportResponse.encode(exportResponse.fromObject(message)).finish();
    send(response, 200, CONTENT_TYPES[encoding], body);
  }

  private fail(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    encoding: OtlpEncoding,
    error: unknown,
  ): void {
    const failure = asHttpError(error);
    this.stats.recordRefused(failure.status, failure.message);
    diag.debug(
      `collector: ${request.method} ${pathOf(request)} ${failure.status}: ${failure.message}`,
    );
    if (response.headersSent || response.destroyed) return;

    const status = {
      code: GRPC_CODES[failure.status] ?? 2,
      message: failure.message,
    };
    const { status: statusType } = otlpTypes();
    const body =
      encoding === "json"
        ? JSON.stringify(status)
        : statusType.encode(statusType.fromObject(status)).finish();
    // The rest of an unread body is not worth reading: close after answering.
    if (!request.complete) response.setHeader("Connection", "close");
    for (const [name, value] of Object.entries(failure.headers)) {
      response.setHeader(name, value);
    }
    send(response, failure.status, CONTENT_TYPES[encoding], body);
  }

  private logRequest(
    request: http.IncomingMessage,
    status: number,
    conversion: Conversion,
    startedMillis: number,
  ): void {
    const millis = (performance.now() - startedMillis).toFixed(1);
    diag.debug(
      `collector: ${request.method} ${pathOf(request)} ${status} (${request.headers["content-type"]}, ${request.headers["content-encoding"] ?? "identity"}): ${conversion.points.length} points stored, ${conversion.rejected} rejected, ${conversion.noValue} without value, ${millis} ms`,
    );
    for (const reason of conversion.reasons) {
      diag.debug(`collector: rejected ${reason}`);
    }
  }
}

function withDefaults(options: ReceiverOptions): Required<ReceiverOptions> {
  const {
    host = "127.0.0.1",
    port = 4318,
    maxRequestBytes = 16 * MIB,
    maxInFlightRequests = 16,
    retryAfterSeconds = 5,
    logIntervalMillis = 60_000,
    requestTimeoutMillis = 30_000,
  } = options;
  const positive = {
    maxRequestBytes,
    maxInFlightRequests,
    retryAfterSeconds,
    logIntervalMillis,
    requestTimeoutMillis,
  };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(
        `receiver option ${name} = ${value}: expected a positive integer`,
      );
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`receiver option port = ${port}: expected 0 to 65535`);
  }
  return { host, port, ...positive };
}

function checkMethod(request: http.IncomingMessage, path: string): void {
  if (path !== METRICS_PATH && !IGNORED_PATHS.has(path)) {
    throw new HttpError(
      404,
      `no OTLP endpoint at ${path}; send metrics to ${METRICS_PATH}`,
    );
  }
  if (request.method !== "POST") {
    throw new HttpError(405, `${path} accepts only POST`, { Allow: "POST" });
  }
}

/** The path alone: a query string may carry a secret and never reaches a log. */
function pathOf(request: http.IncomingMessage): string {
  return (request.url ?? "/").split("?")[0]!;
}

function mediaType(request: http.IncomingMessage): string {
  const header = request.headers["content-type"] ?? "";
  return header.split(";")[0]!.trim().toLowerCase();
}

function encodingOf(request: http.IncomingMessage): OtlpEncoding {
  const type = mediaType(request);
  const encoding = MEDIA_TYPES[type];
  if (encoding) return encoding;
  throw new HttpError(
    415,
    `content type ${JSON.stringify(type)} is not OTLP; send application/x-protobuf or application/json`,
  );
}

function isGzip(request: http.IncomingMessage): boolean {
  const coding = (request.headers["content-encoding"] ?? "identity")
    .trim()
    .toLowerCase();
  if (coding === "gzip" || coding === "x-gzip") return true;
  if (coding === "identity" || coding === "") return false;
  throw new HttpError(
    415,
    `content encoding ${JSON.stringify(coding)} is not supported; send gzip or none`,
  );
}

/** The body, or a 413 as soon as it passes the limit (no more is buffered). */
function readBody(
  request: http.IncomingMessage,
  maxBytes: number,
): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes, ""));

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      request.off("data", onData);
      request.resume();
      reject(tooLarge(maxBytes, ""));
    };
    request.on("data", onData);
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
  });
}

/** Gunzips with an output limit, so a small bomb cannot fill memory. */
async function gunzipLimited(body: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzip(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw tooLarge(maxBytes, " after decompression");
    }
    throw new HttpError(
      400,
      `request body is not valid gzip data: ${(error as Error).message}`,
    );
  }
}

function tooLarge(maxBytes: number, when: string): HttpError {
  return new HttpError(
    413,
    `request body is larger than ${maxBytes} bytes${when}; export smaller batches`,
  );
}

function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof OtlpDecodeError)
    return new HttpError(400, error.message);
  diag.error(`collector: BUG: unexpected failure: ${String(error)}`);
  return new HttpError(500, `internal error: ${(error as Error).message}`);
}

function summarizeReasons(reasons: readonly string[]): string {
  const shown = reasons.slice(0, MAX_REASONS_IN_RESPONSE).join("; ");
  const more = reasons.length - MAX_REASONS_IN_RESPONSE;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

function send(
  response: http.ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
): void {
  response.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}
