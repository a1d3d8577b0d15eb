/**
 * Average, 95th percentile, peak and peak time of a figure, asked of the store
 * for gauges and read off per-step rates for counters.
 */
import type { TimePoint } from "../query/analysis.js";
import type { AttributeFilter, SeriesResult } from "../query/model.js";
import {
  ask,
  byLabel,
  cleanPoints,
  figure,
  finite,
  isoTime,
  type ReportContext,
} from "./context.js";
import type { ChartSeries, Labelled, Summary } from "./types.js";

/**
 * The q-quantile of values with linear interpolation between closest ranks
 * (rank q·(n-1)), as PromQL's `quantile_over_time`; undefined for none.
 */
export function quantileOfValues(
  values: readonly number[],
  q: number,
): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** The earliest point holding the largest value, or undefined for none. */
export function peakPoint(points: readonly TimePoint[]): TimePoint | undefined {
  let best: TimePoint | undefined;
  for (const point of points) {
    if (best === undefined || point[1] > best[1]) best = point;
  }
  return best;
}

/** A summary with its chart line, for one group. */
export interface SummaryWithSeries {
  readonly label: string;
  readonly summary: Summary;
  readonly series: ChartSeries;
}

/** How to summarize a gauge. */
export interface GaugeOptions {
  readonly filters?: readonly AttributeFilter[];
  /** One summary per value of this attribute; one overall when absent. */
  readonly groupKey?: string;
  /**
   * Summarize 1 - value: CPU busy from the idle fraction. The statistics
   * flip with it (peak from the minimum, p95 from the 5th percentile).
   */
  readonly complement?: boolean;
}

/** Summaries of a gauge (one per group), with chart lines. */
export async function summarizeGauge(
  ctx: ReportContext,
  metric: string,
  unit: string,
  options: GaugeOptions = {},
): Promise<SummaryWithSeries[]> {
  const { filters = [], groupKey, complement = false } = options;
  const groupBy = groupKey === undefined ? [] : [groupKey];
  const at = { filters, groupBy };
  const [avg, p95, peak, steps] = await Promise.all([
    ask(ctx, metric, { kind: "avg" }, at),
    ask(ctx, metric, { kind: "quantile", q: complement ? 0.05 : 0.95 }, at),
    ask(ctx, metric, { kind: complement ? "min" : "max" }, at),
    ask(
      ctx,
      metric,
      { kind: complement ? "min" : "max" },
      { ...at, stepped: true },
    ),
  ]);
  const flip = (v: number | undefined) =>
    complement && v !== undefined ? 1 - v : v;
  const p95s = byLabel(p95, groupKey);
  const peaks = byLabel(peak, groupKey);
  const stepsByLabel = byLabel(steps, groupKey);
  return [...byLabel(avg, groupKey)].flatMap(([label, series]) => {
    const points = cleanPoints(stepsByLabel.get(label)).map(
      ([t, v]) => [t, flip(v)!] as const,
    );
    const summary: Summary = {
      avg: figure(flip(finite(series.value)), unit),
      p95: figure(flip(valueOf(p95s.get(label))), unit),
      peak: figure(flip(valueOf(peaks.get(label))), unit),
      peakAt: isoTime(peakPoint(points)?.[0]),
    };
    if (summary.avg.value === null) return [];
    return [{ label, summary, series: { label, points } }];
  });
}

/**
 * Summaries of a counter's rate (one per group): the average is the rate over
 * the whole window; the 95th percentile and the peak are read off the rates
 * of the steps.
 */
export async function summarizeRate(
  ctx: ReportContext,
  metric: string,
  unit: string,
  groupKey: string,
  filters: readonly AttributeFilter[] = [],
): Promise<SummaryWithSeries[]> {
  const at = { filters, groupBy: [groupKey] };
  const [overall, steps] = await Promise.all([
    ask(ctx, metric, { kind: "rate" }, at),
    ask(ctx, metric, { kind: "rate" }, { ...at, stepped: true }),
  ]);
  const stepsByLabel = byLabel(steps, groupKey);
  return [...byLabel(overall, groupKey)].flatMap(([label, series]) => {
    const avg = finite(series.value);
    if (avg === undefined) return [];
    const points = cleanPoints(stepsByLabel.get(label));
    const peak = peakPoint(points);
    const values = points.map(([, v]) => v);
    const summary: Summary = {
      avg: figure(avg, unit),
      p95: figure(quantileOfValues(values, 0.95), unit),
      peak: figure(peak?.[1], unit),
      peakAt: isoTime(peak?.[0]),
    };
    return [{ label, summary, series: { label, points } }];
  });
}

function valueOf(series: SeriesResult | undefined): number | undefined {
  return finite(series?.value);
}

/** The summary rows of summaries, labelled. */
export function labelled(
  rows: readonly SummaryWithSeries[],
): Labelled<Summary>[] {
  return rows.map(({ label, summary }) => ({ label, ...summary }));
}

/** A summary with every figure null, for a figure without data. */
export function emptySummary(unit: string): Summary {
  const none = figure(undefined, unit);
  return { avg: none, p95: none, peak: none, peakAt: null };
}
