/**
 * Cases L1 and Q4 of the field cases (shared/cases/README.md), in process:
 * the SDK as the register entry starts it, exporting to a real local
 * endpoint.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readMonitoringConfig } from "../../src/instrumentation/config.js";
import {
  startMonitoring,
  type MonitoringHandle,
} from "../../src/instrumentation/start.js";
import { HTTP_DURATION_BUCKETS_SECONDS } from "../../src/metrics/catalog.js";
import {
  attributesOf,
  metricsOf,
  startCapture,
  valueOf,
  type CaptureServer,
  type HistogramPoint,
  type NumberPoint,
} from "../helpers/otlp-capture.js";

let capture: CaptureServer | undefined;
let handle: MonitoringHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  await capture?.close();
  capture = handle = undefined;
});

function start(server: CaptureServer, protocol: string): MonitoringHandle {
  const config = readMonitoringConfig(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: server.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_METRIC_EXPORT_INTERVAL: "60000",
    },
    (message) => {
      throw new Error(`unexpected warning: ${message}`);
    },
  );
  return startMonitoring(config);
}

describe.each(["http/protobuf", "http/json"])("L1 over %s", (protocol) => {
  it("exports 3 and 14.4 once before shutdown returns; a second shutdown does nothing", async () => {
    capture = await startCapture();
    handle = start(capture, protocol);
    const meter = handle.meterProvider.getMeter("case-l1");
    meter.createCounter("l1.counter").add(3);
    meter.createGauge("l1.gauge").record(14.4);

    await handle.shutdown();
    expect(capture.captures).toHaveLength(1);
    const metrics = metricsOf(capture.captures[0]!.body);
    const counter = metrics.find((m) => m.name === "l1.counter");
    const gauge = metrics.find((m) => m.name === "l1.gauge");
    expect(valueOf(counter!.sum!.dataPoints[0] as NumberPoint)).toBe(3);
    expect(valueOf(gauge!.gauge!.dataPoints[0] as NumberPoint)).toBe(14.4);

    await handle.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(capture.captures).toHaveLength(1);
  });
});

/**
 * The q-quantile of a histogram point: linear inside the bucket that holds
 * it, as PromQL's histogram_quantile does, and kept within the point's own
 * min and max, which OTLP carries.
 */
function quantile(
  point: HistogramPoint & { min?: number; max?: number },
  q: number,
): number {
  const counts = point.bucketCounts.map(Number);
  const total = counts.reduce((a, b) => a + b, 0);
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (below + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : point.explicitBounds[i - 1]!;
      const upper = point.explicitBounds[i] ?? Infinity;
      const value = lower + (upper - lower) * ((rank - below) / inBucket);
      return Math.min(
        Math.max(value, point.min ?? -Infinity),
        point.max ?? Infinity,
      );
    }
    below += inBucket;
  }
  return NaN;
}

describe("Q4", () => {
  it("records http.server.request.duration in seconds on the conventions' buckets, so quantiles of 0.02–0.3 s land there", async () => {
    capture = await startCapture();
    handle = start(capture, "http/json");
    const app = http.createServer((request, response) => {
      const delay = Number(
        new URL(request.url ?? "/", "http://x").searchParams.get("ms"),
      );
      setTimeout(() => response.end("ok"), delay);
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const { port } = app.address() as AddressInfo;
    try {
      const delays = Array.from({ length: 13 }, (_, i) => 20 + i * 20);
      await Promise.all(
        delays.map((ms) =>
          fetch(`http://127.0.0.1:${port}/?ms=${ms}`).then((r) => r.text()),
        ),
      );
    } finally {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
    await handle.forceFlush();

    const duration = metricsOf(capture.captures.at(-1)!.body).find(
      (m) => m.name === "http.server.request.duration",
    );
    expect(duration?.unit).toBe("s");
    const point = (duration!.histogram!.dataPoints as HistogramPoint[]).find(
      (p) => attributesOf(p.attributes)["http.request.method"] === "GET",
    )!;
    expect(point.explicitBounds).toEqual([...HTTP_DURATION_BUCKETS_SECONDS]);
    expect(Number(point.count)).toBe(13);
    for (const q of [0.5, 0.95, 0.99]) {
      const value = quantile(point, q);
      expect(value, `p${q * 100}`).toBeGreaterThanOrEqual(0.02);
      expect(value, `p${q * 100}`).toBeLessThanOrEqual(0.3);
    }
    // Every observation sits in the buckets from 0.01 to 0.5 s.
    const counts = point.bucketCounts.map(Number);
    const first = HTTP_DURATION_BUCKETS_SECONDS.indexOf(0.025);
    const last = HTTP_DURATION_BUCKETS_SECONDS.indexOf(0.5);
    expect(counts.slice(first, last + 1).reduce((a, b) => a + b, 0)).toBe(13);
  });
});
