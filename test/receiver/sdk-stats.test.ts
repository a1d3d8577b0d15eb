/**
 * The real OpenTelemetry SDK exporters (OTLP/HTTP protobuf and JSON,
 * cumulative and delta) sending the app meters' recordings to a running
 * receiver, through a process restart, and the stats `td-monitor stats`
 * prints (MonitoringManager.getMetricStats over the embedded store, opened
 * as the CLI opens it) equal to values computed by hand.
 *
 * The SDK stamps its points with the clock, so each query's window is the
 * span from the first to the last stored sample of its metric: nothing is
 * extrapolated, and a rate's seconds are those of the stored times.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { OTLPMetricExporter as HttpJsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { AggregationTemporalityPreference } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtobufExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonitoringManager, type MetricStats } from "../../src/manager.js";
import { createAppMetrics } from "../../src/metrics/meters.js";
import { buildViews } from "../../src/metrics/views.js";
import type { HistogramSample } from "../../src/store/embedded/samples.js";
import { readAll, startHarness, values, type Harness } from "./harness.js";

const exporters = {
  protobuf: ProtobufExporter,
  json: HttpJsonExporter,
} as const;
const temporalities = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
} as const;
type Encoding = keyof typeof exporters;
type Temporality = keyof typeof temporalities;

/** What the app records before one export: a queue length and the documents processed. */
interface Recording {
  readonly queue: number;
  /** One invoice processed successfully per duration, in seconds. */
  readonly durations: readonly number[];
}

// Two runs of the app, the second a restarted process: its counter and
// histogram start again from zero. Each run exports twice.
const FIRST_RUN: readonly Recording[] = [
  { queue: 4, durations: [0.02, 0.2] },
  {
    queue: 10,
    durations: [0.02, 0.03, 0.04, 0.04, 0.07, 0.2, 0.3, 0.45, 0.7],
  },
];
const SECOND_RUN: readonly Recording[] = [
  // Below the first run's totals in every non-empty bucket, so the drop
  // shows the restart to a cumulative reader, as it does to Prometheus.
  { queue: 7, durations: [0.02] },
  {
    queue: 3,
    durations: [0.03, 0.08, 0.09, 0.15, 0.2, 0.22, 0.4, 0.6, 1.5, 2],
  },
];

const QUEUE = "td.queue.length";
const DOCUMENTS = "td.documents.processed";
const DURATION = "td.document.processing.duration";

/**
 * Runs the app once: records, exports with forceFlush, and ends with
 * shutdown, which exports the last recording (a forceFlush before it would
 * export cumulative points twice).
 */
async function runApp(
  url: string,
  encoding: Encoding,
  temporality: Temporality,
  recordings: readonly Recording[],
): Promise<void> {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "td-generator" }),
    views: buildViews(),
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new exporters[encoding]({
          url,
          temporalityPreference: temporalities[temporality],
        }),
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  const metrics = createAppMetrics({ meterProvider: provider });
  for (const [i, { queue, durations }] of recordings.entries()) {
    metrics.queueLength("render", queue);
    for (const durationSeconds of durations) {
      metrics.documentProcessed({
        type: "invoice",
        outcome: "success",
        durationSeconds,
      });
    }
    if (i < recordings.length - 1) await provider.forceFlush();
    // Distinct milliseconds for every export, so no two samples share a time.
    await sleep(5);
  }
  await provider.shutdown();
}

const variants = (["protobuf", "json"] as const).flatMap((encoding) =>
  (["cumulative", "delta"] as const).map((temporality) => ({
    encoding,
    temporality,
  })),
);

describe.each(variants)(
  "stats of SDK exports over $encoding, $temporality, across a restart",
  ({ encoding, temporality }) => {
    let harness: Harness;
    let manager: MonitoringManager;

    beforeAll(async () => {
      harness = await startHarness();
      await runApp(harness.url, encoding, temporality, FIRST_RUN);
      await sleep(5);
      await runApp(harness.url, encoding, temporality, SECOND_RUN);
      manager = new MonitoringManager({
        store: `embedded:${harness.dataDir}`,
      });
    });
    afterAll(async () => {
      await manager.close();
      await harness.stop();
    });

    /** The first and last stored sample times of a metric's only series. */
    function storedSpan(metric: string): { start: number; end: number } {
      const series = readAll(harness.db, metric);
      expect(series).toHaveLength(1);
      const times = series[0]!.samples.map((s) => s.timeMillis);
      expect(times).toHaveLength(4);
      return { start: times[0]!, end: times.at(-1)! };
    }

    const statsOf = (metric: string): Promise<MetricStats> =>
      manager.getMetricStats(metric, storedSpan(metric));

    it("stores one sample per export, each run's counter from zero", () => {
      expect(values(readAll(harness.db, QUEUE)[0])).toEqual([4, 10, 7, 3]);
      // Documents per export: 2, 9, then after the restart 1, 10.
      expect(values(readAll(harness.db, DOCUMENTS)[0])).toEqual(
        temporality === "cumulative" ? [2, 11, 1, 11] : [2, 9, 1, 10],
      );
      const [histogram] = readAll(harness.db, DURATION);
      expect(histogram!.series.temporality).toBe(temporality);
      const counts = (histogram!.samples as HistogramSample[]).map(
        (s) => s.count,
      );
      expect(counts).toEqual(
        temporality === "cumulative" ? [2, 11, 1, 11] : [2, 9, 1, 10],
      );
    });

    it("gauge td.queue.length: avg, min, max, p95 and last of the samples", async () => {
      const stats = await statsOf(QUEUE);

      expect(stats.unit).toBe("{job}");
      // Samples 4, 10, 7, 3.
      expect(stats.avg).toBe(24 / 4);
      expect(stats.min).toBe(3);
      expect(stats.max).toBe(10);
      expect(stats.last).toBe(3);
      expect(stats.count).toBe(4);
      // quantile_over_time: sorted 3, 4, 7, 10; rank 0.95 · 3 = 2.85, so
      // 7 + 0.85 · (10 − 7) = 9.55.
      expect(stats.p95).toBeCloseTo(9.55, 12);
      expect(stats.rate).toBeNull();
    });

    it("counter td.documents.processed: increase and rate across the restart", async () => {
      const span = storedSpan(DOCUMENTS);
      const stats = await statsOf(DOCUMENTS);

      // Counted from the first sample on: 9 in the first run's second export,
      // then 1 + 10 in the restarted run. Cumulative 2, 11, 1, 11 is
      // 11 − 2 + 11 (the drop is a reset); delta 2, 9, 1, 10 runs to
      // 2, 11, 12, 22, which is 22 − 2. Both 20.
      expect(stats.increase).toBe(20);
      // The window is exactly the samples' span, so nothing is extrapolated.
      expect(stats.rate).toBe(20 / ((span.end - span.start) / 1000));
      expect(stats.count).toBe(4);
      expect(stats.avg).toBeNull();
    });

    it("histogram td.document.processing.duration: quantiles interpolated in the catalog's buckets", async () => {
      const stats = await statsOf(DURATION);

      // The 20 observations after the first sample (the second export's 9,
      // the restarted run's 1 + 10), per catalog bucket:
      //   (0.01, 0.025] 2   cumulative  2
      //   (0.025, 0.05] 4               6
      //   (0.05, 0.1]   3               9
      //   (0.1, 0.25]   4              13
      //   (0.25, 0.5]   3              16
      //   (0.5, 1]      2              18
      //   (1, 2.5]      2              20
      // p95: rank 0.95 · 20 = 19 falls in (1, 2.5], 1 of its 2 past the 18
      // below: 1 + 1.5 · 1/2 = 1.75.
      expect(stats.p95).toBeCloseTo(1.75, 12);
      // p50: rank 10 in (0.1, 0.25], 1 of 4 past 9: 0.1 + 0.15 · 1/4.
      expect(stats.p50).toBeCloseTo(0.1375, 12);
      // p99: rank 19.8 in (1, 2.5], 1.8 of 2 past 18: 1 + 1.5 · 0.9.
      expect(stats.p99).toBeCloseTo(2.35, 12);
      // The bounds of the lowest and highest non-empty buckets.
      expect(stats.min).toBe(0.01);
      expect(stats.max).toBe(2.5);
      expect(stats.count).toBe(20);
      // Their sum, 1.85 + 0.02 + 5.27 = 7.14, over 20.
      expect(stats.avg).toBeCloseTo(7.14 / 20, 12);
    });
  },
);
