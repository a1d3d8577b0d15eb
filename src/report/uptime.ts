/**
 * Uptime from a series' own gaps: the app exports on a regular interval, so
 * a stretch without samples much longer than that interval is time it was
 * down (or could not reach the collector, which an operator reads the same).
 */

/** A stretch without samples, in ms since the epoch. */
export interface GapMillis {
  readonly fromMillis: number;
  readonly toMillis: number;
}

/** What the sample times of a series say about when it was up. */
export interface Presence {
  /** The usual time between samples: the median spacing. */
  readonly intervalMillis: number;
  readonly gaps: readonly GapMillis[];
  readonly downtimeMillis: number;
  /** From the step holding the first sample to the end of the window. */
  readonly observedMillis: number;
  /** Time up: observed time less downtime, capped by the window's end. */
  readonly upMillis: number;
}

/** How many usual intervals without a sample make a gap. */
export const GAP_FACTOR = 3;

/**
 * Reads gaps off the times a series had samples (sorted or not). A gap is a
 * spacing over {@link GAP_FACTOR} usual intervals, and counts as down from
 * one interval after the last sample to the next sample; silence from the
 * last sample to `endMillis` counts the same way. Time before the first
 * sample is not counted: the app may not have been monitored yet.
 *
 * The times are the ends of a range query's steps that held a sample, so a
 * sample lies up to one step before its time; a sample exactly on a step
 * boundary shows in two steps, which real export times almost never are.
 *
 * @param stepMillis the resolution of the times (the range query's step):
 *   the interval is never taken below it.
 */
export function presence(
  times: readonly number[],
  window: { readonly startMillis: number; readonly endMillis: number },
  stepMillis: number,
): Presence | undefined {
  const { startMillis, endMillis } = window;
  if (times.length === 0) return undefined;
  const sorted = [...times].sort((a, b) => a - b);
  const spacings = sorted.slice(1).map((t, i) => t - sorted[i]!);
  const intervalMillis = Math.max(median(spacings) ?? 0, stepMillis);
  const limit = GAP_FACTOR * intervalMillis;
  const gaps: GapMillis[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    if (sorted[i]! - previous > limit) {
      gaps.push({
        fromMillis: previous + intervalMillis,
        toMillis: sorted[i]!,
      });
    }
  }
  const last = sorted[sorted.length - 1]!;
  if (endMillis - last > limit) {
    gaps.push({ fromMillis: last + intervalMillis, toMillis: endMillis });
  }
  const downtimeMillis = gaps.reduce(
    (s, g) => s + g.toMillis - g.fromMillis,
    0,
  );
  const firstMillis = Math.max(startMillis, sorted[0]! - stepMillis);
  const observedMillis = Math.max(0, endMillis - firstMillis);
  return {
    intervalMillis,
    gaps,
    downtimeMillis,
    observedMillis,
    upMillis: Math.max(0, observedMillis - downtimeMillis),
  };
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
