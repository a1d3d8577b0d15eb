/**
 * The alert evaluator: at each evaluation it asks the store one question per
 * rule, steps the state machine of every series, records alerts and their
 * history, raises an alert about itself when the store fails, persists the
 * state atomically and sends the notifications that are due.
 *
 * One evaluation runs under a lease on the state directory, reading the
 * state at its start and writing it at its end, so any number of evaluator
 * processes (and `alerts resolve`) can share one data directory: they take
 * turns, and the second one sees what the first one notified.
 */
import { diag } from "@opentelemetry/api";
import { UnsupportedQueryError, type MetricStore } from "../store/types.js";
import { alertWindow, metricChanges } from "./context.js";
import { formatLabels, labelsHash } from "./labels.js";
import { acquireLease } from "./lease.js";
import { createNotifiers, dispatch } from "./notifiers/dispatcher.js";
import type { Notifier } from "./notifiers/types.js";
import { answersPromQL, observeRule, type GroupValue } from "./observe.js";
import type { Rule, RuleFile } from "./rule.js";
import {
  leaseFilePath,
  readState,
  writeState,
  type AlertRecord,
  type AlertsState,
  type RuleState,
  type StoredSeries,
} from "./state-file.js";
import { step, type Observation, type Transition } from "./state-machine.js";
import { renderMessage } from "./template.js";

/** The id of the alert the evaluator raises about itself. */
export const SELF_ALERT_RULE = "AlertEvaluatorFailing";

/** Options of {@link Evaluator}. */
export interface EvaluatorOptions {
  readonly store: MetricStore;
  readonly rules: RuleFile;
  /** The alerts directory, e.g. `data/monitoring/alerts`. */
  readonly alertsDir: string;
  /** Milliseconds since the epoch; tests pass a clock of their own. */
  readonly clock?: () => number;
  /** Where receivers' URLs and tokens are read from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Notifiers by receiver name; default: made from the rule file and `env`. */
  readonly notifiers?: ReadonlyMap<string, Notifier>;
  /** How long a lease outlives a crashed evaluator. */
  readonly leaseTtlMillis?: number;
  /** How long resolved alerts stay in the history. */
  readonly historyRetentionMillis?: number;
  /** Whether firing alerts get the metrics that changed most (one query pair per catalog metric). */
  readonly changeContext?: boolean;
  /**
   * How long an {@link SELF_ALERT_RULE} alert raised for another store stays
   * open when no evaluation uses that store any more (default 1 hour): after
   * it, the next evaluation of any store resolves it. An evaluator still
   * running against that store keeps it open, however rarely it runs, only
   * if it runs within this time.
   */
  readonly staleStoreGraceMillis?: number;
}

/** A transition as the evaluation report lists it. */
export interface ReportedTransition extends Transition {
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What one evaluation did. */
export interface EvaluationReport {
  readonly atMillis: number;
  /** Set when another process held the state and this evaluation did nothing. */
  readonly skipped?: string;
  readonly rules: ReadonlyArray<{
    readonly id: string;
    readonly series: number;
    readonly error?: string;
  }>;
  readonly transitions: readonly ReportedTransition[];
  readonly notifications: { readonly sent: number; readonly failed: number };
}

/** A rule's groups as the store gave them, or the error that stopped it. */
type RuleObservation =
  | { readonly groups: GroupValue[]; readonly error?: undefined }
  | { readonly groups?: undefined; readonly error: string };

const DAY = 86_400_000;
const NOTIFICATION_LOG_LIMIT = 20;

/** Evaluates a rule file against a store; see the module comment. */
export class Evaluator {
  private readonly store: MetricStore;
  private readonly rules: RuleFile;
  private readonly alertsDir: string;
  private readonly clock: () => number;
  private readonly notifiers: ReadonlyMap<string, Notifier>;
  private readonly leaseTtlMillis: number;
  private readonly historyRetentionMillis: number;
  private readonly changeContext: boolean;
  private readonly staleStoreGraceMillis: number;
  private readonly selfRule: Rule;

  constructor(options: EvaluatorOptions) {
    const {
      store,
      rules,
      alertsDir,
      clock = Date.now,
      env = process.env,
      leaseTtlMillis = 5 * 60_000,
      historyRetentionMillis = 30 * DAY,
      changeContext = true,
      staleStoreGraceMillis = 3_600_000,
    } = options;
    for (const rule of rules.rules) {
      if (rule.source.kind === "promql" && !answersPromQL(store)) {
        throw new UnsupportedQueryError(
          `rule "${rule.id}": a raw PromQL expr needs a Prometheus store; ${store.description} cannot run it`,
        );
      }
    }
    this.store = store;
    this.rules = rules;
    this.alertsDir = alertsDir;
    this.clock = clock;
    this.leaseTtlMillis = leaseTtlMillis;
    this.historyRetentionMillis = historyRetentionMillis;
    this.changeContext = changeContext;
    this.staleStoreGraceMillis = staleStoreGraceMillis;
    this.notifiers =
      options.notifiers ??
      createNotifiers(rules.receivers, {
        env,
        evaluationIntervalSeconds: rules.evaluationIntervalSeconds,
      });
    this.selfRule = {
      id: SELF_ALERT_RULE,
      description:
        "The alert evaluator cannot evaluate some rules: their alerts are frozen.",
      source: { kind: "promql", expr: "" },
      windowSeconds: 0,
      comparison: ">",
      tiers: [{ severity: "critical", threshold: 0, clearThreshold: 0 }],
      forSeconds: 0,
      keepFiringForSeconds: 0,
      noData: "ok",
      message:
        "{{ value }} rules could not be evaluated against {{ labels.store }}",
      receivers: rules.evaluatorReceivers,
      labels: {},
    };
  }

  /** Runs one evaluation of every rule at the clock's time. */
  async evaluateOnce(): Promise<EvaluationReport> {
    const now = this.clock();
    const lease = await acquireLease(leaseFilePath(this.alertsDir), {
      ttlMillis: this.leaseTtlMillis,
      clock: this.clock,
    });
    if ("heldBy" in lease) {
      // Debug only: the report says so, and its reader (the CLI, or the
      // collector's log of reports) tells the operator once.
      diag.debug(
        `alerts: evaluation skipped, the state is held by ${lease.heldBy}`,
      );
      return {
        atMillis: now,
        skipped: lease.heldBy,
        rules: [],
        transitions: [],
        notifications: { sent: 0, failed: 0 },
      };
    }
    try {
      const state = await readState(this.alertsDir);
      const transitions: ReportedTransition[] = [];
      const fired: Array<{ record: AlertRecord; rule: Rule }> = [];
      const rules: Array<{ id: string; series: number; error?: string }> = [];
      // Every rule asks the store at once, then steps in file order: rules
      // over the same series and window share one read of the embedded
      // store (see EmbeddedStore), and a remote store answers in parallel.
      const observed = await Promise.all(
        this.rules.rules.map((rule) => this.observe(rule, now)),
      );
      this.rules.rules.forEach((rule, i) => {
        rules.push(
          this.stepRule(rule, observed[i]!, state, now, transitions, fired),
        );
      });
      this.evaluateSelf(rules, state, now, transitions);
      await this.addContext(fired, now);
      this.prune(state, now);

      // A lease lost to a takeover (this evaluation outlived its TTL) means
      // another process reads and writes the state now: writing ours would
      // undo what it recorded, its notifications among them.
      let notifications = { sent: 0, failed: 0 };
      if (await lease.stillHeld()) {
        await writeState(this.alertsDir, state);
        notifications = await dispatch(
          state,
          this.notifiers,
          this.rules.repeatIntervalSeconds,
          (id) => this.ruleInfo(id),
          now,
        );
        await writeState(this.alertsDir, state);
      }
      return { atMillis: now, rules, transitions, notifications };
    } finally {
      await lease.release();
    }
  }

  private ruleInfo(id: string): { description?: string; runbook?: string } {
    const rule =
      id === SELF_ALERT_RULE
        ? this.selfRule
        : this.rules.rules.find((r) => r.id === id);
    return {
      ...(rule?.description === undefined
        ? {}
        : { description: rule.description }),
      ...(rule?.runbook === undefined ? {} : { runbook: rule.runbook }),
    };
  }

  /** What the store says about a rule now, or why it could not say. */
  private async observe(rule: Rule, now: number): Promise<RuleObservation> {
    try {
      return { groups: await observeRule(this.store, rule, now) };
    } catch (cause) {
      const error = `rule "${rule.id}": ${cause instanceof Error ? cause.message : String(cause)}`;
      // The report carries the error to whoever runs the evaluation, which
      // says it once; a warning here repeated it at every evaluation.
      diag.debug(`alerts: ${error}; its alerts hold their state`);
      return { error };
    }
  }

  private stepRule(
    rule: Rule,
    { groups, error }: RuleObservation,
    state: AlertsState,
    now: number,
    transitions: ReportedTransition[],
    fired: Array<{ record: AlertRecord; rule: Rule }>,
  ): { id: string; series: number; error?: string } {
    const ruleState = (state.rules[rule.id] ??= { series: {} });
    const observations = this.observations(rule, ruleState, groups, error);
    for (const [key, { labels, observation }] of observations) {
      this.stepSeries(
        rule,
        ruleState,
        key,
        labels,
        observation,
        state,
        now,
        transitions,
        fired,
      );
    }
    ruleState.lastEvaluationMillis = now;
    ruleState.lastError = error;
    return {
      id: rule.id,
      series: observations.size,
      ...(error === undefined ? {} : { error }),
    };
  }

  /** Every series to step: those the store returned and those known from before. */
  private observations(
    rule: Rule,
    ruleState: RuleState,
    groups: GroupValue[] | undefined,
    error: string | undefined,
  ): Map<string, { labels: Record<string, string>; observation: Observation }> {
    const result = new Map<
      string,
      { labels: Record<string, string>; observation: Observation }
    >();
    for (const group of groups ?? []) {
      const labels = { ...group.labels, ...rule.labels, alertname: rule.id };
      result.set(labelsHash(labels), {
        labels,
        observation: { kind: "value", value: group.value },
      });
    }
    for (const [key, series] of Object.entries(ruleState.series)) {
      if (result.has(key)) continue;
      const observation: Observation =
        error === undefined
          ? { kind: "no-data" }
          : { kind: "error", message: error };
      result.set(key, { labels: { ...series.labels }, observation });
    }
    // A rule without a group-by has one series even when the store has none,
    // so that its no-data policy applies from the first evaluation.
    const grouped =
      rule.source.kind === "promql" || rule.source.groupBy.length > 0;
    if (!grouped && error === undefined && result.size === 0) {
      const labels = { ...rule.labels, alertname: rule.id };
      result.set(labelsHash(labels), {
        labels,
        observation: { kind: "no-data" },
      });
    }
    return result;
  }

  private stepSeries(
    rule: Rule,
    ruleState: RuleState,
    key: string,
    labels: Record<string, string>,
    observation: Observation,
    state: AlertsState,
    now: number,
    transitions: ReportedTransition[],
    fired: Array<{ record: AlertRecord; rule: Rule }>,
  ): void {
    const previous = ruleState.series[key];
    const result = step(rule, previous, observation, now);
    let alertId = previous?.alertId;
    for (const transition of result.transitions) {
      if (transition.kind === "error") continue;
      transitions.push({ ...transition, rule: rule.id, labels });
      diag.debug(
        `alerts: rule "${rule.id}" ${formatLabels(labels)}: ${transition.from} -> ${transition.to}${transition.toTier === undefined ? "" : ` (tier ${transition.fromTier} -> ${transition.toTier})`}`,
      );
    }
    const kinds = new Set(result.transitions.map((t) => t.kind));
    const { next } = result;

    if (kinds.has("pending")) {
      alertId = `${key.slice(0, 8)}-${now.toString(36)}`;
      state.alerts[alertId] = this.newRecord(rule, alertId, key, labels, now);
    }
    const record = alertId === undefined ? undefined : state.alerts[alertId];
    if (
      record !== undefined &&
      (record.state !== "resolved" || kinds.has("resolved"))
    ) {
      const tier =
        rule.tiers[
          next.tier >= 0 ? next.tier : Math.max(0, previous?.tier ?? 0)
        ] ?? rule.tiers[0];
      if (tier !== undefined && next.state !== "resolved") {
        record.severity = tier.severity;
        record.threshold = tier.threshold;
      }
      if (observation.kind !== "error") {
        record.value = next.value;
        record.peakValue = next.peakValue;
        record.message = renderMessage(rule.message, {
          rule: rule.id,
          value: next.value,
          threshold: record.threshold,
          severity: record.severity,
          labels,
        });
      }
      record.lastEvaluationMillis = now;
      record.lastError = next.lastError;
      if (next.state !== "inactive") record.state = next.state;
      if (kinds.has("firing")) {
        record.firedAtMillis = now;
        fired.push({ record, rule });
      }
      if (kinds.has("resolved")) {
        record.resolvedAtMillis = now;
        record.resolvedBy = { kind: "automatic" };
      }
    }
    if (kinds.has("inactive") && alertId !== undefined) {
      // A pending alert that never fired leaves no history, as in Prometheus.
      delete state.alerts[alertId];
      alertId = undefined;
    }

    const gone =
      (next.state === "inactive" || next.state === "resolved") &&
      next.lastObservation === "no-data";
    if (gone) delete ruleState.series[key];
    else
      ruleState.series[key] = {
        ...next,
        labels,
        ...(alertId === undefined ? {} : { alertId }),
      } as StoredSeries;
  }

  private newRecord(
    rule: Rule,
    id: string,
    key: string,
    labels: Record<string, string>,
    now: number,
  ): AlertRecord {
    const first = rule.tiers[0];
    return {
      id,
      rule: rule.id,
      seriesKey: key,
      labels,
      severity: first?.severity ?? "warning",
      state: "pending",
      message: "",
      value: Number.NaN,
      threshold: first?.threshold ?? Number.NaN,
      peakValue: Number.NaN,
      startedAtMillis: now,
      ...(rule.runbook === undefined ? {} : { runbook: rule.runbook }),
      receivers: rule.receivers,
      lastEvaluationMillis: now,
      notifications: [],
      delivered: {},
    };
  }

  /** Raises (or clears) the alert about rules that could not be evaluated. */
  private evaluateSelf(
    rules: ReadonlyArray<{ error?: string }>,
    state: AlertsState,
    now: number,
    transitions: ReportedTransition[],
  ): void {
    const errors = rules.flatMap((r) =>
      r.error === undefined ? [] : [r.error],
    );
    const ruleState = (state.rules[SELF_ALERT_RULE] ??= { series: {} });
    const labels = {
      alertname: SELF_ALERT_RULE,
      store: this.store.description,
    };
    const key = labelsHash(labels);
    this.resolveStaleStores(ruleState, state, key, now, transitions);
    if (errors.length === 0 && ruleState.series[key] === undefined) return;
    this.stepSeries(
      this.selfRule,
      ruleState,
      key,
      labels,
      { kind: "value", value: errors.length },
      state,
      now,
      transitions,
      [],
    );
    const alertId = ruleState.series[key]?.alertId;
    const record = alertId === undefined ? undefined : state.alerts[alertId];
    if (
      record !== undefined &&
      record.state !== "resolved" &&
      errors[0] !== undefined
    ) {
      record.message = `${errors.length} of ${rules.length} rules could not be evaluated against ${this.store.description}; their alerts hold their state. First: ${errors[0]}`;
      record.lastError = errors[0];
    }
    if (ruleState.series[key]?.state === "resolved")
      delete ruleState.series[key];
  }

  /**
   * Resolves the evaluator-failure alerts of other stores that no evaluation
   * has used for the grace period. Each such alert is otherwise stepped only
   * by an evaluation of its own store: one run with a mistyped `--store`
   * left it firing for ever.
   */
  private resolveStaleStores(
    ruleState: RuleState,
    state: AlertsState,
    ownKey: string,
    now: number,
    transitions: ReportedTransition[],
  ): void {
    for (const [key, series] of Object.entries(ruleState.series)) {
      const last = series.lastEvaluationMillis ?? 0;
      if (key === ownKey || now - last < this.staleStoreGraceMillis) continue;
      delete ruleState.series[key];
      const record =
        series.alertId === undefined ? undefined : state.alerts[series.alertId];
      if (record === undefined || record.state === "resolved") continue;
      const from = record.state;
      record.state = "resolved";
      record.resolvedAtMillis = now;
      record.resolvedBy = { kind: "automatic" };
      record.message = `no evaluation has used ${series.labels["store"] ?? "this store"} since ${new Date(last).toISOString()}: resolved as no longer used`;
      transitions.push({
        kind: "resolved",
        from,
        to: "resolved",
        atMillis: now,
        rule: SELF_ALERT_RULE,
        labels: series.labels,
      });
      diag.info(`alerts: ${record.id}: ${record.message}`);
    }
  }

  /** Attaches the metrics that changed most to alerts that just fired. */
  private async addContext(
    fired: Array<{ record: AlertRecord; rule: Rule }>,
    now: number,
  ): Promise<void> {
    if (!this.changeContext || fired.length === 0) return;
    // Alerts that went pending together over equal windows share one look.
    const byWindow = new Map<number, Promise<AlertRecord["context"]>>();
    for (const { record, rule } of fired) {
      const window = alertWindow(
        record.startedAtMillis,
        now,
        rule.windowSeconds,
      );
      let changes = byWindow.get(window.startMillis);
      if (changes === undefined)
        byWindow.set(
          window.startMillis,
          (changes = metricChanges(this.store, window)),
        );
      record.context = await changes;
    }
  }

  private prune(state: AlertsState, now: number): void {
    for (const [id, record] of Object.entries(state.alerts)) {
      if (
        record.state === "resolved" &&
        (record.resolvedAtMillis ?? now) < now - this.historyRetentionMillis
      ) {
        delete state.alerts[id];
      } else if (record.notifications.length > NOTIFICATION_LOG_LIMIT) {
        record.notifications = record.notifications.slice(
          -NOTIFICATION_LOG_LIMIT,
        );
      }
    }
    state.silences = state.silences.filter((s) => s.endsAtMillis > now);
  }
}

/** A running evaluation loop. */
export interface EvaluatorLoop {
  /** Stops the loop after the evaluation in progress; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Evaluates every `intervalMillis` until stopped. Runs never overlap: the
 * next one is scheduled when the last one ends. Errors are logged and the
 * loop goes on. The timer is unref'd: the loop never keeps a process alive.
 */
export function startEvaluatorLoop(
  evaluator: Evaluator,
  intervalMillis: number,
  onReport?: (report: EvaluationReport) => void,
): EvaluatorLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    running = evaluator
      .evaluateOnce()
      .then(onReport, (error: unknown) =>
        diag.error(`alerts: evaluation failed: ${(error as Error).message}`),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(run, intervalMillis).unref();
      });
  };
  run();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
