/**
 * User analytics: active users, sessions, top features, error encounters and
 * satisfaction (mean and distribution).
 */
import {
  ask,
  byLabel,
  cleanPoints,
  countedAny,
  eq,
  figure,
  finite,
  isoTime,
  pointsOf,
  ratio,
  single,
  type ReportContext,
} from "../context.js";
import type { ActiveUserWindow } from "../../metrics/active-users.js";
import { totalCount } from "../../query/histogram.js";
import type { BucketCount } from "../../query/model.js";
import { ATTRIBUTES, METRICS } from "../metrics.js";
import { peakPoint } from "../summaries.js";
import type { ScoreShare, UsersSection } from "../types.js";
import { byFigure } from "./application.js";
import { chart, charts } from "./charts.js";

/** The `td.users.window` values the report reads. */
export const USER_WINDOWS = {
  short: "5m",
  day: "24h",
} as const satisfies Record<string, ActiveUserWindow>;

const DAY_MILLIS = 86_400_000;
const TOP_FEATURES = 10;
const CHARTED_FEATURES = 5;
/** The satisfaction scores the app records (`metrics.satisfaction`). */
const SCORES = [1, 2, 3, 4, 5] as const;

/** Builds the users section. */
export async function usersSection(ctx: ReportContext): Promise<UsersSection> {
  const [active, daily, sessions, features, errors, satisfaction] =
    await Promise.all([
      activeUsers(ctx),
      dailyUsers(ctx),
      sessionFigures(ctx),
      featureFigures(ctx),
      errorFigures(ctx),
      satisfactionFigures(ctx),
    ]);
  return {
    hasData:
      active.peak.value !== null ||
      daily.length > 0 ||
      sessions.avg.value !== null ||
      features.rows.length > 0 ||
      errors.total.value !== null ||
      satisfaction.responses.value !== null,
    activePeak: active.peak,
    activePeakAt: active.peakAt,
    daily,
    sessions,
    topFeatures: features.rows,
    errors,
    satisfaction,
    charts: charts(
      chart("users.active", "Active users (5 min)", "{user}", [
        { label: "active users", points: active.points },
      ]),
      chart("users.features", "Top features", "{use}/s", features.lines),
    ),
  };
}

async function activeUsers(ctx: ReportContext) {
  const filters = [eq(ATTRIBUTES.usersWindow, USER_WINDOWS.short)];
  const [peak, steps] = await Promise.all([
    ask(ctx, METRICS.activeUsers, { kind: "max" }, { filters }),
    ask(ctx, METRICS.activeUsers, { kind: "max" }, { filters, stepped: true }),
  ]);
  const points = pointsOf(steps);
  return {
    peak: figure(single(peak), "{user}"),
    peakAt: isoTime(peakPoint(points)?.[0]),
    points,
  };
}

/**
 * Distinct users per UTC day: the app's one-day count as it stood at each
 * midnight in the window, then at the window's end for the last, partial day.
 */
async function dailyUsers(ctx: ReportContext) {
  const { startMillis, endMillis } = ctx.current;
  const filters = [eq(ATTRIBUTES.usersWindow, USER_WINDOWS.day)];
  // The first midnight after the start: one at the start closes the day before.
  const firstMidnight = (Math.floor(startMillis / DAY_MILLIS) + 1) * DAY_MILLIS;
  const [atMidnights, atEnd] = await Promise.all([
    firstMidnight <= endMillis
      ? ask(
          ctx,
          METRICS.activeUsers,
          { kind: "last" },
          {
            filters,
            period: { startMillis: firstMidnight - DAY_MILLIS, endMillis },
            stepSeconds: DAY_MILLIS / 1000,
          },
        )
      : undefined,
    ask(ctx, METRICS.activeUsers, { kind: "last" }, { filters }),
  ]);
  const days = (atMidnights === undefined ? [] : pointsOf(atMidnights)).map(
    ([t, v]) => ({ day: utcDate(t - 1), users: figure(v, "{user}") }),
  );
  const last = single(atEnd);
  if (last !== undefined && endMillis % DAY_MILLIS !== 0) {
    days.push({ day: utcDate(endMillis), users: figure(last, "{user}") });
  }
  return days;
}

function utcDate(millis: number): string {
  return new Date(millis).toISOString().slice(0, 10);
}

/**
 * Sessions open across every instance: each instance counts its own, so the
 * total at each step is the sum of the instances' latest counts, and the
 * average and peak are taken over those totals (pooling the samples would
 * give the average per instance instead).
 */
async function sessionFigures(ctx: ReportContext) {
  const totals = pointsOf(
    await ask(ctx, METRICS.sessions, { kind: "sum" }, { stepped: true }),
  ).map(([, value]) => value);
  const avg =
    totals.length === 0
      ? undefined
      : totals.reduce((a, b) => a + b, 0) / totals.length;
  return {
    avg: figure(avg, "{session}"),
    peak: figure(
      totals.length === 0 ? undefined : Math.max(...totals),
      "{session}",
    ),
  };
}

async function featureFigures(ctx: ReportContext) {
  const key = ATTRIBUTES.feature;
  const [uses, steps] = await Promise.all([
    ask(ctx, METRICS.features, { kind: "increase" }, { groupBy: [key] }),
    ask(
      ctx,
      METRICS.features,
      { kind: "rate" },
      { groupBy: [key], stepped: true },
    ),
  ]);
  const rows = [...byLabel(uses, key)]
    .map(([label, s]) => ({ label, uses: figure(s.value, "{use}") }))
    .filter((row) => countedAny(row.uses))
    .sort(byFigure((row) => row.uses.value))
    .slice(0, TOP_FEATURES);
  const stepsByFeature = byLabel(steps, key);
  const lines = rows.slice(0, CHARTED_FEATURES).map(({ label }) => ({
    label,
    points: cleanPoints(stepsByFeature.get(label)),
  }));
  return { rows, lines };
}

async function errorFigures(ctx: ReportContext) {
  const key = ATTRIBUTES.errorType;
  const [total, byType] = await Promise.all([
    ask(ctx, METRICS.errors, { kind: "increase" }),
    ask(ctx, METRICS.errors, { kind: "increase" }, { groupBy: [key] }),
  ]);
  return {
    total: figure(single(total), "{error}"),
    byType: [...byLabel(byType, key)]
      .map(([label, s]) => ({ label, count: figure(s.value, "{error}") }))
      .filter((row) => countedAny(row.count))
      .sort(byFigure((row) => row.count.value)),
  };
}

async function satisfactionFigures(ctx: ReportContext) {
  const metric = METRICS.satisfaction;
  const [responses, mean, distribution, ...quartiles] = await Promise.all([
    ask(ctx, metric, { kind: "count" }),
    ask(ctx, metric, { kind: "avg" }),
    ask(ctx, metric, { kind: "distribution" }),
    ...[0.25, 0.5, 0.75].map((q) => ask(ctx, metric, { kind: "quantile", q })),
  ]);
  const [p25, median, p75] = quartiles.map((r) => figure(single(r), "{score}"));
  const count = single(responses);
  return {
    responses: figure(count, "{response}"),
    // A mean of no responses would be invented; so would its quartiles and
    // the shares of each score.
    mean: figure(count ? finite(single(mean)) : undefined, "{score}"),
    p25: count ? p25! : figure(undefined, "{score}"),
    median: count ? median! : figure(undefined, "{score}"),
    p75: count ? p75! : figure(undefined, "{score}"),
    distribution: count ? scoreShares(distribution.series[0]?.buckets) : [],
  };
}

/**
 * Responses and share per score from the distribution's buckets: a score's
 * bucket is (score − 1, score] (below 1 for the first), as the catalog's
 * bounds 1 to 5 make them; a score whose bucket is not there (other bounds
 * configured) has no figures. Shares are of all responses in the buckets.
 */
export function scoreShares(
  buckets: readonly BucketCount[] | undefined,
): ScoreShare[] {
  if (buckets === undefined) return [];
  const total = totalCount(buckets);
  return SCORES.map((score) => {
    const bucket = buckets.find(
      (b) =>
        b.upperBound === score && (score === 1 || b.lowerBound === score - 1),
    );
    const responses = finite(bucket?.count);
    return {
      score,
      responses: figure(responses, "{response}"),
      share: figure(ratio(responses, total), "1"),
    };
  });
}
