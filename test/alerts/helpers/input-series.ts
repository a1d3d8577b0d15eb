/**
 * Synthetic series written once, in promtool's input_series notation, and
 * given to both sides of the agreement test: as `input_series` of a promtool
 * rule test, and as the OTLP points the embedded store ingests. Gauges and
 * counters are one notation string each; a histogram is made of request
 * counters at fixed latencies, from which both its OTLP buckets and its
 * Prometheus `_bucket`/`_count`/`_sum` series are derived.
 *
 * @see https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/#series
 */
import { requireMetric } from "../../../src/metrics/catalog.js";
import type { IngestPoint } from "../../../src/store/embedded/samples.js";
import { labelName } from "../../../src/store/prometheus/promql.js";

type Labels = Readonly<Record<string, string>>;

/** A gauge or counter: one value per sample interval, in expanding notation. */
export interface NumberSeries {
  readonly kind: "gauge" | "counter";
  readonly metric: string;
  /** OpenTelemetry attribute keys (`service.name`), as the app sends them. */
  readonly labels: Labels;
  readonly values: string;
}

/** A histogram: the requests answered at each latency, as cumulative counters in expanding notation. */
export interface HistogramSeries {
  readonly kind: "histogram";
  readonly metric: string;
  readonly labels: Labels;
  readonly requests: ReadonlyArray<{
    readonly seconds: number;
    readonly count: string;
  }>;
}

export type SyntheticSeries = NumberSeries | HistogramSeries;

/** One series of a promtool test group's `input_series`. */
export interface PromtoolSeries {
  readonly series: string;
  readonly values: string;
}

const TERM = /^(-?[\d.]+(?:e-?\d+)?)([+-])([\d.]+(?:e-?\d+)?)x(\d+)$/;

/**
 * The values of expanding notation, undefined for a missing sample:
 * `a+bxn` is the n + 1 values a, a+b … a+n·b (`a-bxn` counts down), `_` is
 * one missing sample and `_xn` n of them.
 *
 * @example expandNotation("1+2x2 _x2 7") // [1, 3, 5, undefined, undefined, 7]
 */
export function expandNotation(text: string): Array<number | undefined> {
  return text
    .trim()
    .split(/\s+/)
    .flatMap((term): Array<number | undefined> => {
      if (term === "_") return [undefined];
      const gap = /^_x(\d+)$/.exec(term);
      if (gap) return Array.from({ length: Number(gap[1]) }, () => undefined);
      const run = TERM.exec(term);
      if (run) {
        const [, start, sign, step, times] = run;
        const delta = Number(step) * (sign === "-" ? -1 : 1);
        return Array.from(
          { length: Number(times) + 1 },
          (_, i) => Number(start) + i * delta,
        );
      }
      const value = Number(term);
      if (term === "" || Number.isNaN(value))
        throw new Error(
          `input series: "${term}" is not expanding notation (a number, a+bxn, a-bxn, _ or _xn)`,
        );
      return [value];
    });
}

function promLabels(labels: Labels, extra: Labels = {}): string {
  const pairs = [
    ...Object.entries(labels).map(([k, v]) => [labelName(k), v] as const),
    ...Object.entries(extra),
  ];
  return `{${pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
}

function notation(values: ReadonlyArray<number | undefined>): string {
  return values.map((v) => (v === undefined ? "_" : String(v))).join(" ");
}

/** Per sample, the histogram's cumulative count at each bound (+Inf last), its count and sum. */
function histogramSamples(series: HistogramSeries): Array<
  | {
      readonly perBucket: number[];
      readonly count: number;
      readonly sum: number;
    }
  | undefined
> {
  const bounds = requireMetric(series.metric).buckets ?? [];
  const counters = series.requests.map((r) => {
    // A bucket holds the observations at or below its bound; +Inf is last.
    const bucket = bounds.findIndex((b) => r.seconds <= b);
    return {
      slot: bucket === -1 ? bounds.length : bucket,
      seconds: r.seconds,
      values: expandNotation(r.count),
    };
  });
  const length = Math.max(...counters.map((c) => c.values.length));
  return Array.from({ length }, (_, i) => {
    if (counters.some((c) => c.values[i] === undefined)) return undefined;
    const perBucket = Array.from({ length: bounds.length + 1 }, () => 0);
    let sum = 0;
    for (const { slot, seconds, values } of counters) {
      const count = values[i] ?? 0;
      perBucket[slot] = (perBucket[slot] ?? 0) + count;
      sum += count * seconds;
    }
    const count = perBucket.reduce((a, b) => a + b, 0);
    return { perBucket, count, sum };
  });
}

/** The series as promtool's `input_series`, under their Prometheus names. */
export function promtoolSeries(series: SyntheticSeries): PromtoolSeries[] {
  const metric = requireMetric(series.metric);
  const name = metric.prometheusName;
  if (series.kind !== "histogram")
    return [
      { series: name + promLabels(series.labels), values: series.values },
    ];
  const samples = histogramSamples(series);
  const bounds = [...(metric.buckets ?? []), Infinity];
  const buckets = bounds.map((bound, b) => ({
    series: `${name}_bucket${promLabels(series.labels, { le: bound === Infinity ? "+Inf" : String(bound) })}`,
    values: notation(
      samples.map((s) =>
        s?.perBucket.slice(0, b + 1).reduce((a, c) => a + c, 0),
      ),
    ),
  }));
  return [
    ...buckets,
    {
      series: `${name}_count${promLabels(series.labels)}`,
      values: notation(samples.map((s) => s?.count)),
    },
    {
      series: `${name}_sum${promLabels(series.labels)}`,
      values: notation(samples.map((s) => s?.sum)),
    },
  ];
}

/** The series as the OTLP points the receiver would hand the embedded store: sample i at i · interval. */
export function ingestPoints(
  series: SyntheticSeries,
  intervalSeconds: number,
): IngestPoint[] {
  const metric = requireMetric(series.metric);
  const nanos = (i: number) => BigInt(i * intervalSeconds * 1000) * 1_000_000n;
  if (series.kind === "histogram") {
    const key = {
      metric: metric.name,
      kind: "histogram",
      unit: metric.unit,
      temporality: "cumulative",
      monotonic: true,
      labels: series.labels,
    } as const;
    return histogramSamples(series).flatMap((s, i): IngestPoint[] =>
      s === undefined
        ? []
        : [
            {
              type: "histogram",
              series: key,
              timeNanos: nanos(i),
              startTimeNanos: 0n,
              count: BigInt(s.count),
              sum: s.sum,
              bounds: metric.buckets ?? [],
              bucketCounts: s.perBucket.map(BigInt),
            },
          ],
    );
  }
  const counter = series.kind === "counter";
  const key = {
    metric: metric.name,
    kind: counter ? "sum" : "gauge",
    unit: metric.unit,
    temporality: counter ? "cumulative" : "unspecified",
    monotonic: counter,
    labels: series.labels,
  } as const;
  return expandNotation(series.values).flatMap((value, i): IngestPoint[] =>
    value === undefined
      ? []
      : [
          {
            type: "number",
            series: key,
            timeNanos: nanos(i),
            startTimeNanos: 0n,
            value,
          },
        ],
  );
}
