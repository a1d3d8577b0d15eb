/**
 * Application performance: HTTP latency, throughput and errors overall and by
 * route; document processing; queue lengths; cache hit ratio.
 */
import type { AttributeFilter, QueryResult } from "../../query/model.js";
import {
  ask,
  byLabel,
  cleanPoints,
  countedAny,
  eq,
  figure,
  finite,
  groupLabel,
  pointsOf,
  ratio,
  single,
  type ReportContext,
} from "../context.js";
import { ATTRIBUTES, METRICS } from "../metrics.js";
import type {
  ApplicationSection,
  ChartSeries,
  Labelled,
  Percentiles,
} from "../types.js";
import { chart, charts } from "./charts.js";

const SERVER_ERRORS: AttributeFilter = {
  key: ATTRIBUTES.statusCode,
  op: "=~",
  value: "5..",
};
const FAILED = eq(ATTRIBUTES.documentOutcome, "failure");
const QUANTILES = [0.5, 0.95, 0.99] as const;

/** Builds the application section. */
export async function applicationSection(
  ctx: ReportContext,
): Promise<ApplicationSection> {
  const [
    http,
    documents,
    queues,
    cache,
    latencyLines,
    throughputLine,
    docLine,
  ] = await Promise.all([
    httpFigures(ctx),
    documentFigures(ctx),
    queueFigures(ctx),
    cacheFigures(ctx),
    percentileLines(ctx, METRICS.httpDuration),
    ask(ctx, METRICS.httpDuration, { kind: "rate" }, { stepped: true }),
    ask(ctx, METRICS.documents, { kind: "rate" }, { stepped: true }),
  ]);
  return {
    hasData:
      http.requests.value !== null ||
      documents.processed.value !== null ||
      queues.length > 0 ||
      cache.lookups.value !== null,
    http,
    documents,
    queues: queues.map((q) => q.row),
    cache,
    charts: charts(
      chart(
        "application.latency",
        "API latency percentiles",
        "s",
        latencyLines,
      ),
      chart("application.throughput", "API throughput", "{request}/s", [
        { label: "requests", points: pointsOf(throughputLine) },
      ]),
      chart("application.documents", "Documents processed", "{document}/s", [
        { label: "documents", points: pointsOf(docLine) },
      ]),
      chart(
        "application.queues",
        "Queue length",
        "{job}",
        queues.map((q) => q.line),
      ),
    ),
  };
}

async function percentiles(
  ctx: ReportContext,
  metric: string,
  groupBy: readonly string[] = [],
): Promise<QueryResult[]> {
  return Promise.all(
    QUANTILES.map((q) =>
      ask(ctx, metric, { kind: "quantile", q }, { groupBy }),
    ),
  );
}

/** Percentiles of the group `label` of answers grouped by `key`, or overall. */
function percentilesOf(
  results: readonly QueryResult[],
  label = "",
  key?: string,
): Percentiles {
  const [p50, p95, p99] = results.map((r) =>
    figure(finite(byLabel(r, key).get(label)?.value), "s"),
  );
  return { p50: p50!, p95: p95!, p99: p99! };
}

async function percentileLines(
  ctx: ReportContext,
  metric: string,
): Promise<ChartSeries[]> {
  const results = await Promise.all(
    QUANTILES.map((q) =>
      ask(ctx, metric, { kind: "quantile", q }, { stepped: true }),
    ),
  );
  return results.map((r, i) => ({
    label: `p${Math.round(QUANTILES[i]! * 100)}`,
    points: pointsOf(r),
  }));
}

async function httpFigures(ctx: ReportContext) {
  const metric = METRICS.httpDuration;
  const byRoute = { groupBy: [ATTRIBUTES.route] };
  const errorsByRoute = { ...byRoute, filters: [SERVER_ERRORS] };
  const [overall, routeQuantiles, counts] = await Promise.all([
    percentiles(ctx, metric),
    percentiles(ctx, metric, byRoute.groupBy),
    Promise.all([
      ask(ctx, metric, { kind: "increase" }),
      ask(ctx, metric, { kind: "rate" }),
      ask(ctx, metric, { kind: "increase" }, { filters: [SERVER_ERRORS] }),
      ask(ctx, metric, { kind: "increase" }, byRoute),
      ask(ctx, metric, { kind: "rate" }, byRoute),
      ask(ctx, metric, { kind: "increase" }, errorsByRoute),
    ]),
  ]);
  const [requests, rate, errors, routeRequests, routeRates, routeErrors] =
    counts;
  const key = ATTRIBUTES.route;
  const routes = [...byLabel(routeRequests, key)].flatMap(([label, series]) => {
    const count = finite(series.value);
    const requests = figure(count, "{request}");
    if (!countedAny(requests)) return [];
    return {
      label,
      requests,
      throughput: figure(
        byLabel(routeRates, key).get(label)?.value,
        "{request}/s",
      ),
      errorRate: figure(
        ratio(finite(byLabel(routeErrors, key).get(label)?.value) ?? 0, count),
        "1",
      ),
      ...percentilesOf(routeQuantiles, label, key),
    };
  });
  const total = single(requests);
  return {
    latency: percentilesOf(overall),
    requests: figure(total, "{request}"),
    throughput: figure(single(rate), "{request}/s"),
    errorRate: figure(ratio(single(errors) ?? 0, total), "1"),
    routes: routes.sort(byFigure((r) => r.requests.value)),
  };
}

async function documentFigures(ctx: ReportContext) {
  const byType = { groupBy: [ATTRIBUTES.documentType] };
  const [
    processed,
    rate,
    failed,
    typeProcessed,
    typeFailed,
    duration,
    typeP95,
  ] = await Promise.all([
    ask(ctx, METRICS.documents, { kind: "increase" }),
    ask(ctx, METRICS.documents, { kind: "rate" }),
    ask(ctx, METRICS.documents, { kind: "increase" }, { filters: [FAILED] }),
    ask(ctx, METRICS.documents, { kind: "increase" }, byType),
    ask(
      ctx,
      METRICS.documents,
      { kind: "increase" },
      { ...byType, filters: [FAILED] },
    ),
    percentiles(ctx, METRICS.documentDuration),
    ask(ctx, METRICS.documentDuration, { kind: "quantile", q: 0.95 }, byType),
  ]);
  const key = ATTRIBUTES.documentType;
  const types = [...byLabel(typeProcessed, key)].flatMap(([label, series]) => {
    const count = finite(series.value);
    const processed = figure(count, "{document}");
    if (!countedAny(processed)) return [];
    const fails = finite(byLabel(typeFailed, key).get(label)?.value) ?? 0;
    return {
      label,
      processed,
      failed: figure(count === undefined ? undefined : fails, "{document}"),
      failureRate: figure(ratio(fails, count), "1"),
      durationP95: figure(byLabel(typeP95, key).get(label)?.value, "s"),
    };
  });
  const total = single(processed);
  const failures = total === undefined ? undefined : (single(failed) ?? 0);
  return {
    processed: figure(total, "{document}"),
    rate: figure(single(rate), "{document}/s"),
    failed: figure(failures, "{document}"),
    failureRate: figure(ratio(failures, total), "1"),
    duration: percentilesOf(duration),
    byType: types.sort(byFigure((t) => t.processed.value)),
  };
}

async function queueFigures(ctx: ReportContext) {
  const at = { groupBy: [ATTRIBUTES.queueName] };
  const [avg, peak, last, steps] = await Promise.all([
    ask(ctx, METRICS.queue, { kind: "avg" }, at),
    ask(ctx, METRICS.queue, { kind: "max" }, at),
    ask(ctx, METRICS.queue, { kind: "last" }, at),
    ask(ctx, METRICS.queue, { kind: "avg" }, { ...at, stepped: true }),
  ]);
  const key = ATTRIBUTES.queueName;
  return [...byLabel(avg, key)].map(([label, series]) => ({
    row: {
      label,
      avg: figure(series.value, "{job}"),
      peak: figure(byLabel(peak, key).get(label)?.value, "{job}"),
      last: figure(byLabel(last, key).get(label)?.value, "{job}"),
    },
    line: { label, points: cleanPoints(byLabel(steps, key).get(label)) },
  }));
}

async function cacheFigures(ctx: ReportContext) {
  const name = ATTRIBUTES.cacheName;
  const result = ATTRIBUTES.cacheResult;
  const [overall, perCache] = await Promise.all([
    ask(ctx, METRICS.cache, { kind: "increase" }, { groupBy: [result] }),
    ask(ctx, METRICS.cache, { kind: "increase" }, { groupBy: [name, result] }),
  ]);
  const tally = (rows: QueryResult["series"]) => {
    let hits = 0;
    let lookups = 0;
    for (const row of rows) {
      const value = finite(row.value) ?? 0;
      lookups += value;
      if (row.labels[result] === "hit") hits += value;
    }
    return rows.length === 0
      ? {
          hitRatio: figure(undefined, "1"),
          lookups: figure(undefined, "{lookup}"),
        }
      : {
          hitRatio: figure(ratio(hits, lookups), "1"),
          lookups: figure(lookups, "{lookup}"),
        };
  };
  const labelOf = (s: QueryResult["series"][number]) =>
    groupLabel(s.labels, name);
  const names = [...new Set(perCache.series.map(labelOf))];
  const byCache: Array<Labelled<ReturnType<typeof tally>>> = names
    .map((label) => ({
      label,
      ...tally(perCache.series.filter((s) => labelOf(s) === label)),
    }))
    .filter((row) => countedAny(row.lookups));
  return { ...tally(overall.series), byCache };
}

/** Sorts rows by a figure, largest first, rows without a value last. */
export function byFigure<T>(value: (row: T) => number | null) {
  return (a: T, b: T) => (value(b) ?? -Infinity) - (value(a) ?? -Infinity);
}
