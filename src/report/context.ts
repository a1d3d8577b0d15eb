/**
 * What a report section is given: the store, the window, the step of its
 * charts and the period to compare with; and the few ways sections ask the
 * store, all through the query model.
 */
import type {
  AttributeFilter,
  Query,
  QueryResult,
  SeriesResult,
  Statistic,
} from "../query/model.js";
import type { TimePoint } from "../query/analysis.js";
import type { MetricStore } from "../store/types.js";
import { missingLabel } from "./metrics.js";
import type { Figure } from "./types.js";

/** A time range in ms since the epoch, end exclusive of nothing: [start, end]. */
export interface Period {
  readonly startMillis: number;
  readonly endMillis: number;
}

/** The inputs every section reads. */
export interface ReportContext {
  readonly store: MetricStore;
  readonly current: Period;
  /** The period to compare with; null for `--compare NONE`. */
  readonly previous: Period | null;
  /** Step of range queries (charts, trends, correlations), in seconds. */
  readonly stepSeconds: number;
  /** Answers a query, once per distinct query (sections share figures). */
  query(query: Query): Promise<QueryResult>;
}

/** Creates a context whose `query` remembers answers for the report's life. */
export function createContext(
  store: MetricStore,
  current: Period,
  previous: Period | null,
  stepSeconds: number,
): ReportContext {
  const answers = new Map<string, Promise<QueryResult>>();
  return {
    store,
    current,
    previous,
    stepSeconds,
    query(query) {
      const key = JSON.stringify(query);
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = store.query(query);
        answers.set(key, answer);
      }
      return answer;
    },
  };
}

/** How to ask: filters, group-by, period, and whether one value per step. */
export interface AskOptions {
  readonly filters?: readonly AttributeFilter[];
  readonly groupBy?: readonly string[];
  /** Defaults to the current period. */
  readonly period?: Period;
  /** A range query with the context's step. */
  readonly stepped?: boolean;
  /** A range query with this step instead of the context's. */
  readonly stepSeconds?: number;
}

/** Asks the store one question about a metric. */
export function ask(
  ctx: ReportContext,
  metric: string,
  statistic: Statistic,
  options: AskOptions = {},
): Promise<QueryResult> {
  const { filters = [], groupBy = [], period = ctx.current } = options;
  const stepSeconds =
    options.stepSeconds ?? (options.stepped ? ctx.stepSeconds : undefined);
  if (stepSeconds === undefined) {
    return ctx.query({ metric, statistic, ...period, filters, groupBy });
  }
  return ctx.query({
    metric,
    statistic,
    // Steps are windows that end at each step time; starting one step in
    // keeps the first window inside the period rather than before it.
    startMillis: Math.min(
      period.startMillis + stepSeconds * 1000,
      period.endMillis,
    ),
    endMillis: period.endMillis,
    stepSeconds,
    filters,
    groupBy,
  });
}

/** An equality filter. */
export function eq(key: string, value: string): AttributeFilter {
  return { key, op: "=", value };
}

/** A number, or undefined where the data gives none (NaN, ±Infinity). */
export function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** A figure; NaN and missing values become null. */
export function figure(value: number | undefined, unit: string): Figure {
  return { value: finite(value) ?? null, unit };
}

/**
 * Whether a count (requests, documents, uses) counted anything. Table rows
 * that counted nothing in the window are left out: a series can outlive its
 * last increase, or only ever hold the value it was created with.
 */
export function countedAny(count: Figure): boolean {
  return count.value !== null && count.value > 0;
}

/** The value of the only (first) series of an answer. */
export function single(result: QueryResult): number | undefined {
  return finite(result.series[0]?.value);
}

/** The points of the only (first) series of an answer, with finite values. */
export function pointsOf(result: QueryResult): TimePoint[] {
  return cleanPoints(result.series[0]);
}

/** Finite points of one series, oldest first. */
export function cleanPoints(series: SeriesResult | undefined): TimePoint[] {
  return (series?.points ?? [])
    .filter(([, v]) => Number.isFinite(v))
    .map(([t, v]) => [t, v] as const)
    .sort((a, b) => a[0] - b[0]);
}

/**
 * The label of a series in a table grouped by `key`: its value of the key,
 * or `(no route)`, `(no document type)`… for series without one. Without a
 * key (an ungrouped answer) the label is empty.
 */
export function groupLabel(
  labels: Readonly<Record<string, string>>,
  key: string | undefined,
): string {
  if (key === undefined) return "";
  const value = labels[key];
  return value === undefined || value === "" ? missingLabel(key) : value;
}

/** The answers of a query grouped by one key, by {@link groupLabel}. */
export function byLabel(
  result: QueryResult,
  key: string | undefined,
): Map<string, SeriesResult> {
  return new Map(result.series.map((s) => [groupLabel(s.labels, key), s]));
}

/** ISO 8601 form of a time in ms; null for none. */
export function isoTime(millis: number | undefined): string | null {
  return millis === undefined ? null : new Date(millis).toISOString();
}

/** `a / b`, undefined when either is missing or b is zero. */
export function ratio(
  a: number | undefined,
  b: number | undefined,
): number | undefined {
  if (a === undefined || b === undefined || b === 0) return undefined;
  return a / b;
}
