/**
 * Statistics by name (`avg`, `p95`, `p99.9`), which of them each metric
 * shape defines, the unit of their answers, and the checks every store runs
 * on a query before answering it.
 */
import {
  QueryError,
  STATISTIC_KINDS,
  type MetricShape,
  type Query,
  type Statistic,
} from "./model.js";

type Kind = Statistic["kind"];

// The statistics each shape defines; see the table in model.ts.
const DEFINED: Record<MetricShape, ReadonlySet<Kind>> = {
  gauge: new Set(["avg", "min", "max", "sum", "count", "last", "quantile"]),
  counter: new Set(["increase", "rate", "sum", "count", "last"]),
  histogram: new Set([
    "avg",
    "min",
    "max",
    "sum",
    "count",
    "increase",
    "rate",
    "quantile",
    "distribution",
  ]),
};

const PERCENTILE = /^p(\d{1,2}(?:\.\d+)?|100)$/;

/**
 * The statistic a name stands for: one of STATISTIC_KINDS, `distribution`,
 * `pNN` for a percentile (`p95`, `p99.9`) or `quantile:Q` with Q in [0, 1].
 * Throws a QueryError listing the accepted forms.
 *
 * @example parseStatistic("p99.9") // { kind: "quantile", q: 0.999 }
 */
export function parseStatistic(name: string): Statistic {
  const percentile = PERCENTILE.exec(name);
  if (percentile) {
    // toPrecision drops binary noise: 99.9 / 100 is 0.9990000000000001.
    const q = Number((Number(percentile[1]) / 100).toPrecision(15));
    return { kind: "quantile", q };
  }

  if (name.startsWith("quantile:")) {
    const q = Number(name.slice("quantile:".length));
    if (name.length > "quantile:".length && q >= 0 && q <= 1) {
      return { kind: "quantile", q };
    }
  }
  if (name === "distribution") return { kind: "distribution" };
  if (
    name !== "quantile" &&
    (STATISTIC_KINDS as readonly string[]).includes(name)
  ) {
    return { kind: name as Exclude<Kind, "quantile"> };
  }
  throw new QueryError(
    `unknown statistic "${name}"; expected one of ${STATISTIC_KINDS.filter((k) => k !== "quantile").join(", ")}, distribution, a percentile such as p95 or p99.9, or quantile:Q with Q in [0, 1]`,
  );
}

/** The short name of a statistic: `avg`, `p95`, `p99.9`. */
export function statisticName(statistic: Statistic): string {
  if (statistic.kind !== "quantile") return statistic.kind;
  // Round away binary noise (0.999 * 100 = 99.89999…).
  return `p${Number((statistic.q * 100).toPrecision(12))}`;
}

/** Whether a statistic is defined for a metric shape (see model.ts). */
export function isDefinedFor(
  shape: MetricShape,
  statistic: Statistic,
): boolean {
  return DEFINED[shape].has(statistic.kind);
}

/** The statistics a shape defines, for messages. */
export function statisticsOf(shape: MetricShape): Kind[] {
  return [...DEFINED[shape]];
}

/**
 * The unit of a statistic's answer for a metric of `unit`: per second for
 * rates, `1` for sample counts and the metric's unit otherwise. A
 * distribution's value and bucket counts are observations; its bounds are
 * in the metric's unit.
 */
export function resultUnit(
  shape: MetricShape,
  unit: string,
  statistic: Statistic,
): string {
  if (statistic.kind === "rate") {
    return shape === "histogram" ? "{observation}/s" : `${unit}/s`;
  }
  if (statistic.kind === "count") {
    return shape === "histogram" ? "{observation}" : "{sample}";
  }
  if (
    shape === "histogram" &&
    (statistic.kind === "increase" || statistic.kind === "distribution")
  ) {
    return "{observation}";
  }
  return unit;
}

/**
 * Checks a query before a store runs it; throws a QueryError that names the
 * bad field and what it takes.
 */
export function validateQuery(query: Query, shape: MetricShape): void {
  const { metric, statistic, startMillis, endMillis } = query;
  if (!Number.isFinite(startMillis) || !Number.isFinite(endMillis)) {
    throw new QueryError(
      `query on ${metric}: start and end must be finite epoch milliseconds, got ${startMillis} and ${endMillis}`,
    );
  }
  if (endMillis <= startMillis) {
    throw new QueryError(
      `query on ${metric}: end ${new Date(endMillis).toISOString()} is not after start ${new Date(startMillis).toISOString()}`,
    );
  }
  checkPositive(metric, "stepSeconds", query.stepSeconds);
  checkPositive(metric, "windowSeconds", query.windowSeconds);
  if (statistic.kind === "distribution" && shape !== "histogram") {
    throw new QueryError(
      `distribution is defined only for histograms (it counts the observations in each bucket); ${metric} is a ${shape}`,
    );
  }
  if (!isDefinedFor(shape, statistic)) {
    throw new QueryError(
      `${statisticName(statistic)} is not defined for the ${shape} ${metric}; use one of ${statisticsOf(shape).join(", ")}`,
    );
  }
}

function checkPositive(metric: string, field: string, value?: number): void {
  if (value === undefined || (Number.isFinite(value) && value > 0)) return;
  throw new QueryError(
    `query on ${metric}: ${field} must be a positive number of seconds, got ${value}`,
  );
}
