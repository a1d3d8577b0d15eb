import { describe, expect, it } from "vitest";
import {
  step,
  type Observation,
  type SeriesState,
  type StateMachineRule,
} from "../../src/alerts/state-machine.js";

const MINUTE = 60_000;

const RULE: StateMachineRule = {
  comparison: ">",
  tiers: [{ severity: "warning", threshold: 0.9, clearThreshold: 0.9 }],
  forSeconds: 0,
  keepFiringForSeconds: 0,
  noData: "keep-state",
};

const TIERED: Partial<StateMachineRule> = {
  tiers: [
    { severity: "warning", threshold: 0.9, clearThreshold: 0.85 },
    { severity: "critical", threshold: 0.95, clearThreshold: 0.93 },
  ],
};

type Input = number | "nodata" | "error";

function observation(input: Input): Observation {
  if (input === "nodata") return { kind: "no-data" };
  if (input === "error") return { kind: "error", message: "HTTP 503" };
  return { kind: "value", value: input };
}

/**
 * Runs the inputs at one per minute and writes each step as
 * `state[tier]`, followed by its transitions, e.g. `firing[0] pending->firing`.
 */
function trace(rule: Partial<StateMachineRule>, inputs: Input[]): string[] {
  const full = { ...RULE, ...rule };
  let state: SeriesState | undefined;
  return inputs.map((input, minute) => {
    const { next, transitions } = step(
      full,
      state,
      observation(input),
      minute * MINUTE,
    );
    state = next;
    const moves = transitions.map((t) =>
      t.kind === "escalated" || t.kind === "de-escalated"
        ? ` ${t.kind}:${t.fromTier}->${t.toTier}`
        : ` ${t.from}->${t.to}`,
    );
    return `${next.state}[${next.tier}]${moves.join("")}`;
  });
}

describe("the alert state machine", () => {
  it.each<[string, Partial<StateMachineRule>, Input[], string[]]>([
    [
      "for: 0 fires at once",
      {},
      [0.5, 0.95],
      ["inactive[-1]", "firing[0] inactive->pending pending->firing"],
    ],
    [
      "for: 3m holds pending until 3 minutes have passed",
      { forSeconds: 180 },
      [0.95, 0.95, 0.95, 0.95, 0.95],
      [
        "pending[0] inactive->pending",
        "pending[0]",
        "pending[0]",
        "firing[0] pending->firing",
        "firing[0]",
      ],
    ],
    [
      "a pending alert whose condition stops goes back to inactive",
      { forSeconds: 180 },
      [0.95, 0.95, 0.5, 0.95],
      [
        "pending[0] inactive->pending",
        "pending[0]",
        "inactive[-1] pending->inactive",
        "pending[0] inactive->pending",
      ],
    ],
    [
      "a firing alert resolves, and a new one starts pending",
      { forSeconds: 60 },
      [0.95, 0.95, 0.5, 0.5, 0.95],
      [
        "pending[0] inactive->pending",
        "firing[0] pending->firing",
        "resolved[-1] firing->resolved",
        "resolved[-1]",
        "pending[0] resolved->pending",
      ],
    ],
    [
      "without hysteresis a wavering value flaps",
      {},
      [0.95, 0.89, 0.95, 0.89],
      [
        "firing[0] inactive->pending pending->firing",
        "resolved[-1] firing->resolved",
        "firing[0] resolved->pending pending->firing",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "a clearing threshold holds off the flapping",
      { tiers: [{ severity: "warning", threshold: 0.9, clearThreshold: 0.8 }] },
      [0.95, 0.89, 0.95, 0.81, 0.85, 0.8],
      [
        "firing[0] inactive->pending pending->firing",
        "firing[0]",
        "firing[0]",
        "firing[0]",
        "firing[0]",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "the clearing threshold applies to firing alerts, not to pending ones",
      {
        forSeconds: 120,
        tiers: [{ severity: "warning", threshold: 0.9, clearThreshold: 0.8 }],
      },
      [0.95, 0.85],
      ["pending[0] inactive->pending", "inactive[-1] pending->inactive"],
    ],
    [
      "keep_firing_for holds a firing alert through short dips",
      { keepFiringForSeconds: 120 },
      [0.95, 0.5, 0.95, 0.5, 0.5, 0.5],
      [
        "firing[0] inactive->pending pending->firing",
        "firing[0]",
        "firing[0]",
        "firing[0]",
        "firing[0]",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "tiers escalate and step down without resolving",
      TIERED,
      [0.91, 0.96, 0.94, 0.92, 0.86, 0.97, 0.84],
      [
        "firing[0] inactive->pending pending->firing",
        "firing[1] escalated:0->1",
        "firing[1]",
        "firing[0] de-escalated:1->0",
        "firing[0]",
        "firing[1] escalated:0->1",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "a pending alert fires at the tier reached when `for` has passed",
      { ...TIERED, forSeconds: 120 },
      [0.91, 0.96, 0.97],
      [
        "pending[0] inactive->pending",
        "pending[1]",
        "firing[1] pending->firing",
      ],
    ],
    [
      "a falling condition (<) with tiers",
      {
        comparison: "<",
        tiers: [
          { severity: "warning", threshold: 0.15, clearThreshold: 0.25 },
          { severity: "critical", threshold: 0.05, clearThreshold: 0.1 },
        ],
      },
      [0.5, 0.1, 0.04, 0.08, 0.2, 0.3],
      [
        "inactive[-1]",
        "firing[0] inactive->pending pending->firing",
        "firing[1] escalated:0->1",
        "firing[1]",
        "firing[0] de-escalated:1->0",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "no data, policy ok: resolves",
      { noData: "ok" },
      [0.95, "nodata", "nodata"],
      [
        "firing[0] inactive->pending pending->firing",
        "resolved[-1] firing->resolved",
        "resolved[-1]",
      ],
    ],
    [
      "no data, policy alerting: pending, then firing after `for`",
      { noData: "alerting", forSeconds: 120 },
      [0.5, "nodata", "nodata", "nodata", 0.5],
      [
        "inactive[-1]",
        "pending[0] inactive->pending",
        "pending[0]",
        "firing[0] pending->firing",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "no data, policy keep-state: a firing alert holds",
      { noData: "keep-state" },
      [0.95, "nodata", "nodata", 0.95],
      [
        "firing[0] inactive->pending pending->firing",
        "firing[0]",
        "firing[0]",
        "firing[0]",
      ],
    ],
    [
      "no data, policy keep-state: the `for` timer of a pending alert runs on",
      { noData: "keep-state", forSeconds: 120 },
      [0.95, "nodata", 0.95],
      [
        "pending[0] inactive->pending",
        "pending[0]",
        "firing[0] pending->firing",
      ],
    ],
    [
      "a NaN value counts as no data",
      { noData: "ok" },
      [0.95, Number.NaN],
      [
        "firing[0] inactive->pending pending->firing",
        "resolved[-1] firing->resolved",
      ],
    ],
    [
      "a store error never resolves a firing alert, nor fires it again (A2)",
      { noData: "ok" },
      [0.95, "error", "error", "error", 0.95],
      [
        "firing[0] inactive->pending pending->firing",
        "firing[0] firing->firing",
        "firing[0] firing->firing",
        "firing[0] firing->firing",
        "firing[0]",
      ],
    ],
    [
      "a store error holds a pending alert",
      { forSeconds: 120 },
      [0.95, "error", 0.5],
      [
        "pending[0] inactive->pending",
        "pending[0] pending->pending",
        "inactive[-1] pending->inactive",
      ],
    ],
  ])("%s", (_name, rule, inputs, expected) => {
    expect(trace(rule, inputs)).toEqual(expected);
  });

  it("records times, value, peak and the error", () => {
    let state = step(RULE, undefined, { kind: "value", value: 0.92 }, 0).next;
    state = step(RULE, state, { kind: "value", value: 0.99 }, MINUTE).next;
    state = step(RULE, state, { kind: "value", value: 0.93 }, 2 * MINUTE).next;
    expect(state).toMatchObject({
      state: "firing",
      activeAtMillis: 0,
      firedAtMillis: 0,
      value: 0.93,
      peakValue: 0.99,
      lastEvaluationMillis: 2 * MINUTE,
    });
    state = step(
      RULE,
      state,
      { kind: "error", message: "HTTP 503" },
      3 * MINUTE,
    ).next;
    expect(state).toMatchObject({
      state: "firing",
      lastError: "HTTP 503",
      lastObservation: "error",
    });
    state = step(RULE, state, { kind: "value", value: 0.5 }, 4 * MINUTE).next;
    expect(state).toMatchObject({
      state: "resolved",
      resolvedAtMillis: 4 * MINUTE,
      lastError: undefined,
      peakValue: 0.99,
    });
  });
});
