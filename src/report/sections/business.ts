/**
 * Business figures: document volume and new users against the previous
 * period, uptime from the series' own gaps, and cost efficiency from the
 * operator's cost model.
 */
import {
  ask,
  byLabel,
  cleanPoints,
  figure,
  isoTime,
  ratio,
  single,
  type Period,
  type ReportContext,
} from "../context.js";
import { ATTRIBUTES, METRICS } from "../metrics.js";
import type { BusinessSection, Growth } from "../types.js";
import { presence, type Presence } from "../uptime.js";

/** What running the service costs, as the operator sets it. */
export interface CostModel {
  /** Cost of one instance running one hour, in the operator's currency. */
  readonly costPerInstanceHour?: number;
}

// Samples are read at this resolution at least; coarser on long windows to
// keep a range query under Prometheus' 11,000 points.
const PRESENCE_STEP_SECONDS = 15;
const MAX_PRESENCE_POINTS = 10_000;

/** Builds the business section. */
export async function businessSection(
  ctx: ReportContext,
  cost: CostModel,
): Promise<BusinessSection> {
  const [documents, newUsers, instances] = await Promise.all([
    growth(ctx, METRICS.documents, "{document}"),
    growth(ctx, METRICS.newUsers, "{user}"),
    instancePresence(ctx),
  ]);
  const overall = instances.overall;
  const instanceHours =
    instances.perInstance.length === 0
      ? undefined
      : instances.perInstance.reduce((s, p) => s + p.upMillis, 0) / 3_600_000;
  const rate = cost.costPerInstanceHour;
  const total =
    rate === undefined || instanceHours === undefined
      ? undefined
      : rate * instanceHours;
  const docs = documents.current.value ?? undefined;
  return {
    hasData:
      documents.current.value !== null ||
      newUsers.current.value !== null ||
      overall !== undefined,
    documents,
    newUsers,
    uptime: {
      fraction: figure(
        overall && ratio(overall.upMillis, overall.observedMillis),
        "1",
      ),
      downtime: figure(overall && overall.downtimeMillis / 1000, "s"),
      gaps: (overall?.gaps ?? []).map((g) => ({
        from: isoTime(g.fromMillis)!,
        to: isoTime(g.toMillis)!,
        seconds: (g.toMillis - g.fromMillis) / 1000,
      })),
    },
    cost: {
      costPerInstanceHour: figure(rate, "{currency}/h"),
      instanceHours: figure(instanceHours, "h"),
      total: figure(total, "{currency}"),
      perThousandDocuments: figure(
        ratio(total, docs === undefined ? undefined : docs / 1000),
        "{currency}",
      ),
    },
    charts: [],
  };
}

async function growth(
  ctx: ReportContext,
  metric: string,
  unit: string,
): Promise<Growth> {
  const [current, previous] = await Promise.all([
    ask(ctx, metric, { kind: "increase" }),
    ctx.previous === null
      ? undefined
      : ask(ctx, metric, { kind: "increase" }, { period: ctx.previous }),
  ]);
  const now = single(current);
  const before = previous && single(previous);
  return {
    current: figure(now, unit),
    previous: figure(before, unit),
    growth: figure(
      now === undefined ? undefined : ratio(now - (before ?? NaN), before),
      "1",
    ),
  };
}

/** The step uptime is read at for a period. */
export function presenceStepSeconds(period: Period): number {
  const seconds = (period.endMillis - period.startMillis) / 1000;
  return Math.max(
    PRESENCE_STEP_SECONDS,
    Math.ceil(seconds / MAX_PRESENCE_POINTS / PRESENCE_STEP_SECONDS) *
      PRESENCE_STEP_SECONDS,
  );
}

/**
 * When the app reported, overall and per instance, from the steps in which
 * its `process.uptime` gauge had samples.
 */
async function instancePresence(ctx: ReportContext) {
  const stepSeconds = presenceStepSeconds(ctx.current);
  const key = ATTRIBUTES.instance;
  const [overall, perInstance] = await Promise.all([
    ask(ctx, METRICS.uptime, { kind: "count" }, { stepSeconds }),
    ask(
      ctx,
      METRICS.uptime,
      { kind: "count" },
      { stepSeconds, groupBy: [key] },
    ),
  ]);
  const read = (points: ReadonlyArray<readonly [number, number]>) =>
    presence(
      points.filter(([, n]) => n > 0).map(([t]) => t),
      ctx.current,
      stepSeconds * 1000,
    );
  return {
    overall: read(cleanPoints(overall.series[0])),
    perInstance: [...byLabel(perInstance, key).values()].flatMap((s) => {
      const p = read(cleanPoints(s));
      return p === undefined ? [] : [p];
    }) satisfies Presence[],
  };
}
