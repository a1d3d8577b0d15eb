/**
 * A small client of the Prometheus HTTP API, as Prometheus, Mimir,
 * VictoriaMetrics, Thanos and Grafana Cloud serve it: instant and range
 * queries and the series endpoint, with bearer or basic auth, extra headers
 * (such as Mimir's `X-Scope-OrgID`) and a timeout per request.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/api/
 */
import pLimit, { type LimitFunction } from "p-limit";
import { StoreUnavailableError } from "../types.js";
import { QueryError } from "../../query/model.js";

/**
 * Requests one client has in flight at most. The evaluator asks about every
 * rule at once and a report about every section; hosted stores (Grafana
 * Cloud, Mimir) limit concurrent queries per tenant, and Prometheus itself
 * runs 20 at a time by default (`--query.max-concurrency`).
 */
const MAX_REQUESTS_IN_FLIGHT = 8;

/** How to reach a Prometheus-compatible API. */
export interface PrometheusClientOptions {
  /**
   * The API's base URL, without `/api/v1`, e.g. `http://127.0.0.1:9090` or
   * `https://mimir.example.com/prometheus`. User and password in the URL
   * are sent as basic auth.
   */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly bearerToken?: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Extra headers on every request, e.g. `{ "X-Scope-OrgID": "tenant-1" }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long one request may take. Default 10000. */
  readonly timeoutMillis?: number;
}

/** One series of an instant vector: its labels and value. */
export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One series of a matrix: its labels and [time in ms, value] samples. */
export interface MatrixSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

type WireSample = [number, string];
type WireResult =
  | {
      resultType: "vector";
      result: Array<{ metric: Record<string, string>; value: WireSample }>;
    }
  | {
      resultType: "matrix";
      result: Array<{ metric: Record<string, string>; values: WireSample[] }>;
    }
  | { resultType: "scalar" | "string"; result: WireSample };

interface ApiAnswer<T> {
  status: "success" | "error";
  data?: T;
  errorType?: string;
  error?: string;
}

/** A client of one Prometheus-compatible API. */
export class PrometheusClient {
  /** The URL without credentials, for messages. */
  readonly displayUrl: string;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMillis: number;
  private readonly inFlight: LimitFunction = pLimit(MAX_REQUESTS_IN_FLIGHT);

  constructor(options: PrometheusClientOptions) {
    const { timeoutMillis = 10_000 } = options;
    const url = parseBaseUrl(options.url);
    this.headers = requestHeaders(options, url);
    url.username = "";
    url.password = "";
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.displayUrl = this.baseUrl;
    if (!(Number.isFinite(timeoutMillis) && timeoutMillis > 0)) {
      throw new RangeError(
        `timeoutMillis must be a positive number of milliseconds, got ${timeoutMillis}`,
      );
    }
    this.timeoutMillis = timeoutMillis;
  }

  /** Evaluates an expression at one time; vectors and matrices (raw range selectors) come back alike. */
  async instant(expr: string, timeMillis: number): Promise<MatrixSeries[]> {
    const data = await this.post<WireResult>("/api/v1/query", {
      query: expr,
      time: new Date(timeMillis).toISOString(),
    });
    return toSeries(data, timeMillis);
  }

  /** Evaluates an expression at start, start + step, … up to end. */
  async range(
    expr: string,
    startMillis: number,
    endMillis: number,
    stepSeconds: number,
  ): Promise<MatrixSeries[]> {
    const data = await this.post<WireResult>("/api/v1/query_range", {
      query: expr,
      start: new Date(startMillis).toISOString(),
      end: new Date(endMillis).toISOString(),
      step: String(stepSeconds),
    });
    return toSeries(data, endMillis);
  }

  /** The label sets of the series a selector matches between two times. */
  async series(
    selector: string,
    startMillis: number,
    endMillis: number,
  ): Promise<Array<Record<string, string>>> {
    return this.post<Array<Record<string, string>>>("/api/v1/series", {
      "match[]": selector,
      start: new Date(startMillis).toISOString(),
      end: new Date(endMillis).toISOString(),
    });
  }

  /** Sends a request when fewer than MAX_REQUESTS_IN_FLIGHT are out; its timeout runs from then. */
  private post<T>(path: string, form: Record<string, string>): Promise<T> {
    return this.inFlight(() => this.send<T>(path, form));
  }

  private async send<T>(
    path: string,
    form: Record<string, string>,
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          ...this.headers,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(form),
        signal: AbortSignal.timeout(this.timeoutMillis),
      });
    } catch (error) {
      throw this.unreachable(path, error);
    }
    return this.answer<T>(path, response);
  }

  private async answer<T>(path: string, response: Response): Promise<T> {
    const text = await response.text().catch(() => "");
    let body: ApiAnswer<T> | undefined;
    try {
      body = JSON.parse(text) as ApiAnswer<T>;
    } catch {
      body = undefined;
    }
    if (response.ok && body?.status === "success" && body.data !== undefined) {
      return body.data;
    }

    const where = `${this.displayUrl}${path}`;
    const reason = body?.error ?? (text.slice(0, 200) || response.statusText);
    // 400 and 422 are the expression's fault; anything else is the store's.
    if (response.status === 400 || response.status === 422) {
      throw new QueryError(`${where} refused the query: ${reason}`);
    }
    const hint =
      response.status === 401 || response.status === 403
        ? "; check the bearer token or basic auth credentials"
        : "";
    throw new StoreUnavailableError(
      `${where} answered ${response.status} ${response.statusText}: ${reason}${hint}`,
      this.displayUrl,
    );
  }

  private unreachable(path: string, error: unknown): StoreUnavailableError {
    const where = `${this.displayUrl}${path}`;
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    const cause = timedOut
      ? `no answer within ${this.timeoutMillis} ms`
      : describeNetworkError(error);
    return new StoreUnavailableError(
      `cannot reach ${where}: ${cause}`,
      this.displayUrl,
      {
        cause: error,
      },
    );
  }
}

function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new RangeError(
      `"${redact(text)}" is not a URL; expected e.g. http://127.0.0.1:9090`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RangeError(
      `${url.protocol} URLs are not supported for a Prometheus store; use http or https`,
    );
  }
  return url;
}

function requestHeaders(
  options: PrometheusClientOptions,
  url: URL,
): Record<string, string> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const basic =
    options.basicAuth ??
    (url.username === ""
      ? undefined
      : {
          username: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
        });
  if (basic !== undefined) {
    const token = Buffer.from(`${basic.username}:${basic.password}`).toString(
      "base64",
    );
    headers.Authorization = `Basic ${token}`;
  }
  if (options.bearerToken !== undefined) {
    headers.Authorization = `Bearer ${options.bearerToken}`;
  }
  return { ...headers, ...options.headers };
}

/** A URL as text with any password replaced, for messages. */
export function redact(text: string): string {
  return text.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@");
}

function describeNetworkError(error: unknown): string {
  // fetch wraps the socket's error ("fetch failed"); its cause says what happened.
  const cause = (error as { cause?: { code?: string; message?: string } })
    .cause;
  if (cause?.code !== undefined) {
    return cause.message ? `${cause.code} (${cause.message})` : cause.code;
  }
  if (cause?.message !== undefined) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function toSeries(data: WireResult, timeMillis: number): MatrixSeries[] {
  if (data.resultType === "vector") {
    return data.result.map(({ metric, value }) => ({
      labels: metric,
      points: [[Math.round(value[0] * 1000), parseSampleValue(value[1])]],
    }));
  }
  if (data.resultType === "matrix") {
    return data.result.map(({ metric, values }) => ({
      labels: metric,
      points: values.map(([t, v]) => [
        Math.round(t * 1000),
        parseSampleValue(v),
      ]),
    }));
  }
  return [
    { labels: {}, points: [[timeMillis, parseSampleValue(data.result[1])]] },
  ];
}

/** A sample value as the API writes it: a decimal, `NaN`, `+Inf` or `-Inf`. */
export function parseSampleValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}
