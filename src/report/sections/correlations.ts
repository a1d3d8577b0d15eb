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
  const charted = series.filter((s) => s.points.length >= MIN_POINTS);
  const pairs = strongestPairs(charted);
  return { hasData: charted.length >= 2, pairs, charts: [] };
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
