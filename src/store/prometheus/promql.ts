/**
 * The query model compiled to PromQL, with the metric's Prometheus name from
 * the catalog, following the definitions in `query/model.ts`. Three
 * statistics have no PromQL equivalent and are planned as a fetch plus the
 * shared maths: quantiles of pooled gauge samples (PromQL's quantiles are per
 * series), the minimum of a histogram (`histogram_quantile(0, …)` answers NaN
 * when the first bucket is empty), and a histogram's distribution (PromQL
 * keeps buckets cumulative and has no function to difference them by `le`).
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/basics/
 */
import {
  sanitizePrometheusName,
  type CatalogMetric,
} from "../../metrics/index.js";
import type { AttributeFilter, Query } from "../../query/model.js";

/** How the Prometheus store answers one query. */
export type PromqlPlan =
  /** The expression's value is the answer. */
  | { readonly kind: "value"; readonly expr: string }
  /** The expression gives raw samples, evaluated locally like the embedded store. */
  | { readonly kind: "raw-samples"; readonly expr: string }
  /** The expression gives each bucket's increase by `le`; the minimum is computed locally. */
  | { readonly kind: "bucket-min"; readonly expr: string }
  /** The expression gives each bucket's increase by `le`; the per-bucket counts are computed locally. */
  | { readonly kind: "bucket-counts"; readonly expr: string };

/**
 * The plan for a query whose statistic covers `windowMillis` before each
 * evaluation time (the whole range for an instant query, the window of each
 * step for a range query). The query must be valid for the metric's shape.
 *
 * @example compileQuery({ metric: "td.documents.processed", statistic: { kind: "rate" }, groupBy: [], filters: [], … }, metric, 300_000)
 * // { kind: "value", expr: "sum(rate(td_documents_processed_total[300000ms]))" }
 */
export function compileQuery(
  query: Query,
  metric: CatalogMetric,
  windowMillis: number,
): PromqlPlan {
  const range = `[${Math.round(windowMillis)}ms]`;
  const name = metric.prometheusName;
  const by = byClause(query.groupBy);
  const over = (fn: string, suffix = "") =>
    `${fn}(${selector(name + suffix, query.filters)}${range})`;
  const statistic = query.statistic;

  if (metric.shape === "histogram") {
    const buckets = `sum by (${["le", ...labelNames(query.groupBy)].join(", ")}) (${over("increase", "_bucket")})`;
    switch (statistic.kind) {
      case "quantile":
        return value(
          `histogram_quantile(${formatNumber(statistic.q)}, ${buckets})`,
        );
      case "max":
        return value(`histogram_quantile(1, ${buckets})`);
      case "min":
        return { kind: "bucket-min", expr: buckets };
      case "distribution":
        return { kind: "bucket-counts", expr: buckets };
      case "avg":
        return value(
          `sum${by}(${over("increase", "_sum")}) / sum${by}(${over("increase", "_count")})`,
        );
      case "sum":
        return value(`sum${by}(${over("increase", "_sum")})`);
      case "rate":
        return value(`sum${by}(${over("rate", "_count")})`);
      default:
        return value(`sum${by}(${over("increase", "_count")})`);
    }
  }

  switch (statistic.kind) {
    case "avg":
      return value(
        `sum${by}(${over("sum_over_time")}) / sum${by}(${over("count_over_time")})`,
      );
    case "min":
      return value(`min${by}(${over("min_over_time")})`);
    case "max":
      return value(`max${by}(${over("max_over_time")})`);
    case "count":
      return value(`sum${by}(${over("count_over_time")})`);
    case "last":
      return value(
        `${metric.shape === "counter" ? "sum" : "avg"}${by}(${over("last_over_time")})`,
      );
    case "sum":
      return value(
        `sum${by}(${over(metric.shape === "counter" ? "increase" : "last_over_time")})`,
      );
    case "increase":
      return value(`sum${by}(${over("increase")})`);
    case "rate":
      return value(`sum${by}(${over("rate")})`);
    case "quantile":
      return {
        kind: "raw-samples",
        expr: `${selector(name, query.filters)}${range}`,
      };
    case "distribution":
      throw new Error(
        `BUG: distribution of the ${metric.shape} ${metric.name}; validateQuery should have refused the query`,
      );
  }
}

function value(expr: string): PromqlPlan {
  return { kind: "value", expr };
}

/** The Prometheus label name of an OpenTelemetry attribute key (`http.route` → `http_route`). */
export function labelName(key: string): string {
  return sanitizePrometheusName(key);
}

function labelNames(keys: readonly string[]): string[] {
  return keys.map(labelName);
}

function byClause(keys: readonly string[]): string {
  return keys.length === 0 ? "" : ` by (${labelNames(keys).join(", ")}) `;
}

/** A series selector: `name{key="value", …}`, values quoted as PromQL strings. */
export function selector(
  name: string,
  filters: readonly AttributeFilter[],
): string {
  if (filters.length === 0) return name;
  const matchers = filters.map(
    ({ key, op, value }) => `${labelName(key)}${op}${JSON.stringify(value)}`,
  );
  return `${name}{${matchers.join(", ")}}`;
}

/** A number as a PromQL literal (NaN, +Inf and -Inf included). */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}
