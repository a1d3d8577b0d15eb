/**
 * The key figures that trends and correlations follow: each has a value over
 * a whole period and a value per step, both asked of the store.
 */
import type { TimePoint } from "../query/analysis.js";
import type { AttributeFilter, Statistic } from "../query/model.js";
import {
  ask,
  eq,
  pointsOf,
  ratio,
  single,
  type Period,
  type ReportContext,
} from "./context.js";
import { ATTRIBUTES, METRICS } from "./metrics.js";
import { USER_WINDOWS } from "./sections/users.js";

/** A figure followed across periods. */
export interface KeyFigure {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  /** The figure over a whole period. */
  value(ctx: ReportContext, period: Period): Promise<number | undefined>;
  /** The figure at each step of a period. */
  steps(ctx: ReportContext, period: Period): Promise<TimePoint[]>;
}

function simple(
  id: string,
  title: string,
  unit: string,
  metric: string,
  statistic: Statistic,
  filters: readonly AttributeFilter[] = [],
  map: (v: number) => number = (v) => v,
): KeyFigure {
  return {
    id,
    title,
    unit,
    async value(ctx, period) {
      const v = single(await ask(ctx, metric, statistic, { filters, period }));
      return v === undefined ? undefined : map(v);
    },
    async steps(ctx, period) {
      const r = await ask(ctx, metric, statistic, {
        filters,
        period,
        stepped: true,
      });
      return pointsOf(r).map(([t, v]) => [t, map(v)] as const);
    },
  };
}

const serverErrors: AttributeFilter = {
  key: ATTRIBUTES.statusCode,
  op: "=~",
  value: "5..",
};

/** Share of requests answered with a 5xx, whole period and per step. */
const errorRate: KeyFigure = {
  id: "http.error_rate",
  title: "API error rate",
  unit: "1",
  async value(ctx, period) {
    const [all, errors] = await Promise.all([
      ask(ctx, METRICS.httpDuration, { kind: "increase" }, { period }),
      ask(
        ctx,
        METRICS.httpDuration,
        { kind: "increase" },
        {
          period,
          filters: [serverErrors],
        },
      ),
    ]);
    return ratio(single(errors) ?? 0, single(all));
  },
  async steps(ctx, period) {
    const [all, errors] = await Promise.all([
      ask(
        ctx,
        METRICS.httpDuration,
        { kind: "increase" },
        {
          period,
          stepped: true,
        },
      ),
      ask(
        ctx,
        METRICS.httpDuration,
        { kind: "increase" },
        {
          period,
          stepped: true,
          filters: [serverErrors],
        },
      ),
    ]);
    const errorsAt = new Map(pointsOf(errors));
    // A step without 5xx samples had no server errors.
    return pointsOf(all)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => [t, (errorsAt.get(t) ?? 0) / n] as const);
  },
};

/** The key figures, in the order the report lists them. */
export const KEY_FIGURES: readonly KeyFigure[] = [
  simple(
    "system.cpu",
    "CPU used",
    "1",
    METRICS.cpu,
    { kind: "avg" },
    [eq(ATTRIBUTES.cpuState, "idle")],
    (idle) => 1 - idle,
  ),
  simple("system.memory", "Memory used", "1", METRICS.memory, { kind: "avg" }, [
    eq(ATTRIBUTES.memoryState, "used"),
  ]),
  simple("http.latency_p95", "API latency p95", "s", METRICS.httpDuration, {
    kind: "quantile",
    q: 0.95,
  }),
  simple(
    "http.throughput",
    "API throughput",
    "{request}/s",
    METRICS.httpDuration,
    {
      kind: "rate",
    },
  ),
  errorRate,
  simple(
    "documents.rate",
    "Documents processed",
    "{document}/s",
    METRICS.documents,
    {
      kind: "rate",
    },
  ),
  simple("queues.length", "Queue length", "{job}", METRICS.queue, {
    kind: "avg",
  }),
  simple(
    "users.active",
    "Active users (5 min)",
    "{user}",
    METRICS.activeUsers,
    {
      kind: "avg",
    },
    [eq(ATTRIBUTES.usersWindow, USER_WINDOWS.short)],
  ),
  simple(
    "runtime.eventloop_delay_p99",
    "Event-loop delay p99",
    "s",
    METRICS.eventLoopDelayP99,
    {
      kind: "avg",
    },
  ),
];
