/**
 * Replay: the rules evaluated over stored history, step by step, through
 * the same state machine as the evaluator, so an operator can see when each
 * rule would have fired and resolved before going live. Nothing is written
 * and nobody is notified.
 *
 * Each rule is asked one range query per day of history (two for ratios)
 * instead of one query per step; forecasts and trends fit their line over
 * the points of each step's window.
 */
import { linearFit, valueAt, type TimePoint } from "../query/analysis.js";
import type { Query, SeriesResult } from "../query/model.js";
import { StoreUnavailableError, type MetricStore } from "../store/types.js";
import { labelsHash } from "./labels.js";
import { fitStepSeconds, observeRule, ratio } from "./observe.js";
import type { Rule, RuleFile, Severity } from "./rule.js";
import { SEVERITIES } from "./rule.js";
import { step, type Observation, type SeriesState } from "./state-machine.js";

/** One alert the rules would have raised. */
export interface ReplayEpisode {
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The most severe tier it reached while firing. */
  severity: Severity;
  readonly pendingAtMillis: number;
  firedAtMillis?: number;
  resolvedAtMillis?: number;
  /** The value furthest past the threshold; NaN when it fired on no data. */
  peakValue: number;
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  readonly store: MetricStore;
  readonly rules: RuleFile;
  readonly sinceMillis: number;
  readonly untilMillis: number;
  readonly stepSeconds: number;
  /** Called after each chunk of work, with chunks done and in all. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What a replay found. */
export interface ReplayResult {
  /** Episodes that fired, oldest first; those still firing at the end have no resolvedAtMillis. */
  readonly episodes: readonly ReplayEpisode[];
  /** Rules the store could not answer, with why. */
  readonly errors: ReadonlyArray<{
    readonly rule: string;
    readonly error: string;
  }>;
  /**
   * Set when the store could not be reached or answered with an outage: the
   * replay stopped there, and the rules after `errors`' last were not asked.
   */
  readonly storeUnavailable?: {
    readonly store: string;
    readonly error: string;
  };
  /** How many rules were replayed over the whole range. */
  readonly rulesReplayed: number;
}

const CHUNK_MILLIS = 86_400_000;

/** One label set of a rule as the replay steps it. */
interface ReplaySeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Whether the store has returned a value for it yet. */
  seen: boolean;
  state?: SeriesState;
  episode?: ReplayEpisode;
}

type Values = Map<
  string,
  { labels: Readonly<Record<string, string>>; byTime: Map<number, number> }
>;

function collect(
  values: Values,
  series: readonly SeriesResult[],
  ruleLabels: Rule,
): void {
  for (const { labels, points = [] } of series) {
    const full = { ...labels, ...ruleLabels.labels, alertname: ruleLabels.id };
    const key = labelsHash(full);
    const entry = values.get(key) ?? {
      labels: full,
      byTime: new Map<number, number>(),
    };
    values.set(key, entry);
    for (const [t, v] of points) entry.byTime.set(t, v);
  }
}

/** Each group's value at each step of [start, end], by range queries. */
async function rangeValues(
  store: MetricStore,
  rule: Rule,
  start: number,
  end: number,
  stepSeconds: number,
): Promise<Values> {
  const values: Values = new Map();
  const { source } = rule;
  if (source.kind === "promql") {
    // Raw PromQL goes through the store's instant queries, one per step.
    for (let t = start; t <= end; t += stepSeconds * 1000) {
      const groups = await observeRule(store, rule, t);
      collect(
        values,
        groups.map((g) => ({ ...g, points: [[t, g.value]] })),
        rule,
      );
    }
    return values;
  }
  const base = {
    metric: source.metric,
    filters: source.filters,
    groupBy: source.groupBy,
  };
  const { statistic } = source;
  if (statistic.kind === "forecast" || statistic.kind === "trend") {
    const fit = fitStepSeconds(rule.windowSeconds);
    const raw = await store.query({
      ...base,
      statistic: { kind: "last" },
      startMillis: start - rule.windowSeconds * 1000,
      endMillis: end,
      stepSeconds: fit,
      windowSeconds: fit,
    });
    const series = raw.series.map(({ labels, points = [] }) => {
      const byStep: Array<[number, number]> = [];
      for (let t = start; t <= end; t += stepSeconds * 1000) {
        const window = points.filter(
          ([time]) => time > t - rule.windowSeconds * 1000 && time <= t,
        ) as TimePoint[];
        const line = linearFit(window);
        if (line === undefined) continue;
        byStep.push([
          t,
          statistic.kind === "trend"
            ? line.slopePerSecond
            : valueAt(line, t + statistic.horizonSeconds * 1000),
        ]);
      }
      return { labels, value: Number.NaN, points: byStep };
    });
    collect(values, series, rule);
    return values;
  }
  const query: Query = {
    ...base,
    statistic,
    startMillis: start,
    endMillis: end,
    stepSeconds,
    windowSeconds: rule.windowSeconds,
  };
  if (source.denominator === undefined) {
    collect(values, (await store.query(query)).series, rule);
    return values;
  }
  const [top, bottom] = await Promise.all([
    store.query(query),
    store.query({
      ...query,
      metric: source.denominator.metric,
      filters: source.denominator.filters,
    }),
  ]);
  // The ratio of each step: numerator and denominator as one-point series.
  const times = new Set(
    bottom.series.flatMap((s) => (s.points ?? []).map(([t]) => t)),
  );
  const series: SeriesResult[] = [];
  for (const t of times) {
    const at = (list: readonly SeriesResult[]) =>
      list.flatMap((s) => {
        const point = s.points?.find(([time]) => time === t);
        return point === undefined
          ? []
          : [{ labels: s.labels, value: point[1] }];
      });
    for (const g of ratio(at(top.series), at(bottom.series)))
      series.push({ labels: g.labels, value: g.value, points: [[t, g.value]] });
  }
  collect(values, series, rule);
  return values;
}

/** Evaluates the rules over [since, until] and lists the alerts they would have raised. */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { store, rules, sinceMillis, untilMillis, stepSeconds, onProgress } =
    options;
  const stepMillis = stepSeconds * 1000;
  const chunks = Math.max(
    1,
    Math.ceil((untilMillis - sinceMillis + 1) / CHUNK_MILLIS),
  );
  const episodes: ReplayEpisode[] = [];
  const errors: Array<{ rule: string; error: string }> = [];
  let storeUnavailable: ReplayResult["storeUnavailable"];
  let rulesReplayed = 0;
  let done = 0;

  for (const rule of rules.rules) {
    // A store that is down fails every rule alike: asking the others only
    // repeats the error (and, for a store that times out, the wait).
    if (storeUnavailable !== undefined) break;
    let complete = true;
    const states = new Map<string, ReplaySeries>();
    // As in the evaluator, a rule without a group-by has its one series from
    // the start, so that its no-data policy applies before any data.
    if (rule.source.kind === "query" && rule.source.groupBy.length === 0) {
      const labels = { ...rule.labels, alertname: rule.id };
      states.set(labelsHash(labels), { labels, seen: true });
    }
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      // Chunks start on a step, so that every step is evaluated once.
      const start =
        sinceMillis +
        Math.ceil((chunk * CHUNK_MILLIS) / stepMillis) * stepMillis;
      const end = Math.min(
        untilMillis,
        sinceMillis + (chunk + 1) * CHUNK_MILLIS - 1,
      );
      let values: Values;
      try {
        values = await rangeValues(store, rule, start, end, stepSeconds);
      } catch (error) {
        const message = (error as Error).message;
        errors.push({ rule: rule.id, error: `rule "${rule.id}": ${message}` });
        if (error instanceof StoreUnavailableError)
          storeUnavailable = { store: error.store, error: message };
        complete = false;
        done += chunks - chunk;
        onProgress?.(done, chunks * rules.rules.length);
        break;
      }
      for (const [key, { labels }] of values)
        if (!states.has(key)) states.set(key, { labels, seen: false });
      for (let t = start; t <= end; t += stepMillis) {
        for (const [key, entry] of states) {
          const value = values.get(key)?.byTime.get(t);
          // A series cannot stop reporting before it first reported: the
          // steps before its first value are not evaluated at all, as the
          // live evaluator never hears of a label set before the store
          // returns it. Without this every `no_data: alerting` series fired
          // `for` after --since, however late it started.
          if (!entry.seen) {
            if (value === undefined) continue;
            entry.seen = true;
          }
          const observation: Observation =
            value === undefined
              ? { kind: "no-data" }
              : { kind: "value", value };
          const { next, transitions } = step(rule, entry.state, observation, t);
          entry.state = next;
          for (const transition of transitions) {
            if (transition.kind === "pending") {
              entry.episode = {
                rule: rule.id,
                labels: entry.labels,
                severity: rule.tiers[0]?.severity ?? "warning",
                pendingAtMillis: t,
                peakValue: next.peakValue,
              };
            } else if (
              transition.kind === "firing" &&
              entry.episode !== undefined
            ) {
              entry.episode.firedAtMillis = t;
              episodes.push(entry.episode);
            } else if (
              transition.kind === "resolved" &&
              entry.episode !== undefined
            ) {
              entry.episode.resolvedAtMillis = t;
              entry.episode = undefined;
            }
          }
          if (entry.episode !== undefined && next.state === "firing") {
            const severity = rule.tiers[next.tier]?.severity;
            if (
              severity !== undefined &&
              SEVERITIES.indexOf(severity) >
                SEVERITIES.indexOf(entry.episode.severity)
            )
              entry.episode.severity = severity;
            entry.episode.peakValue = next.peakValue;
          }
        }
      }
      done += 1;
      onProgress?.(done, chunks * rules.rules.length);
    }
    if (complete) rulesReplayed += 1;
  }
  episodes.sort(
    (a, b) =>
      (a.firedAtMillis ?? 0) - (b.firedAtMillis ?? 0) ||
      (a.rule < b.rule ? -1 : 1),
  );
  return {
    episodes,
    errors,
    ...(storeUnavailable === undefined ? {} : { storeUnavailable }),
    rulesReplayed,
  };
}
