/**
 * The real OpenTelemetry SDK exporters (OTLP/HTTP protobuf and JSON,
 * cumulative and delta) sending to a running receiver, and the stored
 * samples checked against what was recorded.
 */
import { OTLPMetricExporter as HttpJsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { AggregationTemporalityPreference } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtobufExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  HistogramSample,
  NumberSample,
} from "../../src/store/embedded/samples.js";
import { readAll, startHarness, type Harness } from "./harness.js";

const exporters = {
  protobuf: ProtobufExporter,
  json: HttpJsonExporter,
} as const;
const temporalities = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
} as const;

const variants = (["protobuf", "json"] as const).flatMap((encoding) =>
  (["cumulative", "delta"] as const).map((temporality) => ({
    encoding,
    temporality,
  })),
);

describe.each(variants)(
  "SDK exporter over $encoding, $temporality",
  ({ encoding, temporality }) => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await startHarness();
    });
    afterAll(() => harness.stop());

    it("stores counters, up-down counters, gauges and histograms as recorded", async () => {
      const exporter = new exporters[encoding]({
        url: harness.url,
        temporalityPreference: temporalities[temporality],
      });
      const provider = new MeterProvider({
        resource: resourceFromAttributes({ "service.name": "sdk-test" }),
        readers: [
          new PeriodicExportingMetricReader({
            exporter,
            exportIntervalMillis: 60_000,
          }),
        ],
        views: [
          {
            instrumentName: "sdk.exponential",
            aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
          },
        ],
      });
      const meter = provider.getMeter("sdk-test");
      const attributes = { "td.document.type": "invoice" };

      meter
        .createCounter("sdk.counter", { unit: "{document}" })
        .add(3, attributes);
      meter.createUpDownCounter("sdk.updown").add(-2);
      meter.createGauge("sdk.gauge").record(14.4);
      const histogram = meter.createHistogram("sdk.histogram", {
        unit: "s",
        advice: { explicitBucketBoundaries: [0.1, 1] },
      });
      for (const value of [0.05, 0.5, 0.7, 2]) histogram.record(value);
      const exponential = meter.createHistogram("sdk.exponential");
      for (const value of [1, 2, 3, 100]) exponential.record(value);

      await provider.forceFlush();
      await provider.shutdown();

      const number = (metric: string) => {
        const [series] = readAll(harness.db, metric);
        return {
          series: series!.series,
          sample: series!.samples[0] as NumberSample,
        };
      };
      const counter = number("sdk.counter");
      expect(counter.series).toMatchObject({
        kind: "sum",
        unit: "{document}",
        temporality,
        monotonic: true,
        labels: { "service.name": "sdk-test", "td.document.type": "invoice" },
      });
      expect(counter.sample.value).toBe(3);
      expect(counter.sample.startTimeNanos).toBeGreaterThan(0n);
      expect(number("sdk.updown").sample.value).toBe(-2);
      expect(number("sdk.updown").series.monotonic).toBe(false);
      expect(number("sdk.gauge").sample.value).toBe(14.4);
      expect(number("sdk.gauge").series.kind).toBe("gauge");

      const [histogramSeries] = readAll(harness.db, "sdk.histogram");
      expect(histogramSeries!.series).toMatchObject({
        kind: "histogram",
        unit: "s",
        temporality,
      });
      expect(histogramSeries!.samples[0]).toMatchObject({
        count: 4,
        sum: 3.25,
        bounds: [0.1, 1],
        bucketCounts: [1, 2, 1],
        min: 0.05,
        max: 2,
      });

      const [exponentialSeries] = readAll(harness.db, "sdk.exponential");
      const sample = exponentialSeries!.samples[0] as HistogramSample;
      expect(exponentialSeries!.series.kind).toBe("exponential_histogram");
      expect(sample.count).toBe(4);
      expect(sample.sum).toBe(106);
      expect(sample.bucketCounts.reduce((a, b) => a + b, 0)).toBe(4);
      // 100 lies in the last finite bucket: above the previous bound, within its own.
      const index = sample.bounds.findIndex((bound) => bound >= 100);
      expect(sample.bounds[index - 1]!).toBeLessThan(100);
      expect(sample.bucketCounts[index]).toBe(1);
    });
  },
);
