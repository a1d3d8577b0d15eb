/**
 * A MetricStore answering from crafted series, for the state-machine and
 * evaluator tables only: gauges with avg, min, max, last, sum and count over
 * (start, end], range queries at each step, and a switch to fail like a
 * store that is down.
 */
import type {
  AttributeFilter,
  Query,
  QueryResult,
  SeriesResult,
} from "../../../src/query/model.js";
import {
  StoreUnavailableError,
  type MetricStore,
  type SeriesInfo,
} from "../../../src/store/types.js";

export interface MemorySeries {
  readonly metric: string;
  readonly labels: Record<string, string>;
  /** [time ms, value], oldest first. */
  points: Array<[number, number]>;
}

function matches(
  labels: Record<string, string>,
  filters: readonly AttributeFilter[],
): boolean {
  return filters.every(({ key, op, value }) => {
    const actual = labels[key] ?? "";
    if (op === "=") return actual === value;
    if (op === "!=") return actual !== value;
    const regex = new RegExp(`^(?:${value})$`);
    return op === "=~" ? regex.test(actual) : !regex.test(actual);
  });
}

function statistic(kind: string, values: number[]): number {
  if (values.length === 0) return Number.NaN;
  switch (kind) {
    case "avg":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "sum":
      return values.reduce((a, b) => a + b, 0);
    case "min":
      return Math.min(...values);
    case "max":
      return Math.max(...values);
    case "count":
      return values.length;
    case "last":
      return values[values.length - 1] ?? Number.NaN;
    default:
      throw new Error(`memory store: statistic ${kind} is not supported`);
  }
}

export class MemoryStore implements MetricStore {
  readonly description = "memory:test";
  readonly series: MemorySeries[] = [];
  /** When set, every query rejects with this. */
  failure: Error | undefined;
  queries = 0;

  add(
    metric: string,
    labels: Record<string, string>,
    points: Array<[number, number]> = [],
  ): MemorySeries {
    const series = { metric, labels, points };
    this.series.push(series);
    return series;
  }

  /** Makes every query fail as a store answering 503 does. */
  failWith503(): void {
    this.failure = new StoreUnavailableError(
      "HTTP 503 Service Unavailable",
      this.description,
    );
  }

  async query(query: Query): Promise<QueryResult> {
    this.queries += 1;
    if (this.failure !== undefined) throw this.failure;
    const groups = new Map<
      string,
      { labels: Record<string, string>; series: MemorySeries[] }
    >();
    for (const s of this.series) {
      if (s.metric !== query.metric || !matches(s.labels, query.filters))
        continue;
      const labels = Object.fromEntries(
        query.groupBy.map((k) => [k, s.labels[k] ?? ""]),
      );
      const key = JSON.stringify(labels);
      const group = groups.get(key) ?? { labels, series: [] };
      group.series.push(s);
      groups.set(key, group);
    }
    const values = (
      series: MemorySeries[],
      start: number,
      end: number,
    ): number[] =>
      series.flatMap((s) =>
        s.points.filter(([t]) => t > start && t <= end).map(([, v]) => v),
      );
    const result: SeriesResult[] = [];
    for (const { labels, series } of groups.values()) {
      if (query.stepSeconds === undefined) {
        const vs = values(series, query.startMillis, query.endMillis);
        if (vs.length > 0)
          result.push({ labels, value: statistic(query.statistic.kind, vs) });
        continue;
      }
      const step = query.stepSeconds * 1000;
      const window = (query.windowSeconds ?? query.stepSeconds) * 1000;
      const points: Array<[number, number]> = [];
      for (let t = query.startMillis; t <= query.endMillis; t += step) {
        const vs = values(series, t - window, t);
        if (vs.length > 0)
          points.push([t, statistic(query.statistic.kind, vs)]);
      }
      if (points.length > 0)
        result.push({
          labels,
          value: points[points.length - 1]?.[1] ?? Number.NaN,
          points,
        });
    }
    return { query, unit: "1", series: result };
  }

  async listSeries(metric: string): Promise<SeriesInfo[]> {
    return this.series
      .filter((s) => s.metric === metric)
      .map(({ metric, labels }) => ({ metric, labels }));
  }

  async close(): Promise<void> {}
}
