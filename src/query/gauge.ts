/**
 * Statistics over raw gauge samples, as PromQL's `*_over_time` functions
 * compute them.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#aggregation_over_time
 */

/**
 * The q-quantile of values, interpolated between the two nearest ranks as
 * `quantile_over_time` does: NaN without values or for a NaN q, −Inf for
 * q < 0 and +Inf for q > 1.
 *
 * @example sampleQuantile(0.5, [1, 2, 3, 4]) // 2.5
 */
export function sampleQuantile(q: number, values: readonly number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;

  const sorted = [...values].sort(compareNaNFirst);
  const rank = q * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(sorted.length - 1, lower + 1);
  const weight = rank - lower;
  return (
    (sorted[lower] ?? NaN) * (1 - weight) + (sorted[upper] ?? NaN) * weight
  );
}

// Go's sort of float64s, which PromQL uses, puts NaN before every number.
function compareNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The smallest value, ignoring NaN unless every value is NaN (`min_over_time`). */
export function minOf(values: readonly number[]): number {
  let result = NaN;
  for (const value of values) {
    if (value < result || Number.isNaN(result)) result = value;
  }
  return result;
}

/** The largest value, ignoring NaN unless every value is NaN (`max_over_time`). */
export function maxOf(values: readonly number[]): number {
  let result = NaN;
  for (const value of values) {
    if (value > result || Number.isNaN(result)) result = value;
  }
  return result;
}

/** The sum of values. */
export function sumOf(values: readonly number[]): number {
  let result = 0;
  for (const value of values) result += value;
  return result;
}
