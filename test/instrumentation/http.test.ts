/**
 * startHttpMetrics on a real node:http server, read through the SDK's
 * in-memory exporter: requests in flight counted while they run, back to 0
 * when they end, also when the client hangs up first.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpMetrics } from "../../src/instrumentation/http.js";
import { buildViews, METER_NAME } from "../../src/metrics/views.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server whose requests wait until `release()`, measured. */
async function setup() {
  const exporter = new InMemoryMetricExporter(
    AggregationTemporality.CUMULATIVE,
  );
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 60_000,
  });
  const provider = new MeterProvider({
    readers: [reader],
    views: buildViews(),
  });
  const stop = startHttpMetrics(provider.getMeter(METER_NAME));
  let waiting: Array<() => void> = [];
  let arrived = 0;
  const server = http.createServer((request, response) => {
    arrived += 1;
    waiting.push(() => response.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () => provider.shutdown(),
    stop,
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections(),
  );
  const { port } = server.address() as AddressInfo;

  /** The active-requests points exported now, as `method value`. */
  async function active(): Promise<string[]> {
    exporter.reset();
    await reader.forceFlush();
    const metric = exporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
      .find((m) => m.descriptor.name === "http.server.active_requests");
    return ((metric?.dataPoints ?? []) as Array<DataPoint<number>>)
      .map((p) => `${String(p.attributes["http.request.method"])} ${p.value}`)
      .sort();
  }

  return {
    url: `http://127.0.0.1:${port}/`,
    active,
    async arrivals(count: number) {
      while (arrived < count) await sleep(5);
    },
    release() {
      for (const end of waiting) end();
      waiting = [];
    },
  };
}

describe("http.server.active_requests", () => {
  it("counts requests in flight by method, and 0 once they have ended", async () => {
    const server = await setup();
    const requests = [
      fetch(server.url),
      fetch(server.url),
      fetch(server.url, { method: "POST", body: "x" }),
    ];
    await server.arrivals(3);

    expect(await server.active()).toEqual(["GET 2", "POST 1"]);

    server.release();
    await Promise.all(requests.map(async (r) => (await r).text()));
    expect(await server.active()).toEqual(["GET 0", "POST 0"]);
  });

  it("comes back down when the client hangs up before the answer", async () => {
    const server = await setup();
    const controller = new AbortController();
    const request = fetch(server.url, { signal: controller.signal });
    await server.arrivals(1);
    expect(await server.active()).toEqual(["GET 1"]);

    controller.abort();
    await request.catch(() => undefined);
    // The server sees the socket close a moment after the client aborts.
    let after: string[] = [];
    for (let i = 0; i < 100 && after[0] !== "GET 0"; i++) {
      await sleep(10);
      after = await server.active();
    }
    expect(after).toEqual(["GET 0"]);
    server.release();
  });
});
