/**
 * Counter increase and rate over a window, exactly as Prometheus' `increase`
 * and `rate` compute them (version 2.x): a drop in value is a reset (the
 * counter restarted from zero), and the increase between the first and last
 * sample is extrapolated towards the window's edges, but never further than
 * half a sample interval beyond the samples, and never to below zero.
 *
 * Extrapolation is kept so that the embedded store and a Prometheus store
 * give the same answers over the same samples. When the samples sit on both
 * edges of the window, as they do for a window aligned with the scrape or
 * export interval, nothing is extrapolated: a counter sampled every 5 minutes
 * at 0, 1, 2, 3, 2, 3, 4 increases by exactly 7 over those 30 minutes.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#increase
 * @see https://github.com/prometheus/prometheus/blob/v2.42.0/promql/functions.go (extrapolatedRate)
 */
import type { NumberPoint } from "./series.js";

/** The window a counter statistic covers, in epoch milliseconds, both ends included. */
export interface CounterWindow {
  readonly startMillis: number;
  readonly endMillis: number;
}

/**
 * The increase of a counter over a window from the samples inside it, or
 * undefined with fewer than two samples (Prometheus returns no value then).
 */
export function counterIncrease(
  points: readonly NumberPoint[],
  window: CounterWindow,
): number | undefined {
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined || points.length < 2) {
    return undefined;
  }

  const raw = increaseWithResets(points);
  const sampledSeconds = (last.timeMillis - first.timeMillis) / 1000;
  const averageGapSeconds = sampledSeconds / (points.length - 1);
  let toStartSeconds = (first.timeMillis - window.startMillis) / 1000;
  const toEndSeconds = (window.endMillis - last.timeMillis) / 1000;

  // A counter cannot have been below zero: extrapolate at most to where the
  // slope meets zero.
  if (raw > 0 && first.value >= 0) {
    const toZeroSeconds = sampledSeconds * (first.value / raw);
    if (toZeroSeconds < toStartSeconds) toStartSeconds = toZeroSeconds;
  }

  // Samples close to an edge (within 1.1 average gaps) are extrapolated to
  // it; otherwise by half a gap, as the next sample would be about there.
  const threshold = averageGapSeconds * 1.1;
  const extend = (gap: number) =>
    gap < threshold ? gap : averageGapSeconds / 2;
  const coveredSeconds =
    sampledSeconds + extend(toStartSeconds) + extend(toEndSeconds);
  return raw * (coveredSeconds / sampledSeconds);
}

/** The per-second rate of a counter over a window: its increase / the window's length. */
export function counterRate(
  points: readonly NumberPoint[],
  window: CounterWindow,
): number | undefined {
  const increase = counterIncrease(points, window);
  if (increase === undefined) return undefined;
  return increase / ((window.endMillis - window.startMillis) / 1000);
}

/**
 * The last value minus the first, adding back the value before each drop:
 * after a reset the counter counted up again from zero.
 */
export function increaseWithResets(points: readonly NumberPoint[]): number {
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined) return 0;

  let result = last.value - first.value;
  let previous = first.value;
  for (const { value } of points) {
    if (value < previous) result += previous;
    previous = value;
  }
  return result;
}
