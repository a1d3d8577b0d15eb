/** Building charts that never come out empty. */
import type { Chart, ChartSeries } from "../types.js";

/**
 * A chart of the series that have points, or undefined when none has: the
 * report shows no empty chart.
 */
export function chart(
  id: string,
  title: string,
  unit: string,
  series: readonly ChartSeries[],
): Chart | undefined {
  const drawn = series.filter((s) => s.points.length > 0);
  if (drawn.length === 0) return undefined;
  return { id, title, unit, series: drawn };
}

/** The charts that exist, in order. */
export function charts(...built: Array<Chart | undefined>): Chart[] {
  return built.flatMap((c) => (c === undefined ? [] : [c]));
}
