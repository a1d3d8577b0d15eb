/**
 * A query answered over raw series: grouping, the windows of a range query,
 * and each statistic as model.ts defines it for each metric shape. The
 * embedded store answers every query with this; the Prometheus store uses it
 * where PromQL has no equivalent (quantiles of pooled gauge samples).
 */
import { counterIncrease, counterRate, type CounterWindow } from "./counter.js";
import { maxOf, minOf, sampleQuantile, sumOf } from "./gauge.js";
import {
  bucketCounts,
  bucketMin,
  bucketQuantile,
  cumulativeBuckets,
  totalCount,
  type CumulativeBucket,
} from "./histogram.js";
import type {
  BucketCount,
  MetricShape,
  Query,
  SeriesResult,
  Statistic,
} from "./model.js";
import {
  pointsIn,
  type HistogramPoint,
  type NumberPoint,
  type RawSeries,
} from "./series.js";

/** Raw series of one shape, cumulative where they count. */
export type ShapedSeries =
  | {
      readonly shape: "gauge" | "counter";
      readonly series: readonly RawSeries[];
    }
  | {
      readonly shape: "histogram";
      readonly series: readonly RawSeries<HistogramPoint>[];
    };

/** A histogram as Prometheus stores it: one counter per bucket, plus sum and count. */
interface HistogramCounters {
  readonly buckets: ReadonlyMap<number, readonly NumberPoint[]>;
  readonly sum: readonly NumberPoint[];
  readonly count: readonly NumberPoint[];
}

/** A statistic of one group over one window; undefined when the data gives no answer. */
type GroupStatistic<S> = (
  series: readonly S[],
  window: CounterWindow,
) => number | undefined;

/** A group's observations per bucket over one window, for a distribution's result. */
type GroupBuckets<S> = (
  series: readonly S[],
  window: CounterWindow,
) => BucketCount[] | undefined;

/**
 * The answer to a query over raw series (already filtered to the query's
 * attribute filters), one result per group, ordered by labels. The query is
 * assumed valid for the shape (see validateQuery).
 */
export function evaluate(query: Query, input: ShapedSeries): SeriesResult[] {
  if (input.shape === "histogram") {
    const series = input.series.map((s) => ({
      labels: s.labels,
      counters: histogramCounters(s.points),
    }));
    return evaluateGroups(
      query,
      series,
      histogramStatistic(query.statistic),
      query.statistic.kind === "distribution" ? distributionOf : undefined,
    );
  }
  const statistic =
    input.shape === "counter"
      ? counterStatistic(query.statistic)
      : gaugeStatistic(query.statistic);
  return evaluateGroups(query, input.series, statistic);
}

function evaluateGroups<
  S extends { readonly labels: Readonly<Record<string, string>> },
>(
  query: Query,
  series: readonly S[],
  statistic: GroupStatistic<S>,
  bucketsOf?: GroupBuckets<S>,
): SeriesResult[] {
  const results: SeriesResult[] = [];
  const whole: CounterWindow = {
    startMillis: query.startMillis,
    endMillis: query.endMillis,
  };
  for (const [labels, members] of groupBy(series, query.groupBy)) {
    const value = statistic(members, whole);
    const buckets =
      value === undefined ? undefined : bucketsOf?.(members, whole);
    const detail = buckets === undefined ? {} : { buckets };
    if (query.stepSeconds === undefined) {
      if (value !== undefined) results.push({ labels, value, ...detail });
      continue;
    }
    const points = stepPoints(query, members, statistic);
    if (value !== undefined || points.length > 0) {
      results.push({ labels, value: value ?? NaN, points, ...detail });
    }
  }
  return results;
}

/**
 * The series grouped by the values of `keys`, labels sorted; a key a series
 * lacks groups as the empty value and is left out of the group's labels, as
 * PromQL's `by` does.
 */
export function groupBy<
  S extends { readonly labels: Readonly<Record<string, string>> },
>(
  series: readonly S[],
  keys: readonly string[],
): Array<[Record<string, string>, S[]]> {
  const groups = new Map<string, [Record<string, string>, S[]]>();
  for (const member of series) {
    const labels: Record<string, string> = {};
    for (const key of [...keys].sort()) {
      const value = member.labels[key] ?? "";
      if (value !== "") labels[key] = value;
    }
    const id = JSON.stringify(labels);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [labels, [member]]);
    else group[1].push(member);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => group);
}

/** The step times of a range query: start, start + step, … up to end. */
export function stepTimes(query: Query): number[] {
  if (query.stepSeconds === undefined) return [];
  const stepMillis = Math.round(query.stepSeconds * 1000);
  const times: number[] = [];
  for (let t = query.startMillis; t <= query.endMillis; t += stepMillis) {
    times.push(t);
  }
  return times;
}

/** The window a range query's point at `timeMillis` covers. */
export function stepWindow(query: Query, timeMillis: number): CounterWindow {
  const seconds = query.windowSeconds ?? query.stepSeconds ?? 0;
  return {
    startMillis: timeMillis - Math.round(seconds * 1000),
    endMillis: timeMillis,
  };
}

function stepPoints<S>(
  query: Query,
  series: readonly S[],
  statistic: GroupStatistic<S>,
): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (const time of stepTimes(query)) {
    const value = statistic(series, stepWindow(query, time));
    // NaN points are dropped in both stores: a step without a number is a gap.
    if (value !== undefined && !Number.isNaN(value)) points.push([time, value]);
  }
  return points;
}

function gaugeStatistic(statistic: Statistic): GroupStatistic<RawSeries> {
  switch (statistic.kind) {
    case "avg":
      return pooled((values) => sumOf(values) / values.length);
    case "min":
      return pooled(minOf);
    case "max":
      return pooled(maxOf);
    case "count":
      return pooled((values) => values.length);
    case "quantile":
      return pooled((values) => sampleQuantile(statistic.q, values));
    case "last":
      return lastValues((values) => sumOf(values) / values.length);
    case "sum":
      return lastValues(sumOf);
    default:
      throw notDefined(statistic, "gauge");
  }
}

function counterStatistic(statistic: Statistic): GroupStatistic<RawSeries> {
  switch (statistic.kind) {
    case "increase":
    case "sum":
      return (series, window) =>
        sumDefined(
          series.map((s) => counterIncrease(inWindow(s, window), window)),
        );
    case "rate":
      return (series, window) =>
        sumDefined(series.map((s) => counterRate(inWindow(s, window), window)));
    case "count":
      return pooled((values) => values.length);
    case "last":
      return lastValues(sumOf);
    default:
      throw notDefined(statistic, "counter");
  }
}

type HistogramSeries = {
  readonly labels: Readonly<Record<string, string>>;
  readonly counters: HistogramCounters;
};

function histogramStatistic(
  statistic: Statistic,
): GroupStatistic<HistogramSeries> {
  const increaseOf =
    (
      pick: (c: HistogramCounters) => readonly NumberPoint[],
    ): GroupStatistic<HistogramSeries> =>
    (series, window) =>
      sumDefined(
        series.map((s) =>
          counterIncrease(
            pointsIn(pick(s.counters), window.startMillis, window.endMillis),
            window,
          ),
        ),
      );
  const sum = increaseOf((c) => c.sum);
  const count = increaseOf((c) => c.count);

  switch (statistic.kind) {
    case "quantile":
      return fromBuckets((buckets) => bucketQuantile(statistic.q, buckets));
    case "max":
      return fromBuckets((buckets) => bucketQuantile(1, buckets));
    case "min":
      return fromBuckets(bucketMin);
    case "distribution":
      return fromBuckets((buckets) => totalCount(bucketCounts(buckets)));
    case "avg":
      return (series, window) => {
        const total = sum(series, window);
        const observations = count(series, window);
        if (total === undefined || observations === undefined) return undefined;
        return total / observations;
      };
    case "sum":
      return sum;
    case "count":
    case "increase":
      return count;
    case "rate":
      return (series, window) =>
        sumDefined(
          series.map((s) =>
            counterRate(
              pointsIn(s.counters.count, window.startMillis, window.endMillis),
              window,
            ),
          ),
        );
    default:
      throw notDefined(statistic, "histogram");
  }
}

/** A statistic of the buckets' increases summed across the group, by bound. */
function fromBuckets(
  compute: (buckets: CumulativeBucket[]) => number,
): GroupStatistic<HistogramSeries> {
  return (series, window) => {
    const buckets = bucketIncreases(series, window);
    return buckets === undefined ? undefined : compute(buckets);
  };
}

/** The distribution statistic's buckets (see model.ts). */
function distributionOf(
  series: readonly HistogramSeries[],
  window: CounterWindow,
): BucketCount[] | undefined {
  const buckets = bucketIncreases(series, window);
  return buckets === undefined ? undefined : bucketCounts(buckets);
}

/**
 * Each bucket's increase summed across the group by bound, as
 * `sum by (le) (increase(…_bucket[window]))`; undefined when no bucket has
 * two samples in the window.
 */
function bucketIncreases(
  series: readonly HistogramSeries[],
  window: CounterWindow,
): CumulativeBucket[] | undefined {
  const totals = new Map<number, number>();
  for (const { counters } of series) {
    for (const [bound, points] of counters.buckets) {
      const windowed = pointsIn(points, window.startMillis, window.endMillis);
      const increase = counterIncrease(windowed, window);
      if (increase !== undefined) {
        totals.set(bound, (totals.get(bound) ?? 0) + increase);
      }
    }
  }
  if (totals.size === 0) return undefined;
  return [...totals].map(([upperBound, count]) => ({ upperBound, count }));
}

// A report asks many questions of one histogram series at once, and the
// embedded store hands each the same points array (one read shared by the
// questions of a turn): each array is split once, not once per question.
const countersOfPoints = new WeakMap<
  readonly HistogramPoint[],
  HistogramCounters
>();

/** Splits histogram samples into per-bucket cumulative counters, sum and count. */
export function histogramCounters(
  points: readonly HistogramPoint[],
): HistogramCounters {
  let counters = countersOfPoints.get(points);
  if (counters === undefined) {
    counters = splitHistogram(points);
    countersOfPoints.set(points, counters);
  }
  return counters;
}

function splitHistogram(points: readonly HistogramPoint[]): HistogramCounters {
  const buckets = new Map<number, NumberPoint[]>();
  const sum: NumberPoint[] = [];
  const count: NumberPoint[] = [];
  for (const point of points) {
    const { timeMillis } = point;
    for (const bucket of cumulativeBuckets(point)) {
      const series = buckets.get(bucket.upperBound) ?? [];
      series.push({ timeMillis, value: bucket.count });
      buckets.set(bucket.upperBound, series);
    }
    sum.push({ timeMillis, value: point.sum });
    count.push({ timeMillis, value: point.count });
  }
  return { buckets, sum, count };
}

function inWindow(
  series: RawSeries,
  window: CounterWindow,
): readonly NumberPoint[] {
  return pointsIn(series.points, window.startMillis, window.endMillis);
}

/** A statistic of the group's samples in the window, pooled; none gives no answer. */
function pooled(
  compute: (values: number[]) => number,
): GroupStatistic<RawSeries> {
  return (series, window) => {
    const values = series.flatMap((s) =>
      inWindow(s, window).map((p) => p.value),
    );
    return values.length === 0 ? undefined : compute(values);
  };
}

/** A statistic of each series' last sample in the window. */
function lastValues(
  compute: (values: number[]) => number,
): GroupStatistic<RawSeries> {
  return (series, window) => {
    const values = series.flatMap((s) => {
      const last = inWindow(s, window).at(-1);
      return last === undefined ? [] : [last.value];
    });
    return values.length === 0 ? undefined : compute(values);
  };
}

/** The sum of the answers there are; none gives no answer (PromQL's `sum`). */
function sumDefined(
  values: ReadonlyArray<number | undefined>,
): number | undefined {
  const defined = values.filter((value) => value !== undefined);
  return defined.length === 0 ? undefined : sumOf(defined);
}

function notDefined(statistic: Statistic, shape: MetricShape): Error {
  return new Error(
    `BUG: ${statistic.kind} is not defined for ${shape} metrics; validateQuery should have refused the query`,
  );
}
