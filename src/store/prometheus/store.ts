/**
 * A MetricStore over any Prometheus-compatible HTTP API: each query is
 * compiled to PromQL (see promql.ts) and answered as `query/model.ts`
 * defines it, so that it agrees with the embedded store over the same data.
 */
import { findMetric, type CatalogMetric } from "../../metrics/catalog.js";
import { evaluate } from "../../query/evaluate.js";
import {
  bucketCounts,
  bucketMin,
  totalCount,
  type CumulativeBucket,
} from "../../query/histogram.js";
import {
  QueryError,
  type BucketCount,
  type Query,
  type QueryResult,
  type SeriesResult,
} from "../../query/model.js";
import { resultUnit, validateQuery } from "../../query/statistic.js";
import type { MetricStore, SeriesInfo } from "../types.js";
import {
  PrometheusClient,
  parseSampleValue,
  type MatrixSeries,
  type PrometheusClientOptions,
} from "./client.js";
import {
  compileQuery,
  labelName,
  selector,
  type PromqlPlan,
} from "./promql.js";

/** Options of a PrometheusStore: where the API is and how to authenticate. */
export type PrometheusStoreOptions = PrometheusClientOptions;

type Labels = Readonly<Record<string, string>>;
/**
 * Per group (keyed by its labels as JSON): labels, [time, value] points and,
 * for a distribution, the buckets at the last time.
 */
type Groups = Map<
  string,
  {
    labels: Labels;
    points: Array<[number, number]>;
    buckets?: BucketCount[];
  }
>;

/** A MetricStore reading from a Prometheus-compatible API. */
export class PrometheusStore implements MetricStore {
  readonly description: string;
  private readonly client: PrometheusClient;

  constructor(options: PrometheusStoreOptions) {
    this.client = new PrometheusClient(options);
    this.description = `prometheus:${this.client.displayUrl}`;
  }

  /** The PromQL a query compiles to over its whole range, for messages and debugging. */
  explain(query: Query): string {
    const metric = catalogMetric(query.metric);
    return compileQuery(query, metric, query.endMillis - query.startMillis)
      .expr;
  }

  async query(query: Query): Promise<QueryResult> {
    const metric = catalogMetric(query.metric);
    validateQuery(query, metric.shape);

    const whole = await this.wholeRange(query, metric);
    const steps =
      query.stepSeconds === undefined
        ? undefined
        : await this.steps(query, metric);
    return {
      query,
      unit: resultUnit(metric.shape, metric.unit, query.statistic),
      series: mergeResults(whole, steps),
    };
  }

  /**
   * Evaluates raw PromQL at one time, for alert rules that carry an `expr`;
   * one result per returned series, its labels without `__name__`.
   */
  async instantQuery(
    expr: string,
    timeMillis: number,
  ): Promise<SeriesResult[]> {
    const series = await this.client.instant(expr, timeMillis);
    return series.map(({ labels: { __name__: _, ...labels }, points }) => ({
      labels,
      value: points.at(-1)?.[1] ?? NaN,
    }));
  }

  async listSeries(
    metric: string,
    startMillis: number,
    endMillis: number,
  ): Promise<SeriesInfo[]> {
    const entry = catalogMetric(metric);
    const name =
      entry.shape === "histogram"
        ? `${entry.prometheusName}_count`
        : entry.prometheusName;
    const found = await this.client.series(
      selector(name, []),
      startMillis,
      endMillis,
    );
    return found.map(({ __name__: _, ...labels }) => ({
      metric: entry.name,
      labels,
    }));
  }

  async close(): Promise<void> {
    // Each request stands alone; nothing is held open.
  }

  /** The statistic over [start, end]: one instant query at end. */
  private async wholeRange(
    query: Query,
    metric: CatalogMetric,
  ): Promise<Groups> {
    const windowMillis = query.endMillis - query.startMillis;
    const plan = compileQuery(query, metric, windowMillis);
    const instantQuery = { ...query, stepSeconds: undefined };
    if (plan.kind === "raw-samples") {
      const raw = await this.client.instant(plan.expr, query.endMillis);
      return fromResults(
        evaluate(instantQuery, rawSeries(query, raw)),
        query.endMillis,
      );
    }
    const result = await this.client.instant(plan.expr, query.endMillis);
    return groupsOf(plan, query, result);
  }

  /** The statistic at each step: a range query, or raw samples spanning every window. */
  private async steps(query: Query, metric: CatalogMetric): Promise<Groups> {
    const stepSeconds = query.stepSeconds as number;
    const windowMillis = Math.round(
      (query.windowSeconds ?? stepSeconds) * 1000,
    );
    const plan: PromqlPlan = compileQuery(query, metric, windowMillis);
    if (plan.kind === "raw-samples") {
      const spanMillis = query.endMillis - query.startMillis + windowMillis;
      const rawPlan = compileQuery(query, metric, spanMillis);
      const raw = await this.client.instant(rawPlan.expr, query.endMillis);
      const results = evaluate(query, rawSeries(query, raw));
      return pointsOf(results);
    }
    const result = await this.client.range(
      plan.expr,
      query.startMillis,
      query.endMillis,
      stepSeconds,
    );
    return groupsOf(plan, query, result);
  }
}

/** The answer per group from what a plan's expression returned. */
function groupsOf(
  plan: PromqlPlan,
  query: Query,
  series: readonly MatrixSeries[],
): Groups {
  if (plan.kind === "bucket-min") return minimaByGroup(query, series);
  if (plan.kind === "bucket-counts") return countsByGroup(query, series);
  return byGroup(query, series);
}

function catalogMetric(name: string): CatalogMetric {
  const metric = findMetric(name);
  if (metric === undefined) {
    throw new QueryError(`the catalog holds no metric "${name}"`);
  }
  return metric;
}

/** The group-by attributes of a result series, under their OpenTelemetry keys. */
function groupLabels(query: Query, labels: Labels): Record<string, string> {
  const result: Record<string, string> = {};
  for (const key of [...query.groupBy].sort()) {
    const value = labels[labelName(key)];
    if (value !== undefined && value !== "") result[key] = value;
  }
  return result;
}

function byGroup(query: Query, series: readonly MatrixSeries[]): Groups {
  const groups: Groups = new Map();
  for (const { labels, points } of series) {
    const own = groupLabels(query, labels);
    groups.set(JSON.stringify(own), {
      labels: own,
      points: [...points] as Array<[number, number]>,
    });
  }
  return groups;
}

/** Bucket increases by `le` and group, turned into each group's minimum at each time. */
function minimaByGroup(query: Query, series: readonly MatrixSeries[]): Groups {
  const groups: Groups = new Map();
  for (const [key, { labels, byTime }] of bucketsByGroup(query, series)) {
    const points = [...byTime]
      .sort(([a], [b]) => a - b)
      .map(([time, list]): [number, number] => [time, bucketMin(list)]);
    groups.set(key, { labels, points });
  }
  return groups;
}

/**
 * Bucket increases by `le` and group, differenced into each group's
 * distribution at each time: its total as the points, the last time's
 * buckets (the only one of an instant query) as the buckets.
 */
function countsByGroup(query: Query, series: readonly MatrixSeries[]): Groups {
  const groups: Groups = new Map();
  for (const [key, { labels, byTime }] of bucketsByGroup(query, series)) {
    const counts = [...byTime]
      .sort(([a], [b]) => a - b)
      .map(([time, list]) => [time, bucketCounts(list)] as const);
    groups.set(key, {
      labels,
      points: counts.map(([time, c]): [number, number] => [
        time,
        totalCount(c),
      ]),
      buckets: counts.at(-1)?.[1],
    });
  }
  return groups;
}

/** Bucket increases by `le`, per group and time. */
function bucketsByGroup(
  query: Query,
  series: readonly MatrixSeries[],
): Map<string, { labels: Labels; byTime: Map<number, CumulativeBucket[]> }> {
  const buckets = new Map<
    string,
    { labels: Labels; byTime: Map<number, CumulativeBucket[]> }
  >();
  for (const { labels, points } of series) {
    const own = groupLabels(query, labels);
    const key = JSON.stringify(own);
    const group = buckets.get(key) ?? { labels: own, byTime: new Map() };
    buckets.set(key, group);
    const upperBound = parseSampleValue(labels.le ?? "+Inf");
    for (const [time, count] of points) {
      const list = group.byTime.get(time) ?? [];
      list.push({ upperBound, count });
      group.byTime.set(time, list);
    }
  }
  return buckets;
}

/** Raw samples of a range selector as the shared maths takes them, group-by keys under their OpenTelemetry names. */
function rawSeries(query: Query, series: readonly MatrixSeries[]) {
  return {
    shape: "gauge" as const,
    series: series.map(({ labels, points }) => ({
      labels: { ...labels, ...groupLabels(query, labels) },
      points: points.map(([timeMillis, value]) => ({ timeMillis, value })),
    })),
  };
}

function fromResults(
  results: readonly SeriesResult[],
  timeMillis: number,
): Groups {
  const groups: Groups = new Map();
  for (const { labels, value } of results) {
    groups.set(JSON.stringify(labels), {
      labels,
      points: [[timeMillis, value]],
    });
  }
  return groups;
}

function pointsOf(results: readonly SeriesResult[]): Groups {
  const groups: Groups = new Map();
  for (const { labels, points = [] } of results) {
    groups.set(JSON.stringify(labels), {
      labels,
      points: [...points] as Array<[number, number]>,
    });
  }
  return groups;
}

/** Whole-range values and step points joined by group, ordered as the embedded store orders them. */
function mergeResults(
  whole: Groups,
  steps: Groups | undefined,
): SeriesResult[] {
  const keys = new Set([...whole.keys(), ...(steps?.keys() ?? [])]);
  const results: SeriesResult[] = [];
  for (const key of [...keys].sort()) {
    const labels = whole.get(key)?.labels ?? steps?.get(key)?.labels ?? {};
    const value = whole.get(key)?.points[0]?.[1] ?? NaN;
    const buckets = whole.get(key)?.buckets;
    const detail = buckets === undefined ? {} : { buckets };
    if (steps === undefined) {
      results.push({ labels, value, ...detail });
      continue;
    }
    // NaN points are gaps, as in the embedded store.
    const points = (steps.get(key)?.points ?? []).filter(
      ([, v]) => !Number.isNaN(v),
    );
    if (whole.has(key) || points.length > 0)
      results.push({ labels, value, points, ...detail });
  }
  return results;
}
