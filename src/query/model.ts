/**
 * The query model: one question about stored series, asked the same way by
 * `stats`, `status`, alert rules and report sections, and answered by every
 * store (the embedded one and any Prometheus-compatible API).
 *
 * ## What each statistic means
 *
 * This table is the definition both stores follow; the embedded store
 * computes it with the functions of `evaluate.ts`, the Prometheus store
 * compiles it to the PromQL shown. A query's window is the closed interval
 * [start, end] (Prometheus 2.x range selectors; Prometheus 3 leaves the start
 * out, which changes answers only for a sample exactly on it). The series of
 * a group are the series whose group-by attributes are equal.
 *
 * Gauges (gauges and up-down counters): the raw samples of the group's series
 * are pooled.
 * - avg, min, max, count: of the pooled samples
 *   (`sum(sum_over_time) / sum(count_over_time)`, `min(min_over_time)`, …).
 * - quantile q: of the pooled samples, interpolated as `quantile_over_time`
 *   does.
 * - last: the mean of each series' most recent sample (`avg(last_over_time)`).
 * - sum: the sum of each series' most recent sample, the group's total at the
 *   end of the window (`sum(last_over_time)`).
 * - rate, increase, distribution: not defined.
 *
 * Counters (monotonic sums, delta ones first made cumulative):
 * - increase and sum: the sum over series of Prometheus' `increase`, which
 *   counts a drop in value as a reset and extrapolates to the window's edges.
 * - rate: the sum over series of `rate`, i.e. increase / window seconds.
 * - count: the number of samples; last: the sum of each series' most recent
 *   value (the total since the counters started).
 * - avg, min, max, quantile, distribution: not defined (ask for rate).
 *
 * Histograms (explicit buckets): each bucket's cumulative count is a counter.
 * - quantile q: `histogram_quantile` over the sum across series of each
 *   bucket's increase; min and max are the bounds of the lowest and highest
 *   non-empty bucket (max is quantile 1).
 * - avg: increase of the sum / increase of the count; sum: increase of the
 *   sum; count and increase: increase of the count; rate: observations per
 *   second.
 * - distribution: the number of observations in each bucket over the
 *   window. Each bucket's cumulative count increases as a counter; the
 *   increases are summed across the group's series by upper bound
 *   (`sum by (le, <group-by>) (increase(<name>_bucket[window]))`), made
 *   non-decreasing in the bound (separately extrapolated buckets can cross),
 *   and differenced into per-bucket counts, lowest bucket first: the first
 *   from −Infinity,
 *   each next one from the bound below it, the last up to +Infinity. The
 *   result's `buckets` holds them (see BucketCount) and its value is their
 *   total (as a rule the +Inf bucket's increase, i.e. count). A range
 *   query's points are each step's total; the buckets cover the whole range.
 * - last: not defined.
 *
 * A series with too few samples for a statistic (none; one for increase and
 * rate) gives no answer; a group with no answer is left out of the result.
 * Increases are extrapolated as Prometheus does, so a histogram's count over
 * a window that does not start and end on samples need not be whole.
 *
 * Attribute keys are OpenTelemetry's (`http.route`); the Prometheus store
 * reads them as the collector writes them (`http_route`). Resource
 * attributes that the collector turns into `job` and `instance` (such as
 * `service.name`) cannot be filtered on by their OpenTelemetry key there.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/
 */

/** A statistic computed over a time window. */
export type Statistic =
  | { readonly kind: "avg" }
  | { readonly kind: "min" }
  | { readonly kind: "max" }
  | { readonly kind: "sum" }
  | { readonly kind: "count" }
  | { readonly kind: "last" }
  | { readonly kind: "rate" }
  | { readonly kind: "increase" }
  /** Observations per bucket of a histogram: the answer carries `buckets`. */
  | { readonly kind: "distribution" }
  /** A quantile in [0, 1], from histogram buckets or from raw gauge samples. */
  | { readonly kind: "quantile"; readonly q: number };

/**
 * The kinds of the statistics that answer one number per group, for
 * validation and help texts (alert rules take these). `distribution`
 * answers buckets and is left out; parseStatistic takes it by name.
 */
export const STATISTIC_KINDS = [
  "avg",
  "min",
  "max",
  "sum",
  "count",
  "last",
  "rate",
  "increase",
  "quantile",
] as const;

/** How the samples of a metric are read: the catalog metric's shape. */
export type MetricShape = "gauge" | "counter" | "histogram";

/** How a filter compares an attribute with its value (PromQL's matchers). */
export type FilterOperator = "=" | "!=" | "=~" | "!~";

/** One attribute filter; regexes match the whole value, as in PromQL. */
export interface AttributeFilter {
  readonly key: string;
  readonly op: FilterOperator;
  readonly value: string;
}

/** A question about one metric over a time range. */
export interface Query {
  /** The catalog (OpenTelemetry) name of the metric, already resolved. */
  readonly metric: string;
  readonly statistic: Statistic;
  /** Start of the window, epoch milliseconds, inclusive. */
  readonly startMillis: number;
  /** End of the window, epoch milliseconds, inclusive. */
  readonly endMillis: number;
  /**
   * When set, a range query as well: one point at start, start + step, …
   * up to end, each computed over the `windowSeconds` (default: the step)
   * that end at that point.
   */
  readonly stepSeconds?: number;
  readonly windowSeconds?: number;
  readonly filters: readonly AttributeFilter[];
  /** Attribute keys to group by; empty means one answer over all series. */
  readonly groupBy: readonly string[];
}

/** One answer per group. */
export interface SeriesResult {
  /** The group-by attributes of this answer; attributes a group lacks are left out. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The statistic over the whole range (NaN where the data gives none, e.g.
   * a quantile of a histogram without observations).
   */
  readonly value: number;
  /** For range queries: [time in ms, value] at each step with a number. */
  readonly points?: ReadonlyArray<readonly [number, number]>;
  /**
   * Only for the `distribution` statistic: the observations in each bucket
   * over the whole range, lowest bucket first; `value` is their total.
   */
  readonly buckets?: readonly BucketCount[];
}

/**
 * The observations of one histogram bucket over a window: those greater
 * than `lowerBound` and at most `upperBound`, in the metric's unit. The
 * first bucket's lower bound is −Infinity and the last one's upper bound
 * +Infinity (both `null` once serialized as JSON). Counts are increases,
 * extrapolated to the window's edges as Prometheus does, so need not be
 * whole.
 *
 * @example { lowerBound: 3, upperBound: 4, count: 288 } // 288 scores of 4 out of 1 to 5
 */
export interface BucketCount {
  readonly lowerBound: number;
  readonly upperBound: number;
  readonly count: number;
}

/** The answer to a query. */
export interface QueryResult {
  readonly query: Query;
  /** The unit of `value`: the metric's unit, `X/s` for rates, `1` for counts. */
  readonly unit: string;
  readonly series: readonly SeriesResult[];
}

/** The query cannot be asked as it is: an unknown metric, a statistic its shape lacks, a bad range. */
export class QueryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QueryError";
  }
}
