/**
 * What the store says about a rule at one time: one value per group. Plain
 * statistics are one query in the query model; ratios are two; forecasts and
 * trends fit a line through a range query, as PromQL's `predict_linear` and
 * `deriv` do over their range.
 */
import { linearFit, valueAt, type TimePoint } from "../query/analysis.js";
import type { Query, SeriesResult } from "../query/model.js";
import { UnsupportedQueryError, type MetricStore } from "../store/types.js";
import type { Rule } from "./rule.js";

/**
 * A store that also answers raw PromQL (the Prometheus store), for rules that
 * carry an `expr`.
 */
export interface PromQLStore extends MetricStore {
  /** An instant query at a time; one result per returned series. */
  instantQuery(expr: string, timeMillis: number): Promise<SeriesResult[]>;
}

/** Whether a store answers raw PromQL. */
export function answersPromQL(store: MetricStore): store is PromQLStore {
  return typeof (store as Partial<PromQLStore>).instantQuery === "function";
}

/** One group's value; NaN when the store has the group but no value. */
export interface GroupValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** How far apart the samples of a fitted line are: about 60 over the window, 15 s at least. */
export function fitStepSeconds(windowSeconds: number): number {
  return Math.max(15, Math.round(windowSeconds / 60));
}

/** The groups a rule sees at `nowMillis`. */
export async function observeRule(
  store: MetricStore,
  rule: Rule,
  nowMillis: number,
): Promise<GroupValue[]> {
  const { source } = rule;
  if (source.kind === "promql") {
    if (!answersPromQL(store)) {
      throw new UnsupportedQueryError(
        `a raw PromQL expr needs a Prometheus store; ${store.description} cannot run it`,
      );
    }
    return (await store.instantQuery(source.expr, nowMillis)).map(
      ({ labels, value }) => ({ labels, value }),
    );
  }

  const base = {
    metric: source.metric,
    startMillis: nowMillis - rule.windowSeconds * 1000,
    endMillis: nowMillis,
    filters: source.filters,
    groupBy: source.groupBy,
  };
  const { statistic } = source;
  if (statistic.kind === "forecast" || statistic.kind === "trend") {
    const step = fitStepSeconds(rule.windowSeconds);
    const result = await store.query({
      ...base,
      statistic: { kind: "last" },
      stepSeconds: step,
      windowSeconds: step,
    });
    return result.series.map(({ labels, points = [] }) => {
      const fit = linearFit(points as TimePoint[]);
      let value = Number.NaN;
      if (fit !== undefined) {
        value =
          statistic.kind === "trend"
            ? fit.slopePerSecond
            : valueAt(fit, nowMillis + statistic.horizonSeconds * 1000);
      }
      return { labels, value };
    });
  }

  const query: Query = { ...base, statistic };
  if (source.denominator === undefined) {
    return (await store.query(query)).series.map(({ labels, value }) => ({
      labels,
      value,
    }));
  }
  const [numerator, denominator] = await Promise.all([
    store.query(query),
    store.query({
      ...query,
      metric: source.denominator.metric,
      filters: source.denominator.filters,
    }),
  ]);
  return ratio(numerator.series, denominator.series);
}

/**
 * Numerator over denominator per group. A group the numerator lacks counts
 * as 0 (no errors is an error rate of 0, not no data); a denominator of 0
 * gives NaN, which the rule's no-data policy handles.
 */
export function ratio(
  numerator: readonly SeriesResult[],
  denominator: readonly SeriesResult[],
): GroupValue[] {
  const byLabels = new Map(
    numerator.map((s) => [
      JSON.stringify(Object.entries(s.labels).sort()),
      s.value,
    ]),
  );
  return denominator.map(({ labels, value }) => {
    const top =
      byLabels.get(JSON.stringify(Object.entries(labels).sort())) ?? 0;
    return { labels, value: value === 0 ? Number.NaN : top / value };
  });
}
