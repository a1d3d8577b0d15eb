/**
 * The query model: one question about stored series, asked the same way by
 * `stats`, `status`, alert rules and report sections, and answered by every
 * store (the embedded one and any Prometheus-compatible API).
 */

/** A statistic computed over a time window. */
export type Statistic =
  | { readonly kind: "avg" }
  | { readonly kind: "min" }
  | { readonly kind: "max" }
  | { readonly kind: "sum" }
  | { readonly kind: "count" }
  | { readonly kind: "last" }
  | { readonly kind: "rate" }
  | { readonly kind: "increase" }
  /** A quantile in [0, 1], from histogram buckets or from raw gauge samples. */
  | { readonly kind: "quantile"; readonly q: number };

/** The statistic kinds, for validation and help texts. */
export const STATISTIC_KINDS = [
  "avg",
  "min",
  "max",
  "sum",
  "count",
  "last",
  "rate",
  "increase",
  "quantile",
] as const;

/** How a filter compares an attribute with its value (PromQL's matchers). */
export type FilterOperator = "=" | "!=" | "=~" | "!~";

/** One attribute filter; regexes match the whole value, as in PromQL. */
export interface AttributeFilter {
  readonly key: string;
  readonly op: FilterOperator;
  readonly value: string;
}

/** A question about one metric over a time range. */
export interface Query {
  /** The catalog (OpenTelemetry) name of the metric, already resolved. */
  readonly metric: string;
  readonly statistic: Statistic;
  readonly startMillis: number;
  readonly endMillis: number;
  /**
   * When set, a range query: one value per step, each computed over the
   * window of `windowSeconds` (default: the step) that ends at that step.
   */
  readonly stepSeconds?: number;
  readonly windowSeconds?: number;
  readonly filters: readonly AttributeFilter[];
  /** Attribute keys to group by; empty means one answer over all series. */
  readonly groupBy: readonly string[];
}

/** One answer per group. */
export interface SeriesResult {
  /** The group-by attributes of this answer (empty without a group-by). */
  readonly labels: Readonly<Record<string, string>>;
  /** The statistic over the whole range (NaN where the data gives none). */
  readonly value: number;
  /** For range queries: [time in ms, value] at each step that had data. */
  readonly points?: ReadonlyArray<readonly [number, number]>;
}

/** The answer to a query. */
export interface QueryResult {
  readonly query: Query;
  /** The unit of `value`: the metric's unit, `1/s` style for rates, `1` for counts. */
  readonly unit: string;
  readonly series: readonly SeriesResult[];
}
