/**
 * Analysis maths that is not a per-window statistic: linear trend with its
 * significance, linear forecasts (PromQL's `predict_linear`), comparison of
 * two periods, and Pearson correlation of aligned series. Pure functions over
 * the `[time in ms, value]` points that range queries return.
 */

/** A point of a range query: time in ms since the epoch, value. */
export type TimePoint = readonly [number, number];

/** A least-squares line through time points, with its significance. */
export interface LinearFit {
  /** Points the fit used. */
  readonly n: number;
  /** Change of the value per second. */
  readonly slopePerSecond: number;
  /** Fitted value at `originMillis`. */
  readonly interceptAtOrigin: number;
  /** The mean time of the points, where the intercept is taken (ms). */
  readonly originMillis: number;
  /** Coefficient of determination, in [0, 1] (1 for a perfect line). */
  readonly rSquared: number;
  /**
   * Two-sided p-value of the slope against "no trend" (Student's t with
   * n - 2 degrees of freedom); 1 with fewer than 3 points.
   */
  readonly pValue: number;
}

/**
 * Fits a line through the points by ordinary least squares.
 * Returns undefined with fewer than two points or when all share one time.
 *
 * @example linearFit([[0, 1], [1000, 3]]).slopePerSecond === 2
 */
export function linearFit(points: readonly TimePoint[]): LinearFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  // Centring on the mean time keeps epoch milliseconds from eating precision.
  const originMillis = mean(points.map(([t]) => t));
  const meanY = mean(points.map(([, v]) => v));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [t, v] of points) {
    const dx = (t - originMillis) / 1000;
    const dy = v - meanY;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return undefined;
  const slopePerSecond = sxy / sxx;
  const residual = Math.max(0, syy - slopePerSecond * sxy);
  const rSquared = syy === 0 ? 1 : 1 - residual / syy;
  return {
    n,
    slopePerSecond,
    interceptAtOrigin: meanY,
    originMillis,
    rSquared,
    pValue: slopePValue(n, slopePerSecond, residual, sxx),
  };
}

function slopePValue(
  n: number,
  slope: number,
  residual: number,
  sxx: number,
): number {
  if (n < 3) return 1;
  const df = n - 2;
  const standardError = Math.sqrt(residual / df / sxx);
  if (standardError === 0) return slope === 0 ? 1 : 0;
  return studentTwoSidedP(slope / standardError, df);
}

/**
 * The value the least-squares line through the points takes at `atMillis`,
 * as PromQL's `predict_linear` does over a range vector.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#predict_linear
 */
export function predictLinear(
  points: readonly TimePoint[],
  atMillis: number,
): number | undefined {
  const fit = linearFit(points);
  if (fit === undefined) return undefined;
  return valueAt(fit, atMillis);
}

/** The fitted value at a time. */
export function valueAt(fit: LinearFit, atMillis: number): number {
  return (
    fit.interceptAtOrigin +
    (fit.slopePerSecond * (atMillis - fit.originMillis)) / 1000
  );
}

/**
 * When the least-squares line through the points reaches `threshold`, as a
 * time in ms; `fromMillis` when the fitted value there is already at or over
 * it; undefined when the line is flat or falling, so never reaches it.
 *
 * @example a disk at 50% growing 1% an hour reaches 100% 50 hours on.
 */
export function timeToReach(
  points: readonly TimePoint[],
  threshold: number,
  fromMillis: number,
): number | undefined {
  const fit = linearFit(points);
  if (fit === undefined) return undefined;
  if (valueAt(fit, fromMillis) >= threshold) return fromMillis;
  if (fit.slopePerSecond <= 0) return undefined;
  const seconds = (threshold - fit.interceptAtOrigin) / fit.slopePerSecond;
  return fit.originMillis + seconds * 1000;
}

/** Two samples compared by Welch's t-test. */
export interface SampleComparison {
  readonly meanA: number;
  readonly meanB: number;
  /** Two-sided p-value that the means differ only by noise. */
  readonly pValue: number;
}

/**
 * Compares the means of two samples (say, a figure's step values this period
 * and the period before) with Welch's t-test, which does not assume equal
 * variances. Undefined when either sample has fewer than two values.
 *
 * @see https://en.wikipedia.org/wiki/Welch%27s_t-test
 */
export function compareSamples(
  a: readonly number[],
  b: readonly number[],
): SampleComparison | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const meanA = mean(a);
  const meanB = mean(b);
  const va = variance(a, meanA) / a.length;
  const vb = variance(b, meanB) / b.length;
  if (va + vb === 0) {
    return { meanA, meanB, pValue: meanA === meanB ? 1 : 0 };
  }
  const t = (meanA - meanB) / Math.sqrt(va + vb);
  const df =
    (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { meanA, meanB, pValue: studentTwoSidedP(t, df) };
}

/**
 * Pearson's correlation coefficient of two equally long samples, in
 * [-1, 1]; undefined with fewer than three pairs or when either is constant.
 */
export function pearson(
  xs: readonly number[],
  ys: readonly number[],
): number | undefined {
  if (xs.length !== ys.length) {
    throw new RangeError(
      `pearson: samples differ in length (${xs.length} and ${ys.length})`,
    );
  }
  if (xs.length < 3) return undefined;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return undefined;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * The values of two series at the times both have, in time order: range
 * queries over the same start and step line up on the same step times.
 */
export function alignSeries(
  a: readonly TimePoint[],
  b: readonly TimePoint[],
): { readonly xs: number[]; readonly ys: number[] } {
  const byTime = new Map(b.map(([t, v]) => [t, v]));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [t, v] of [...a].sort((p, q) => p[0] - q[0])) {
    const other = byTime.get(t);
    if (other === undefined) continue;
    xs.push(v);
    ys.push(other);
  }
  return { xs, ys };
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function variance(values: readonly number[], m: number): number {
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return sum / (values.length - 1);
}

/** P(|T| >= |t|) for Student's t with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

// The regularized incomplete beta function I_x(a, b), by the continued
// fraction of Numerical Recipes (6.4), evaluated with the modified Lentz
// method; the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) keeps it converging fast.
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) -
      logGamma(a) -
      logGamma(b) +
      a * Math.log(x) +
      b * Math.log(1 - x),
  );
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const coefficient of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + coefficient * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + coefficient / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-14) break;
  }
  return h;
}

// Lanczos approximation (g = 7, n = 9), good to ~15 digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028,
  771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

function logGamma(x: number): number {
  if (x < 0.5) {
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return (
    0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
  );
}
