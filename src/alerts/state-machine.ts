/**
 * The alert state machine of one series of one rule, as a pure function:
 * the previous state, what the store said now, and the time give the next
 * state and the transitions taken. The evaluator persists the state and acts
 * on the transitions; tests drive it with a clock of their own.
 *
 * States follow Prometheus: a series whose condition starts to hold is
 * `pending`; once it has held for the rule's `for` it is `firing`; when it
 * stops holding a pending series goes back to `inactive` and a firing one
 * becomes `resolved`. On top of that, hysteresis (a clearing threshold and
 * `keep_firing_for`) keeps a firing alert from flapping, and severity tiers
 * move one firing alert up and down without resolving it.
 *
 * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
 */
import {
  beyond,
  type Comparison,
  type NoDataPolicy,
  type Tier,
} from "./rule.js";

/** The state of one series. */
export type AlertState = "inactive" | "pending" | "firing" | "resolved";

/** What one evaluation learnt about a series. */
export type Observation =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "no-data" }
  | { readonly kind: "error"; readonly message: string };

/** The parts of a rule the state machine needs. */
export interface StateMachineRule {
  readonly comparison: Comparison;
  readonly tiers: readonly Tier[];
  readonly forSeconds: number;
  readonly keepFiringForSeconds: number;
  readonly noData: NoDataPolicy;
}

/** The persisted state of one series. */
export interface SeriesState {
  readonly state: AlertState;
  /** Index into the rule's tiers of the current severity; -1 when inactive. */
  readonly tier: number;
  /** The last value seen (NaN when the last evaluation had no data). */
  readonly value: number;
  /** The value furthest past the threshold since the series became pending. */
  readonly peakValue: number;
  /** When the condition started to hold (Prometheus' ActiveAt). */
  readonly activeAtMillis?: number;
  readonly firedAtMillis?: number;
  readonly resolvedAtMillis?: number;
  /** When the condition stopped holding while `keep_firing_for` keeps it firing. */
  readonly keepFiringSinceMillis?: number;
  readonly lastEvaluationMillis?: number;
  readonly lastObservation?: Observation["kind"];
  readonly lastError?: string;
}

/** A transition, named `from -> to` in logs. */
export type TransitionKind =
  | "pending"
  | "firing"
  | "resolved"
  | "inactive"
  | "escalated"
  | "de-escalated"
  | "error";

/** One transition taken by an evaluation. */
export interface Transition {
  readonly kind: TransitionKind;
  readonly from: AlertState;
  readonly to: AlertState;
  readonly atMillis: number;
  /** For escalations: the tier left and the tier entered. */
  readonly fromTier?: number;
  readonly toTier?: number;
}

/** The result of one step. */
export interface StepResult {
  readonly next: SeriesState;
  readonly transitions: readonly Transition[];
}

/** The state of a series never seen before. */
export const INITIAL_STATE: SeriesState = {
  state: "inactive",
  tier: -1,
  value: Number.NaN,
  peakValue: Number.NaN,
};

/**
 * The tier the value reaches, or -1. A firing alert keeps a tier (and every
 * tier below it) until the value crosses that tier's clearing threshold, so
 * a value wavering around a threshold does not resolve or step down.
 */
export function tierFor(
  rule: StateMachineRule,
  value: number,
  current: SeriesState,
): number {
  const { comparison, tiers } = rule;
  const heldTier = current.state === "firing" ? current.tier : -1;
  for (let i = tiers.length - 1; i >= 0; i -= 1) {
    const tier = tiers[i];
    if (tier === undefined) continue;
    if (beyond(comparison, value, tier.threshold)) return i;
    if (i <= heldTier && beyond(comparison, value, tier.clearThreshold))
      return i;
  }
  return -1;
}

function furthest(comparison: Comparison, a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return comparison.startsWith(">") ? Math.max(a, b) : Math.min(a, b);
}

/**
 * One evaluation of one series.
 *
 * - `error`: nothing moves; the error is recorded. A store outage must never
 *   resolve an alert or start a new one.
 * - `no-data`: by the rule's policy, as if the condition did not hold (`ok`),
 *   held at the least severe tier (`alerting`), or nothing moves
 *   (`keep-state`). A NaN value counts as no data.
 * - a value: compared with the tiers, with hysteresis for a firing alert.
 */
export function step(
  rule: StateMachineRule,
  previous: SeriesState | undefined,
  observation: Observation,
  nowMillis: number,
): StepResult {
  const prev = previous ?? INITIAL_STATE;
  const seen = {
    lastEvaluationMillis: nowMillis,
    lastObservation: observation.kind,
  };

  if (observation.kind === "error") {
    const next = { ...prev, ...seen, lastError: observation.message };
    const transition: Transition = {
      kind: "error",
      from: prev.state,
      to: prev.state,
      atMillis: nowMillis,
    };
    return { next, transitions: [transition] };
  }

  let tier: number;
  let value = Number.NaN;
  if (observation.kind === "value" && !Number.isNaN(observation.value)) {
    value = observation.value;
    tier = tierFor(rule, value, prev);
  } else if (rule.noData === "keep-state") {
    return {
      next: {
        ...prev,
        ...seen,
        lastObservation: "no-data",
        lastError: undefined,
      },
      transitions: [],
    };
  } else if (rule.noData === "alerting") {
    tier =
      prev.state === "firing" || prev.state === "pending"
        ? Math.max(prev.tier, 0)
        : 0;
  } else {
    tier = -1;
  }
  const base = {
    ...prev,
    ...seen,
    lastObservation:
      observation.kind === "value" && Number.isNaN(observation.value)
        ? ("no-data" as const)
        : observation.kind,
    lastError: undefined,
    value,
  };
  return tier >= 0
    ? holds(rule, prev, base, tier, nowMillis)
    : fails(rule, prev, base, nowMillis);
}

/** The condition holds at `tier`. */
function holds(
  rule: StateMachineRule,
  prev: SeriesState,
  base: SeriesState,
  tier: number,
  now: number,
): StepResult {
  const transitions: Transition[] = [];
  let next: SeriesState = { ...base, tier, keepFiringSinceMillis: undefined };

  if (prev.state === "inactive" || prev.state === "resolved") {
    // A new alert: the peak and the times of the last one no longer apply.
    next = {
      ...next,
      state: "pending",
      activeAtMillis: now,
      firedAtMillis: undefined,
      resolvedAtMillis: undefined,
      peakValue: base.value,
    };
    transitions.push({
      kind: "pending",
      from: prev.state,
      to: "pending",
      atMillis: now,
    });
  } else {
    next = {
      ...next,
      peakValue: furthest(rule.comparison, prev.peakValue, base.value),
    };
  }

  if (
    next.state === "pending" &&
    now - (next.activeAtMillis ?? now) >= rule.forSeconds * 1000
  ) {
    next = { ...next, state: "firing", firedAtMillis: now };
    transitions.push({
      kind: "firing",
      from: "pending",
      to: "firing",
      atMillis: now,
    });
  } else if (prev.state === "firing" && tier !== prev.tier) {
    transitions.push({
      kind: tier > prev.tier ? "escalated" : "de-escalated",
      from: "firing",
      to: "firing",
      atMillis: now,
      fromTier: prev.tier,
      toTier: tier,
    });
  }
  return { next, transitions };
}

/** The condition does not hold. */
function fails(
  rule: StateMachineRule,
  prev: SeriesState,
  base: SeriesState,
  now: number,
): StepResult {
  switch (prev.state) {
    case "inactive":
    case "resolved":
      return { next: { ...base, tier: -1 }, transitions: [] };
    case "pending":
      // Prometheus forgets a pending alert whose condition stops holding.
      return {
        next: {
          ...base,
          state: "inactive",
          tier: -1,
          activeAtMillis: undefined,
          peakValue: Number.NaN,
        },
        transitions: [
          { kind: "inactive", from: "pending", to: "inactive", atMillis: now },
        ],
      };
    case "firing": {
      const since = prev.keepFiringSinceMillis ?? now;
      if (now - since < rule.keepFiringForSeconds * 1000) {
        return {
          next: { ...base, tier: prev.tier, keepFiringSinceMillis: since },
          transitions: [],
        };
      }
      return {
        next: {
          ...base,
          state: "resolved",
          tier: -1,
          resolvedAtMillis: now,
          keepFiringSinceMillis: undefined,
        },
        transitions: [
          { kind: "resolved", from: "firing", to: "resolved", atMillis: now },
        ],
      };
    }
  }
}
