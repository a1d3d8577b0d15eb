/**
 * The short context an alert carries when it fires: the catalog metrics that
 * changed most over the alert's window against the window just before it,
 * so whoever is paged sees at a glance what else moved.
 */
import { catalog, type CatalogMetric } from "../metrics/catalog.js";
import type { Statistic } from "../query/model.js";
import type { MetricStore } from "../store/types.js";
import type { MetricChange } from "./state-file.js";

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

/**
 * The `limit` catalog metrics with the largest relative change between
 * [now - window, now] and the window before. Metrics without data in both
 * windows, and metrics the store fails on, are left out: context is a hint
 * and must not hold up an alert.
 */
export async function metricChanges(
  store: MetricStore,
  windowSeconds: number,
  nowMillis: number,
  limit = 3,
): Promise<MetricChange[]> {
  const window = windowSeconds * 1000;
  const changes = await Promise.all(
    catalog.map(async (metric): Promise<MetricChange | undefined> => {
      const statistic = statisticFor(metric);
      try {
        const [before, after] = await Promise.all([
          valueOver(
            store,
            metric.name,
            statistic,
            nowMillis - 2 * window,
            nowMillis - window,
          ),
          valueOver(
            store,
            metric.name,
            statistic,
            nowMillis - window,
            nowMillis,
          ),
        ]);
        if (
          !Number.isFinite(before) ||
          !Number.isFinite(after) ||
          before === after
        )
          return undefined;
        const relativeChange =
          before === 0
            ? Math.sign(after) * Infinity
            : (after - before) / Math.abs(before);
        return {
          metric: metric.name,
          statistic: statisticName(statistic),
          before,
          after,
          relativeChange,
        };
      } catch {
        return undefined;
      }
    }),
  );
  return changes
    .filter((c): c is MetricChange => c !== undefined)
    .sort((a, b) => Math.abs(b.relativeChange) - Math.abs(a.relativeChange))
    .slice(0, limit);
}
