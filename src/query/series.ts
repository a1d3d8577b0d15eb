/**
 * The raw series the query maths works on: samples as a store hands them
 * over, before any statistic. Stores convert their own records into these
 * (the embedded store's samples already have this shape).
 */

/** A gauge or counter sample. */
export interface NumberPoint {
  readonly timeMillis: number;
  readonly value: number;
}

/** An explicit-bucket histogram sample, as OTLP carries it. */
export interface HistogramPoint {
  readonly timeMillis: number;
  readonly count: number;
  readonly sum: number;
  /** Upper bounds, ascending; the last bucket (+Inf) has none. */
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts, `bounds.length + 1` of them. */
  readonly bucketCounts: readonly number[];
}

/** One series: its labels and its samples, oldest first. */
export interface RawSeries<P = NumberPoint> {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly P[];
}

/**
 * A delta sum as the cumulative series a cumulative exporter would have sent:
 * the running total of the deltas. Answers over it equal the answers over the
 * cumulative series as long as both start at the same point.
 *
 * @see https://opentelemetry.io/docs/specs/otel/metrics/data-model/#sums-delta-to-cumulative
 */
export function cumulativeFromDelta(
  points: readonly NumberPoint[],
): NumberPoint[] {
  let total = 0;
  return points.map(({ timeMillis, value }) => {
    total += value;
    return { timeMillis, value: total };
  });
}

/**
 * A delta histogram as the cumulative one: running totals of the count, the
 * sum and each bucket. A change of bounds starts the totals again, which the
 * counter maths then sees as a reset.
 */
export function cumulativeHistogramFromDelta(
  points: readonly HistogramPoint[],
): HistogramPoint[] {
  let total: HistogramPoint | undefined;
  return points.map((point) => {
    if (total === undefined || !sameBounds(total.bounds, point.bounds)) {
      total = { ...point, bucketCounts: [...point.bucketCounts] };
      return total;
    }
    const previous: HistogramPoint = total;
    total = {
      timeMillis: point.timeMillis,
      count: previous.count + point.count,
      sum: previous.sum + point.sum,
      bounds: point.bounds,
      bucketCounts: point.bucketCounts.map(
        (count, i) => count + (previous.bucketCounts[i] ?? 0),
      ),
    };
    return total;
  });
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

/** The points with a time in [fromMillis, toMillis], given points oldest first. */
export function pointsIn<P extends { readonly timeMillis: number }>(
  points: readonly P[],
  fromMillis: number,
  toMillis: number,
): readonly P[] {
  const first = firstIndexAtOrAfter(points, fromMillis);
  const end = firstIndexAtOrAfter(points, toMillis + 1);
  return first === 0 && end === points.length
    ? points
    : points.slice(first, end);
}

// Binary search: range queries cut many windows out of one series.
function firstIndexAtOrAfter(
  points: readonly { readonly timeMillis: number }[],
  timeMillis: number,
): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((points[middle]?.timeMillis ?? Infinity) < timeMillis) low = middle + 1;
    else high = middle;
  }
  return low;
}
