/**
 * Exponential histograms kept as explicit-bucket ones, so the quantile maths
 * has one histogram shape to read. A bucket of index i at scale s covers
 * (base^i, base^(i+1)] with base = 2^(2^-s); negative buckets mirror it.
 *
 * @see https://opentelemetry.io/docs/specs/otel/metrics/data-model/#exponentialhistogram
 */
import type { ExponentialHistogramDataPoint } from "./request.js";

/** Explicit bounds and per-bucket counts (`bounds.length + 1` of them). */
export interface ExplicitBuckets {
  readonly bounds: number[];
  readonly bucketCounts: bigint[];
}

/** The same counts under explicit upper bounds, ascending. */
export function exponentialToExplicit(
  point: ExponentialHistogramDataPoint,
): ExplicitBuckets {
  const ranges: Array<[upper: number, count: bigint]> = [];
  const { negative, positive, scale } = point;

  for (let k = negative.bucketCounts.length - 1; k >= 0; k--) {
    const lower = bucketBound(negative.offset + k, scale);
    ranges.push([-lower, negative.bucketCounts[k]!]);
  }
  ranges.push([point.zeroThreshold, point.zeroCount]);
  positive.bucketCounts.forEach((count, k) => {
    ranges.push([bucketBound(positive.offset + k + 1, scale), count]);
  });
  return toExplicit(ranges);
}

/**
 * Ranges (upper bound, count), ascending, to explicit buckets. Ranges whose
 * bound is not above the previous one merge into it; bounds beyond a double
 * fold into the first or the overflow bucket. The zero range is always finite
 * (the receiver refuses other zero thresholds), so there is a first bucket.
 */
function toExplicit(
  ranges: ReadonlyArray<readonly [number, bigint]>,
): ExplicitBuckets {
  const bounds: number[] = [];
  const bucketCounts: bigint[] = [];
  let underflow = 0n;
  let overflow = 0n;

  for (const [upper, count] of ranges) {
    const last = bounds.at(-1);
    if (upper === -Infinity) underflow += count;
    else if (upper === Infinity) overflow += count;
    else if (last === undefined || upper > last) {
      bounds.push(upper);
      bucketCounts.push(count);
    } else bucketCounts[bucketCounts.length - 1]! += count;
  }

  bucketCounts[0]! += underflow;
  bucketCounts.push(overflow);
  return { bounds, bucketCounts };
}

function bucketBound(index: number, scale: number): number {
  return 2 ** (index * 2 ** -scale);
}
