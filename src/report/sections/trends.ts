/**
 * Trends: each key figure against the previous period, with its slope over
 * this one; a change is called out only when it stands out of the noise.
 */
import { compareSamples, linearFit } from "../../query/analysis.js";
import { figure, isoTime, ratio, type ReportContext } from "../context.js";
import { KEY_FIGURES, type KeyFigure } from "../key-figures.js";
import type { ReportWindow, TrendItem, TrendsSection } from "../types.js";

/** A change must be this likely not noise (p below it) to be called out. */
export const SIGNIFICANCE = 0.05;
/** …and this large, relative to the previous value or the period's mean. */
export const MIN_RELATIVE_CHANGE = 0.05;

/** Builds the trends section. */
export async function trendsSection(
  ctx: ReportContext,
): Promise<TrendsSection> {
  const items = await Promise.all(KEY_FIGURES.map((k) => trend(ctx, k)));
  const withData = items.filter((item) => item.current.value !== null);
  return {
    hasData: withData.length > 0,
    previousWindow:
      ctx.previous === null
        ? null
        : ({
            start: isoTime(ctx.previous.startMillis)!,
            end: isoTime(ctx.previous.endMillis)!,
            seconds: (ctx.previous.endMillis - ctx.previous.startMillis) / 1000,
          } satisfies ReportWindow),
    items: withData,
    charts: [],
  };
}

async function trend(ctx: ReportContext, key: KeyFigure): Promise<TrendItem> {
  const previous = ctx.previous;
  const [current, before, steps, stepsBefore] = await Promise.all([
    key.value(ctx, ctx.current),
    previous ? key.value(ctx, previous) : undefined,
    key.steps(ctx, ctx.current),
    previous ? key.steps(ctx, previous) : [],
  ]);
  const fit = linearFit(steps);
  const comparison = compareSamples(
    steps.map(([, v]) => v),
    stepsBefore.map(([, v]) => v),
  );
  const change =
    current === undefined
      ? undefined
      : ratio(current - (before ?? NaN), before);
  const slopePerHour = fit && fit.slopePerSecond * 3600;
  const hours = (ctx.current.endMillis - ctx.current.startMillis) / 3_600_000;
  const drift =
    slopePerHour === undefined
      ? undefined
      : ratio(slopePerHour * hours, current);
  const changeStandsOut =
    comparison !== undefined &&
    comparison.pValue < SIGNIFICANCE &&
    change !== undefined &&
    Math.abs(change) >= MIN_RELATIVE_CHANGE;
  const slopeStandsOut =
    fit !== undefined &&
    fit.pValue < SIGNIFICANCE &&
    drift !== undefined &&
    Math.abs(drift) >= MIN_RELATIVE_CHANGE;
  return {
    id: key.id,
    title: key.title,
    current: figure(current, key.unit),
    previous: figure(before, key.unit),
    change: figure(change, "1"),
    slope: figure(slopePerHour, `${key.unit}/h`),
    slopePValue: figure(fit && fit.n > 2 ? fit.pValue : undefined, "1"),
    changePValue: figure(comparison?.pValue, "1"),
    notable: changeStandsOut || slopeStandsOut,
  };
}
