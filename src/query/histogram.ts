/**
 * Explicit-bucket histograms read from their cumulative bucket counts: the
 * observations per bucket (the distribution statistic), and quantiles
 * interpolated exactly as Prometheus' `histogram_quantile` does: linearly
 * inside the bucket that holds the rank, the first bucket starting at 0
 * (observations are assumed non-negative), and a rank in the +Inf bucket
 * answered with the highest finite bound, never +Inf.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile
 * @see https://github.com/prometheus/prometheus/blob/v2.42.0/promql/quantile.go (bucketQuantile)
 */
import type { BucketCount } from "./model.js";
import type { HistogramPoint } from "./series.js";

/** One bucket as Prometheus keeps it: an upper bound and the count at or below it. */
export interface CumulativeBucket {
  readonly upperBound: number;
  readonly count: number;
}

/**
 * The q-quantile of buckets with cumulative counts. NaN without
 * observations, without a +Inf bucket or with fewer than two buckets; −Inf
 * for q < 0, +Inf for q > 1 and NaN for a NaN q.
 *
 * @example bucketQuantile(0.5, [{ upperBound: 1, count: 2 }, { upperBound: Infinity, count: 4 }]) // 1
 */
export function bucketQuantile(
  q: number,
  buckets: readonly CumulativeBucket[],
): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;

  const sorted = normalize(buckets);
  if (sorted === undefined || sorted.length < 2) return NaN;
  const observations = sorted.at(-1)?.count ?? 0;
  if (observations === 0) return NaN;

  let rank = q * observations;
  // The +Inf bucket is never searched: a rank beyond the finite buckets is
  // answered below with the highest finite bound.
  const found = sorted.findIndex((bucket) => bucket.count >= rank);
  const b = found === -1 ? sorted.length - 1 : found;
  if (b === sorted.length - 1) return sorted[b - 1]?.upperBound ?? NaN;

  const bucket = sorted[b] as CumulativeBucket;
  if (b === 0 && bucket.upperBound <= 0) return bucket.upperBound;

  let bucketStart = 0;
  let count = bucket.count;
  const below = sorted[b - 1];
  if (below !== undefined) {
    bucketStart = below.upperBound;
    count -= below.count;
    rank -= below.count;
  }
  return bucketStart + (bucket.upperBound - bucketStart) * (rank / count);
}

/**
 * The lower bound of the lowest bucket with observations: no observation
 * lies below it. The first bucket starts at 0 when its bound is positive (as
 * in `histogram_quantile`); NaN without observations.
 */
export function bucketMin(buckets: readonly CumulativeBucket[]): number {
  const sorted = normalize(buckets);
  if (sorted === undefined || sorted.length < 2) return NaN;
  const b = sorted.findIndex((bucket) => bucket.count > 0);
  if (b === -1) return NaN;
  if (b === 0) {
    const first = sorted[0] as CumulativeBucket;
    return first.upperBound > 0 ? 0 : first.upperBound;
  }
  return sorted[b - 1]?.upperBound ?? NaN;
}

/**
 * The observations in each bucket, from cumulative counts: the distribution
 * statistic of model.ts. Lowest bucket first, the first from −Infinity and
 * each next one from the bound below it; counts made non-decreasing in the
 * bound first, so none is negative.
 *
 * @example bucketCounts([{ upperBound: 1, count: 2 }, { upperBound: Infinity, count: 5 }])
 * // [{ lowerBound: -Infinity, upperBound: 1, count: 2 }, { lowerBound: 1, upperBound: Infinity, count: 3 }]
 */
export function bucketCounts(
  buckets: readonly CumulativeBucket[],
): BucketCount[] {
  let lowerBound = -Infinity;
  let below = 0;
  return monotonic(buckets).map(({ upperBound, count }) => {
    const bucket = { lowerBound, upperBound, count: count - below };
    lowerBound = upperBound;
    below = count;
    return bucket;
  });
}

/** The observations of a distribution: the sum of its buckets' counts. */
export function totalCount(buckets: readonly BucketCount[]): number {
  return buckets.reduce((total, bucket) => total + bucket.count, 0);
}

/** Buckets as `monotonic` leaves them; undefined without a +Inf bucket. */
function normalize(
  buckets: readonly CumulativeBucket[],
): CumulativeBucket[] | undefined {
  if (!buckets.some((bucket) => bucket.upperBound === Infinity)) {
    return undefined;
  }
  return monotonic(buckets);
}

/**
 * Buckets sorted by bound, equal bounds merged and counts made monotonic
 * (float noise and separately extrapolated buckets can break both).
 */
function monotonic(buckets: readonly CumulativeBucket[]): CumulativeBucket[] {
  const sorted = [...buckets].sort((a, b) => a.upperBound - b.upperBound);
  const merged: CumulativeBucket[] = [];
  for (const bucket of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && last.upperBound === bucket.upperBound) {
      merged[merged.length - 1] = {
        upperBound: last.upperBound,
        count: last.count + bucket.count,
      };
    } else merged.push(bucket);
  }

  let highest = -Infinity;
  return merged.map(({ upperBound, count }) => {
    highest = Math.max(highest, count);
    return { upperBound, count: highest };
  });
}

/** The cumulative buckets of one histogram sample (+Inf last). */
export function cumulativeBuckets(point: HistogramPoint): CumulativeBucket[] {
  let total = 0;
  return point.bucketCounts.map((count, i) => {
    total += count;
    return { upperBound: point.bounds[i] ?? Infinity, count: total };
  });
}
