import { describe, expect, it } from "vitest";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { replay } from "../../src/alerts/replay.js";
import { MemoryStore } from "./helpers/memory-store.js";
import {
  recordingNotifiers,
  ruleFile,
  tempDir,
  testClock,
} from "./helpers/fixtures.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 19, 42, 10);

// The default rule file's InstanceNotReporting.
const NOT_REPORTING = `  - id: InstanceNotReporting
    metric: process.uptime
    statistic: count
    window: 3m
    group_by: [service.name, service.instance.id]
    condition: "<"
    threshold: 1
    severity: critical
    for: 2m
    no_data: alerting
`;

/** process.uptime of one instance every 30 s over [from, to]. */
function uptimeStore(fromMillis: number, toMillis: number): MemoryStore {
  const store = new MemoryStore();
  const points: Array<[number, number]> = [];
  for (let t = fromMillis; t <= toMillis; t += 30_000)
    points.push([t, (t - fromMillis) / 1000]);
  store.add(
    "process.uptime",
    { "service.name": "myexpress", "service.instance.id": "i-1" },
    points,
  );
  return store;
}

/** When each alert fired and resolved, in minutes after T0. */
function firings(
  episodes: ReadonlyArray<{
    firedAtMillis?: number;
    resolvedAtMillis?: number;
  }>,
): Array<[number, number | undefined]> {
  return episodes.map((e) => [
    ((e.firedAtMillis ?? 0) - T0) / MINUTE,
    e.resolvedAtMillis === undefined
      ? undefined
      : (e.resolvedAtMillis - T0) / MINUTE,
  ]);
}

describe("replay", () => {
  // Regression: `alerts replay --since 30m` reported InstanceNotReporting
  // firing 2 min after --since for a service that started 29 min later.
  it("does not apply no_data to a series before it first reported", async () => {
    const store = uptimeStore(T0 + 29 * MINUTE, T0 + 31 * MINUTE);
    const result = await replay({
      store,
      rules: ruleFile(NOT_REPORTING),
      sinceMillis: T0,
      untilMillis: T0 + 31 * MINUTE,
      stepSeconds: 60,
    });
    expect(result.errors).toEqual([]);
    expect(result.episodes).toEqual([]);
  });

  it("fires for a series that stops reporting, as the live evaluator does", async () => {
    const store = uptimeStore(T0 + 20 * MINUTE, T0 + 30 * MINUTE);
    const rules = ruleFile(NOT_REPORTING);
    const result = await replay({
      store,
      rules,
      sinceMillis: T0,
      untilMillis: T0 + 45 * MINUTE,
      stepSeconds: 60,
    });
    // Nothing in (30, 33] at minute 33: pending; firing 2 min later.
    expect(firings(result.episodes)).toEqual([[35, undefined]]);
    expect(result.episodes[0]?.peakValue).toBeNaN();

    const clock = testClock(T0);
    const evaluator = new Evaluator({
      store,
      rules,
      alertsDir: await tempDir(),
      clock: clock.now,
      notifiers: recordingNotifiers().notifiers,
      changeContext: false,
    });
    const fired: number[] = [];
    for (let t = T0; t <= T0 + 45 * MINUTE; t += MINUTE) {
      clock.set(t);
      const report = await evaluator.evaluateOnce();
      for (const transition of report.transitions)
        if (transition.kind === "firing") fired.push((t - T0) / MINUTE);
    }
    expect(fired).toEqual([35]);
  });

  it("applies no_data from the start to a rule without a group-by, as the evaluator does", async () => {
    const store = uptimeStore(T0 + 10 * MINUTE, T0 + 20 * MINUTE);
    const rules = ruleFile(
      NOT_REPORTING.replace(
        "    group_by: [service.name, service.instance.id]\n",
        "",
      ),
    );
    const result = await replay({
      store,
      rules,
      sinceMillis: T0,
      untilMillis: T0 + 20 * MINUTE,
      stepSeconds: 60,
    });
    // No data at minute 0: pending, firing at 2, resolved at 10 by the first point.
    expect(firings(result.episodes)).toEqual([[2, 10]]);
  });

  // Regression: with the store down, replay printed one error per rule and
  // then "no rule would have fired".
  it("stops at the first rule when the store is unavailable, and says so", async () => {
    const store = uptimeStore(T0, T0 + 10 * MINUTE);
    store.failWith503();
    const result = await replay({
      store,
      rules: ruleFile(
        NOT_REPORTING +
          NOT_REPORTING.replace("id: InstanceNotReporting", "id: Other"),
      ),
      sinceMillis: T0,
      untilMillis: T0 + 10 * MINUTE,
      stepSeconds: 60,
    });
    expect(store.queries).toBe(1);
    expect(result.rulesReplayed).toBe(0);
    expect(result.storeUnavailable).toEqual({
      store: "memory:test",
      error: "HTTP 503 Service Unavailable",
    });
    expect(result.errors).toEqual([
      {
        rule: "InstanceNotReporting",
        error: 'rule "InstanceNotReporting": HTTP 503 Service Unavailable',
      },
    ]);
  });
});
