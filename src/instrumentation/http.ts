/**
 * HTTP server latency from Node's own diagnostics channels: no patching, so
 * it works the same whether the app is loaded by `--require` or `--import`,
 * and whichever framework sits on top of `node:http`.
 *
 * The route comes from Express (`req.baseUrl` + `req.route.path`) and from
 * Fastify (its `fastify.request.handler` tracing channel). Without one, no
 * route is recorded: a raw path would make one series per URL.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-metrics/#http-server
 */
import dc from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Attributes, Meter, ObservableResult } from "@opentelemetry/api";
import { instrumentOptions, requireMetric } from "./instruments.js";

const REQUEST_START = "http.server.request.start";
const RESPONSE_FINISH = "http.server.response.finish";
const FASTIFY_HANDLER_START = "tracing:fastify.request.handler:start";

// The methods the conventions name; any other is recorded as `_OTHER`.
const KNOWN_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
  "QUERY",
]);

interface ServerMessage {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly socket: Socket;
  readonly server: object;
}

interface InFlight {
  readonly startMillis: number;
  // Shared by every request of the same method and scheme: never mutated.
  readonly attributes: Attributes;
  done: boolean;
}

// An attribute object per (method, scheme), made once: the active-requests
// counts are keyed by them, and the duration's base takes them as they are. At most ten
// methods (with `_OTHER`) times two schemes.
const BASE_ATTRIBUTES = new Map<string, Attributes>();

function baseAttributes(method: string, scheme: string): Attributes {
  const key = scheme === "https" ? method + " s" : method;
  let attributes = BASE_ATTRIBUTES.get(key);
  if (attributes === undefined) {
    attributes = Object.freeze({
      "http.request.method": method,
      "url.scheme": scheme,
    });
    BASE_ATTRIBUTES.set(key, attributes);
  }
  return attributes;
}

const ABORTED: Attributes = Object.freeze({ "error.type": "aborted" });

/** Options of {@link startHttpMetrics}. */
export interface HttpMetricsOptions {
  /** Servers whose requests are not measured (our own Prometheus endpoint). */
  readonly ignoredServers?: WeakSet<object>;
}

/** Subscribes to the HTTP server channels; returns what unsubscribes. */
export function startHttpMetrics(
  meter: Meter,
  { ignoredServers = new WeakSet() }: HttpMetricsOptions = {},
): () => void {
  const duration = meter.createHistogram(
    "http.server.request.duration",
    instrumentOptions(requireMetric("http.server.request.duration")),
  );
  // Requests in flight are counted in plain numbers and reported at each
  // collection: an up-down counter's add() hashes its attributes to find the
  // series, twice per request; the export is the same non-monotonic sum.
  const activeCounts = new Map<Attributes, number>();
  const active = meter.createObservableUpDownCounter(
    "http.server.active_requests",
    instrumentOptions(requireMetric("http.server.active_requests")),
  );
  const observeActive = (result: ObservableResult): void => {
    for (const [attributes, count] of activeCounts) {
      result.observe(count, attributes);
    }
  };
  active.addCallback(observeActive);
  const inFlight = new WeakMap<ServerResponse, InFlight>();
  const fastifyRoutes = new WeakMap<IncomingMessage, string>();

  const end = (state: InFlight, attributes: Attributes): void => {
    if (state.done) return;
    state.done = true;
    activeCounts.set(
      state.attributes,
      (activeCounts.get(state.attributes) ?? 0) - 1,
    );
    const seconds = (performance.now() - state.startMillis) / 1000;
    duration.record(seconds, attributes);
  };

  const onStart = (message: unknown): void => {
    const { request, response, socket, server } = message as ServerMessage;
    if (ignoredServers.has(server)) return;
    const state: InFlight = {
      startMillis: performance.now(),
      attributes: baseAttributes(
        normalizeMethod(request.method),
        isEncrypted(socket) ? "https" : "http",
      ),
      done: false,
    };
    inFlight.set(response, state);
    activeCounts.set(
      state.attributes,
      (activeCounts.get(state.attributes) ?? 0) + 1,
    );
    // A client that hangs up early gets no `finish`; end the request anyway
    // so the active count comes back down. One listener shared by every
    // response: no closure per request.
    response.on("close", onClose);
  };

  function onClose(this: ServerResponse): void {
    const state = inFlight.get(this);
    if (state === undefined || state.done) return;
    end(state, { ...state.attributes, ...ABORTED });
  }

  const onFinish = (message: unknown): void => {
    const { request, response } = message as ServerMessage;
    const state = inFlight.get(response);
    if (state === undefined || state.done) return;
    end(
      state,
      responseAttributes(state.attributes, request, response, fastifyRoutes),
    );
  };

  const onFastifyHandler = (message: unknown): void => {
    const { request, route } = message as {
      request?: { raw?: IncomingMessage };
      route?: { url?: unknown };
    };
    if (request?.raw !== undefined && typeof route?.url === "string") {
      fastifyRoutes.set(request.raw, route.url);
    }
  };

  dc.subscribe(REQUEST_START, onStart);
  dc.subscribe(RESPONSE_FINISH, onFinish);
  dc.subscribe(FASTIFY_HANDLER_START, onFastifyHandler);
  return () => {
    active.removeCallback(observeActive);
    dc.unsubscribe(REQUEST_START, onStart);
    dc.unsubscribe(RESPONSE_FINISH, onFinish);
    dc.unsubscribe(FASTIFY_HANDLER_START, onFastifyHandler);
  };
}

function responseAttributes(
  base: Attributes,
  request: IncomingMessage,
  response: ServerResponse,
  fastifyRoutes: WeakMap<IncomingMessage, string>,
): Attributes {
  const status = response.statusCode;
  const attributes: Attributes = {
    "http.request.method": base["http.request.method"],
    "url.scheme": base["url.scheme"],
    "http.response.status_code": status,
  };
  const route = fastifyRoutes.get(request) ?? expressRoute(request);
  if (route !== undefined) attributes["http.route"] = route;
  // The conventions count a 5xx as a server error, named by its status.
  if (status >= 500) attributes["error.type"] = String(status);
  return attributes;
}

/** Express sets `req.route` to the matched route and `req.baseUrl` to its mount point. */
function expressRoute(request: IncomingMessage): string | undefined {
  const { route, baseUrl } = request as IncomingMessage & {
    route?: { path?: unknown };
    baseUrl?: unknown;
  };
  if (typeof route?.path !== "string") return undefined;
  return (typeof baseUrl === "string" ? baseUrl : "") + route.path;
}

function normalizeMethod(method: string | undefined): string {
  const upper = method?.toUpperCase() ?? "";
  return KNOWN_METHODS.has(upper) ? upper : "_OTHER";
}

function isEncrypted(socket: Socket): boolean {
  return (socket as Socket & { encrypted?: boolean }).encrypted === true;
}
