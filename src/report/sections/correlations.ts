/**
 * Correlations: the pairs of key figures whose steps moved together most,
 * by Pearson's coefficient over the steps both have.
 */
import { alignSeries, pearson, type TimePoint } from "../../query/analysis.js";
import { figure, type ReportContext } from "../context.js";
import { KEY_FIGURES } from "../key-figures.js";
import type { CorrelationPair, CorrelationsSection } from "../types.js";

/** Fewer shared steps than this say nothing worth a line. */
export const MIN_POINTS = 6;
/** Pairs weaker than this (in absolute value) are not listed. */
export const MIN_COEFFICIENT = 0.5;
const TOP_PAIRS = 5;
// Relative spread below which a series counts as constant.
const FLAT_RELATIVE_RANGE = 1e-9;

/** Builds the correlations section. */
export async function correlationsSection(
  ctx: ReportContext,
): Promise<CorrelationsSection> {
  const series = await Promise.all(
    KEY_FIGURES.map(async (k) => ({
      title: k.title,
      points: await k.steps(ctx, ctx.current),
    })),
  );
  const charted = series.filter(
    (s) => s.points.length >= MIN_POINTS && !flat(s.points),
  );
  const pairs = strongestPairs(charted);
  return { hasData: charted.length >= 2, pairs, charts: [] };
}

/**
 * Whether a series is constant but for rounding: stores compute the same
 * figure step by step with float noise, and Pearson's r of noise is noise.
 */
export function flat(points: readonly TimePoint[]): boolean {
  const values = points.map(([, v]) => v);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const scale = Math.max(Math.abs(low), Math.abs(high), Number.MIN_VALUE);
  return (high - low) / scale < FLAT_RELATIVE_RANGE;
}

/** The strongest pairs among named series, strongest first. */
export function strongestPairs(
  series: ReadonlyArray<{
    readonly title: string;
    readonly points: readonly TimePoint[];
  }>,
): CorrelationPair[] {
  const pairs: CorrelationPair[] = [];
  for (let i = 0; i < series.length; i++) {
    for (let j = i + 1; j < series.length; j++) {
      const { xs, ys } = alignSeries(series[i]!.points, series[j]!.points);
      if (xs.length < MIN_POINTS) continue;
      const r = pearson(xs, ys);
      if (r === undefined || Math.abs(r) < MIN_COEFFICIENT) continue;
      pairs.push({
        a: series[i]!.title,
        b: series[j]!.title,
        coefficient: figure(r, "1"),
        points: xs.length,
      });
    }
  }
  return pairs
    .sort(
      (p, q) => Math.abs(q.coefficient.value!) - Math.abs(p.coefficient.value!),
    )
    .slice(0, TOP_PAIRS);
}
