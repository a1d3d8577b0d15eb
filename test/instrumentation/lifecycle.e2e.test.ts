/**
 * The app's life under the register entry: the last interval is flushed on
 * SIGTERM, SIGINT and normal exit, within a bound, without taking over the
 * app's own signal handling; an absent collector costs neither service nor
 * memory.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  attributesOf,
  metricsOf,
  startCapture,
  valueOf,
  type CaptureServer,
  type HistogramPoint,
  type NumberPoint,
} from "../helpers/otlp-capture.js";
import { get, startApp, type ChildApp } from "./child-app.js";

let app: ChildApp | undefined;
let capture: CaptureServer | undefined;
let silent: SilentServer | undefined;
afterEach(async () => {
  await app?.stop();
  await capture?.close();
  await silent?.close();
  app = capture = silent = undefined;
});

// Long enough that only the flush at exit can export anything.
const NO_PERIODIC_EXPORT = "60000";

function requestCount(server: CaptureServer): number {
  const metrics = server.captures.flatMap((c) => metricsOf(c.body));
  const duration = metrics.find(
    (m) => m.name === "http.server.request.duration",
  );
  const points = (duration?.histogram?.dataPoints ?? []) as HistogramPoint[];
  return points.reduce((sum, point) => sum + Number(point.count), 0);
}

describe.each(["SIGTERM", "SIGINT"] as const)("on %s", (signal) => {
  it("flushes the last interval, then ends by that signal as the app would have", async () => {
    capture = await startCapture();
    app = await startApp({
      loader: "--require",
      app: "http-server.cjs",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: NO_PERIODIC_EXPORT,
      },
    });
    await get(app.port, "/a");
    await get(app.port, "/b");

    app.child.kill(signal);
    expect(await app.exited).toEqual({ code: null, signal });
    expect(capture.captures).toHaveLength(1);
    expect(requestCount(capture)).toBe(2);
  });
});

describe("an app with its own SIGTERM handler", () => {
  it("runs the app's handler, lets the app decide when to end, and flushes", async () => {
    capture = await startCapture();
    app = await startApp({
      loader: "--require",
      app: "sigterm-handler.cjs",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: NO_PERIODIC_EXPORT,
      },
    });
    await get(app.port, "/");

    app.child.kill("SIGTERM");
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.stdout()).toContain("app: SIGTERM handled");
    expect(requestCount(capture)).toBe(1);
  });
});

describe("normal exit", () => {
  it("exports what a short script recorded before the process ends", async () => {
    capture = await startCapture();
    app = await startApp({
      loader: "--import",
      app: "short-task.mjs",
      waitForPort: false,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: NO_PERIODIC_EXPORT,
      },
    });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(capture.captures).toHaveLength(1);
    const metrics = metricsOf(capture.captures[0]!.body);
    const documents = metrics.find((m) => m.name === "td.documents.processed");
    const queue = metrics.find((m) => m.name === "td.queue.length");
    expect(valueOf(documents!.sum!.dataPoints[0] as NumberPoint)).toBe(3);
    expect(valueOf(queue!.gauge!.dataPoints[0] as NumberPoint)).toBe(14.4);
  });

  it("ends within the shutdown bound when the collector never answers", async () => {
    capture = await startCapture({ respond: false });
    const started = Date.now();
    app = await startApp({
      loader: "--import",
      app: "short-task.mjs",
      waitForPort: false,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: NO_PERIODIC_EXPORT,
        OTEL_EXPORTER_OTLP_TIMEOUT: "30000",
        TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS: "1000",
      },
    });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    // Startup takes well under a second; the hanging export must not add 30 s.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(capture.captures).toHaveLength(1);
  });
});

/** A local port that refuses connections: bound once, then closed. */
async function refusedEndpoint(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A local port that accepts connections and never says a word. */
interface SilentServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// The documented default of TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS, and room
// for the process to start its exit and end on a busy machine.
const SHUTDOWN_BOUND_MILLIS = 5_000;
const EXIT_MARGIN_MILLIS = 1_500;

// A refused port once held the app up to 8.5 s: the OTLP exporter's retries
// waited on timers that kept the process alive past the bound. Then it held
// the app the whole 5 s bound, backing off between refusals, and the only
// line said "metrics export timed out after 1000ms", naming no endpoint.
describe.each(["the default", "200 ms"])(
  "an app that closes its server on SIGINT, when the collector refuses connections, at %s interval",
  (interval) => {
    it("ends at once, trying the last export once, and says where and why it failed", async () => {
      const endpoint = await refusedEndpoint();
      app = await startApp({
        loader: "--require",
        app: "close-on-sigint.cjs",
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          ...(interval === "200 ms"
            ? { OTEL_METRIC_EXPORT_INTERVAL: "200" }
            : {}),
        },
      });
      expect(await get(app.port, "/")).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const signalled = Date.now();
      app.child.kill("SIGINT");
      expect(await app.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(2_000);

      const lines = app.stderr().split("\n");
      const url = `${endpoint}/v1/metrics`;
      expect(lines).not.toContainEqual(expect.stringMatching(/abandoned/));
      expect(lines).toContain(
        `td-monitoring: the last metrics export at exit to ${url} failed: ` +
          `connection refused (ECONNREFUSED); its metrics are lost`,
      );
      // While running: one line for about five refused exports.
      const running = lines.filter((line) =>
        line.startsWith(`td-monitoring: metrics export to ${url}`),
      );
      expect(running).toEqual(
        interval === "200 ms"
          ? [
              `td-monitoring: metrics export to ${url} failed: connection ` +
                `refused (ECONNREFUSED); is the collector running?`,
            ]
          : [],
      );
    });
  },
);

describe.each(["the default", "200 ms"])(
  "an app that closes its server on SIGINT, when the collector accepts and never answers, at %s interval",
  (interval) => {
    it("ends within the shutdown bound, with one warning and no stack trace", async () => {
      silent = await startSilentServer();
      const endpoint = silent.endpoint;
      app = await startApp({
        loader: "--require",
        app: "close-on-sigint.cjs",
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          ...(interval === "200 ms"
            ? { OTEL_METRIC_EXPORT_INTERVAL: "200" }
            : {}),
        },
      });
      expect(await get(app.port, "/")).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));

      const signalled = Date.now();
      app.child.kill("SIGINT");
      expect(await app.exited).toEqual({ code: 0, signal: null });
      const exitMillis = Date.now() - signalled;

      expect(app.stdout()).toContain("app: SIGINT, closing");
      expect(exitMillis).toBeLessThan(
        SHUTDOWN_BOUND_MILLIS + EXIT_MARGIN_MILLIS,
      );
      const stderr = app.stderr();
      expect(stderr).not.toMatch(/"stack"|\n\s+at /);
      const abandoned = stderr
        .split("\n")
        .filter((line) => line.includes("abandoned"));
      expect(abandoned).toEqual([
        expect.stringMatching(
          /^td-monitoring: the last export did not finish within 5000 ms/,
        ),
      ]);
    });
  },
);

async function heapUsed(port: number | undefined): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/heap`);
  return Number(await response.text());
}

describe("a collector that refuses connections", () => {
  it("leaves the app serving, its memory flat over many failed exports, and its log quiet", async () => {
    const endpoint = await refusedEndpoint();
    app = await startApp({
      loader: "--require",
      app: "heap-app.cjs",
      nodeOptions: ["--expose-gc"],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: "50",
      },
    });
    const pause = (ms: number) =>
      new Promise((resolve) => setTimeout(resolve, ms));
    // Warm up: the first exports allocate the exporter's and SDK's state.
    await pause(1_000);
    const before = await heapUsed(app.port);
    for (let i = 0; i < 30; i++) {
      expect(await get(app.port, `/work/${i}`)).toBe(200);
      await pause(100);
    }
    const after = await heapUsed(app.port);

    // About 60 failed exports later, the heap holds no more than noise.
    expect(after - before).toBeLessThan(1024 * 1024);
    // The failure is logged once, not once per export, in one line that
    // says where and why (not again by the SDK's reader).
    const lines = app.stderr().split("\n").filter(Boolean);
    expect(lines).toEqual([
      `td-monitoring: metrics export to ${endpoint}/v1/metrics failed: connection refused (ECONNREFUSED); is the collector running?`,
    ]);
  });
});

describe("exports carry no raw path", () => {
  it("never puts a URL path on a series", async () => {
    capture = await startCapture();
    app = await startApp({
      loader: "--require",
      app: "http-server.cjs",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: NO_PERIODIC_EXPORT,
      },
    });
    await get(app.port, "/users/12345/secret-report");
    app.child.kill("SIGTERM");
    await app.exited;
    const body = JSON.stringify(capture.captures.map((c) => c.body));
    expect(body).not.toContain("12345");
    const duration = metricsOf(capture.captures[0]!.body).find(
      (m) => m.name === "http.server.request.duration",
    );
    const [point] = (duration?.histogram?.dataPoints ?? []) as HistogramPoint[];
    expect(Object.keys(attributesOf(point?.attributes)).sort()).toEqual([
      "http.request.method",
      "http.response.status_code",
      "url.scheme",
    ]);
  });
});
