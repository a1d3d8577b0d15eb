/**
 * The short context an alert carries when it fires: the catalog metrics that
 * changed most over the alert's window against the window just before it,
 * so whoever is paged sees at a glance what else moved.
 */
import { catalog, type CatalogMetric } from "../metrics/catalog.js";
import type { Statistic } from "../query/model.js";
import type { MetricStore } from "../store/types.js";
import type { MetricChange } from "./state-file.js";

/** The window an alert is about, in ms since the epoch. */
export interface AlertWindow {
  readonly startMillis: number;
  readonly endMillis: number;
}

/**
 * The window of an alert that fires at `firedAtMillis`: from one rule window
 * before it went pending (the data that first met the condition) to when it
 * fired.
 *
 * A window ending at the firing time alone would, for a rule with a long
 * `for`, compare two stretches of the incident itself; one floored at
 * minutes would reach before the store's first sample on a young store,
 * as in the one-minute demo, leaving nothing to compare with.
 */
export function alertWindow(
  startedAtMillis: number,
  firedAtMillis: number,
  ruleWindowSeconds: number,
): AlertWindow {
  return {
    startMillis: startedAtMillis - ruleWindowSeconds * 1000,
    endMillis: firedAtMillis,
  };
}

// Counters compare by rate, histograms by p95, everything else by average.
function statisticFor(metric: CatalogMetric): Statistic {
  if (metric.shape === "counter") return { kind: "rate" };
  if (metric.shape === "histogram") return { kind: "quantile", q: 0.95 };
  return { kind: "avg" };
}

function statisticName(statistic: Statistic): string {
  return statistic.kind === "quantile"
    ? `p${statistic.q * 100}`
    : statistic.kind;
}

async function valueOver(
  store: MetricStore,
  metric: string,
  statistic: Statistic,
  startMillis: number,
  endMillis: number,
): Promise<number> {
  const result = await store.query({
    metric,
    statistic,
    startMillis,
    endMillis,
    filters: [],
    groupBy: [],
  });
  return result.series[0]?.value ?? Number.NaN;
}

/** One catalog metric over the window before and the alert's window. */
interface Reading {
  readonly metric: string;
  readonly statistic: string;
  readonly before: number;
  readonly after: number;
}

async function read(
  store: MetricStore,
  metric: CatalogMetric,
  window: AlertWindow,
): Promise<Reading | undefined> {
  const statistic = statisticFor(metric);
  const { startMillis, endMillis } = window;
  const length = endMillis - startMillis;
  try {
    const [before, after] = await Promise.all([
      valueOver(
        store,
        metric.name,
        statistic,
        startMillis - length,
        startMillis,
      ),
      valueOver(store, metric.name, statistic, startMillis, endMillis),
    ]);
    return {
      metric: metric.name,
      statistic: statisticName(statistic),
      before,
      after,
    };
  } catch {
    // Context is a hint and must not hold up an alert: a metric the store
    // fails on is left out.
    return undefined;
  }
}

function relativeChange(before: number, after: number): number {
  return before === 0
    ? Math.sign(after) * Infinity
    : (after - before) / Math.abs(before);
}

// Largest relative change first; changes from 0 (infinite) first of all,
// by metric name among themselves so the order does not depend on the store.
function byChange(a: MetricChange, b: MetricChange): number {
  const x = Math.abs(a.relativeChange);
  const y = Math.abs(b.relativeChange);
  if (x !== y) return y - x;
  return a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0;
}

/**
 * The `limit` catalog metrics with the largest relative change between the
 * alert's window and the window of the same length just before it.
 *
 * Metrics without a value in both windows are left out. When no metric has
 * a value in the window before (the store began recording inside the
 * alert's window), the context says so rather than staying empty: it lists
 * the first `limit` metrics with a value in the alert's window with
 * `before` NaN (null in JSON) and `relativeChange` NaN.
 */
export async function metricChanges(
  store: MetricStore,
  window: AlertWindow,
  limit = 3,
): Promise<MetricChange[]> {
  const readings = (
    await Promise.all(catalog.map((metric) => read(store, metric, window)))
  ).filter((r): r is Reading => r !== undefined);
  const compared = readings.filter(
    (r) => Number.isFinite(r.before) && Number.isFinite(r.after),
  );
  if (compared.length === 0) {
    return readings
      .filter((r) => Number.isFinite(r.after))
      .slice(0, limit)
      .map((r) => ({ ...r, before: Number.NaN, relativeChange: Number.NaN }));
  }
  return compared
    .filter((r) => r.before !== r.after)
    .map((r) => ({ ...r, relativeChange: relativeChange(r.before, r.after) }))
    .sort(byChange)
    .slice(0, limit);
}
