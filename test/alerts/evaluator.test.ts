import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Evaluator, SELF_ALERT_RULE } from "../../src/alerts/evaluator.js";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { readState } from "../../src/alerts/state-file.js";
import {
  StoreUnavailableError,
  type MetricStore,
} from "../../src/store/types.js";
import { MemoryStore } from "./helpers/memory-store.js";
import {
  recordingNotifiers,
  ruleFile,
  tempDir,
  testClock,
} from "./helpers/fixtures.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const CPU_RULE = `  - id: CpuHigh
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    for: 5m
    severity: critical
    message: "CPU on {{ labels.host.name }} at {{ value | percent }}"
`;

/** A store whose series for each host holds `value(t)` every 30 s from `from`. */
function cpuStore(
  hosts: string[],
  from: number,
  to: number,
  value: (t: number, host: string) => number,
): MemoryStore {
  const store = new MemoryStore();
  for (const host of hosts) {
    const points: Array<[number, number]> = [];
    for (let t = from; t <= to; t += 30 * SECOND)
      points.push([t, value(t, host)]);
    store.add("system.cpu.utilization", { "host.name": host }, points);
  }
  return store;
}

async function setup(
  rules = CPU_RULE,
  hosts = ["a"],
  value: (t: number, host: string) => number = () => 0.95,
) {
  const dir = await tempDir();
  const clock = testClock();
  const start = clock.now();
  const store = cpuStore(
    hosts,
    start - 10 * MINUTE,
    start + 3 * 60 * MINUTE,
    value,
  );
  const recording = recordingNotifiers();
  const file = ruleFile(rules);
  const make = () =>
    new Evaluator({
      store,
      rules: file,
      alertsDir: dir,
      clock: clock.now,
      notifiers: recording.notifiers,
      changeContext: false,
    });
  return { dir, clock, start, store, ...recording, make };
}

function kinds(
  sent: Array<{ rule: { id: string }; reason: string; status: string }>,
): string[] {
  return sent.map((g) => `${g.rule.id}:${g.status}:${g.reason}`);
}

describe("the evaluator", () => {
  it("A1: for 5m, every 30 s, always true, restarted at minute 20: firing after the restart, one notification", async () => {
    const { clock, start, sent, make } = await setup();
    let evaluator = make();
    const states: string[] = [];
    for (let t = 0; t <= 20 * MINUTE; t += 30 * SECOND) {
      clock.set(start + t);
      if (t === 20 * MINUTE) evaluator = make(); // the restart
      const report = await evaluator.evaluateOnce();
      states.push(
        ...report.transitions.map(
          (x) => `${(x.atMillis - start) / SECOND}s ${x.from}->${x.to}`,
        ),
      );
    }
    expect(states).toEqual(["0s inactive->pending", "300s pending->firing"]);
    clock.set(start + 20 * MINUTE + 30 * SECOND);
    const after = await evaluator.evaluateOnce();
    expect(after.transitions).toEqual([]);
    const store = new AlertStore(evaluator["alertsDir"]);
    const [alert] = await store.list({ state: "firing" });
    expect(alert).toMatchObject({
      rule: "CpuHigh",
      state: "firing",
      firedAtMillis: start + 5 * MINUTE,
      message: "CPU on a at 95%",
    });
    expect(kinds(sent)).toEqual(["CpuHigh:firing:firing"]);
  });

  it("keeps a pending `for` timer across a restart", async () => {
    const { clock, start, make } = await setup();
    await make().evaluateOnce();
    clock.set(start + 3 * MINUTE);
    await make().evaluateOnce();
    clock.set(start + 5 * MINUTE);
    const report = await make().evaluateOnce();
    expect(report.transitions.map((t) => `${t.from}->${t.to}`)).toEqual([
      "pending->firing",
    ]);
  });

  it("A2: a store answering 503 three times never resolves, raises a self-alert, and does not notify again", async () => {
    const { clock, start, store, sent, make } = await setup(
      CPU_RULE.replace("for: 5m", "for: 0s"),
    );
    const evaluator = make();
    await evaluator.evaluateOnce();
    store.failWith503();
    const errors: string[] = [];
    for (let i = 1; i <= 3; i += 1) {
      clock.set(start + i * 30 * SECOND);
      const report = await evaluator.evaluateOnce();
      errors.push(report.rules[0]?.error ?? "");
      expect(report.transitions.filter((t) => t.rule === "CpuHigh")).toEqual(
        [],
      );
    }
    expect(errors).toEqual(
      Array(3).fill('rule "CpuHigh": HTTP 503 Service Unavailable'),
    );
    const during = await new AlertStore(evaluator["alertsDir"]).list({});
    expect(during.map((a) => [a.rule, a.state, a.lastError]).reverse()).toEqual(
      [
        ["CpuHigh", "firing", 'rule "CpuHigh": HTTP 503 Service Unavailable'],
        [
          SELF_ALERT_RULE,
          "firing",
          'rule "CpuHigh": HTTP 503 Service Unavailable',
        ],
      ],
    );
    store.failure = undefined;
    clock.set(start + 2 * MINUTE);
    const back = await evaluator.evaluateOnce();
    expect(back.transitions.map((t) => `${t.rule} ${t.from}->${t.to}`)).toEqual(
      [`${SELF_ALERT_RULE} firing->resolved`],
    );
    expect(kinds(sent)).toEqual([
      "CpuHigh:firing:firing",
      `${SELF_ALERT_RULE}:firing:firing`,
      `${SELF_ALERT_RULE}:resolved:resolved`,
    ]);
    expect(sent[1]?.receiver).toBe("self");
  });

  // Regression: one `alerts evaluate --store prometheus:http://127.0.0.1:1`
  // (a typo) left AlertEvaluatorFailing firing for ever.
  describe("an evaluator-failure alert for a store no longer used", () => {
    const TYPO = "prometheus:http://127.0.0.1:1";
    const unreachable: MetricStore = {
      description: TYPO,
      query: () =>
        Promise.reject(new StoreUnavailableError("cannot reach", TYPO)),
      listSeries: () =>
        Promise.reject(new StoreUnavailableError("cannot reach", TYPO)),
      close: () => Promise.resolve(),
    };

    async function raised() {
      const context = await setup(CPU_RULE, ["a"], () => 0.5);
      const typo = new Evaluator({
        store: unreachable,
        rules: ruleFile(CPU_RULE),
        alertsDir: context.dir,
        clock: context.clock.now,
        notifiers: context.notifiers,
        changeContext: false,
      });
      await typo.evaluateOnce();
      const [alert] = await new AlertStore(context.dir).getActiveAlerts();
      expect(alert).toMatchObject({
        rule: SELF_ALERT_RULE,
        state: "firing",
        labels: { store: TYPO },
      });
      return { ...context, typo, id: alert?.id ?? "" };
    }

    it("is resolved by the first evaluation of any store an hour after its store was last used", async () => {
      const { clock, start, sent, make, dir } = await raised();
      const evaluator = make();
      clock.set(start + 59 * MINUTE);
      expect((await evaluator.evaluateOnce()).transitions).toEqual([]);
      clock.set(start + 60 * MINUTE);
      const report = await evaluator.evaluateOnce();
      expect(report.transitions).toMatchObject([
        { rule: SELF_ALERT_RULE, from: "firing", to: "resolved" },
      ]);
      const [alert] = await new AlertStore(dir).list({});
      expect(alert).toMatchObject({
        state: "resolved",
        resolvedBy: { kind: "automatic" },
        message: `no evaluation has used ${TYPO} since 2026-01-01T00:00:00.000Z: resolved as no longer used`,
      });
      expect(kinds(sent)).toEqual([
        `${SELF_ALERT_RULE}:firing:firing`,
        `${SELF_ALERT_RULE}:resolved:resolved`,
      ]);
      clock.set(start + 2 * 60 * MINUTE);
      expect((await evaluator.evaluateOnce()).transitions).toEqual([]);
    });

    it("is resolved by hand, and raised again only if that store fails again", async () => {
      const { clock, start, make, dir, typo, id } = await raised();
      await new AlertStore(dir).resolve(id, "a typo in --store");
      clock.set(start + MINUTE);
      expect((await make().evaluateOnce()).transitions).toEqual([]);
      expect(await new AlertStore(dir).getActiveAlerts()).toEqual([]);

      clock.set(start + 2 * MINUTE);
      const again = await typo.evaluateOnce();
      expect(again.transitions).toMatchObject([
        { rule: SELF_ALERT_RULE, from: "resolved", to: "pending" },
        { rule: SELF_ALERT_RULE, from: "pending", to: "firing" },
      ]);
    });
  });

  it("sends one notification per group, not per series, and repeats after the repeat interval unless acknowledged", async () => {
    const { clock, start, sent, make, dir } = await setup(
      CPU_RULE.replace("for: 5m", "for: 0s"),
      ["a", "b", "c"],
    );
    const evaluator = make();
    await evaluator.evaluateOnce();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.alerts.map((a) => a.labels["host.name"])).toEqual([
      "a",
      "b",
      "c",
    ]);
    clock.set(start + 30 * MINUTE);
    await evaluator.evaluateOnce();
    expect(sent).toHaveLength(1);
    clock.set(start + 60 * MINUTE);
    await evaluator.evaluateOnce();
    expect(kinds(sent)).toEqual([
      "CpuHigh:firing:firing",
      "CpuHigh:firing:repeat",
    ]);
    const alerts = new AlertStore(dir);
    for (const alert of await alerts.list({}))
      await alerts.acknowledge(alert.id, "test");
    clock.set(start + 125 * MINUTE);
    await evaluator.evaluateOnce();
    expect(sent).toHaveLength(2);
  });

  it("notifies a resolution once, to the receivers that heard of the firing", async () => {
    const { clock, start, sent, make } = await setup(
      CPU_RULE.replace("for: 5m", "for: 0s"),
      ["a"],
      (t) => (t > Date.UTC(2026, 0, 1) + 2 * MINUTE ? 0.1 : 0.95),
    );
    const evaluator = make();
    for (let t = 0; t <= 4 * MINUTE; t += MINUTE) {
      clock.set(start + t);
      await evaluator.evaluateOnce();
    }
    expect(kinds(sent)).toEqual([
      "CpuHigh:firing:firing",
      "CpuHigh:resolved:resolved",
    ]);
    expect(sent[1]?.alerts[0]).toMatchObject({
      state: "resolved",
      resolvedBy: { kind: "automatic" },
      peakValue: 0.95,
      value: 0.1,
    });
  });

  it("escalates one alert without resolving it, and notifies the new severity", async () => {
    const rule = CPU_RULE.replace("for: 5m", "for: 0s")
      .replace("    threshold: 0.9\n", "")
      .replace(
        "    severity: critical\n",
        "    tiers:\n      - { severity: warning, threshold: 0.8 }\n      - { severity: critical, threshold: 0.9 }\n",
      );
    const { clock, start, sent, make } = await setup(rule, ["a"], (t) =>
      t > Date.UTC(2026, 0, 1) ? 0.95 : 0.85,
    );
    const evaluator = make();
    await evaluator.evaluateOnce();
    clock.set(start + MINUTE);
    await evaluator.evaluateOnce();
    expect(kinds(sent)).toEqual([
      "CpuHigh:firing:firing",
      "CpuHigh:firing:severity",
    ]);
    expect(sent.map((g) => g.alerts[0]?.severity)).toEqual([
      "warning",
      "critical",
    ]);
    expect(sent[0]?.alerts[0]?.id).toBe(sent[1]?.alerts[0]?.id);
  });

  it("fires for a series that stops reporting when no data means alerting", async () => {
    const rule = `  - id: Gone
    metric: process.uptime
    statistic: count
    window: 1m
    group_by: [service.instance.id]
    condition: "<"
    threshold: 1
    for: 1m
    no_data: alerting
`;
    const { clock, start, store, sent, make } = await setup(rule);
    store.add("process.uptime", { "service.instance.id": "i-1" }, [
      [start - 30 * SECOND, 10],
      [start, 40],
    ]);
    const evaluator = make();
    const seen: string[] = [];
    for (let t = 0; t <= 4 * MINUTE; t += MINUTE) {
      clock.set(start + t);
      const report = await evaluator.evaluateOnce();
      seen.push(
        ...report.transitions.map(
          (x) => `${(x.atMillis - start) / MINUTE}m ${x.from}->${x.to}`,
        ),
      );
    }
    expect(seen).toEqual(["1m inactive->pending", "2m pending->firing"]);
    expect(sent[0]?.alerts[0]?.labels).toEqual({
      alertname: "Gone",
      "service.instance.id": "i-1",
    });
  });

  it("does not notify twice when two evaluators share the data directory", async () => {
    const { make, sent } = await setup(CPU_RULE.replace("for: 5m", "for: 0s"));
    const [a, b] = await Promise.all([
      make().evaluateOnce(),
      make().evaluateOnce(),
    ]);
    expect(
      [a.skipped === undefined, b.skipped === undefined].filter(Boolean).length,
    ).toBeGreaterThanOrEqual(1);
    await make().evaluateOnce();
    expect(sent).toHaveLength(1);
  });

  it("retries a failed notification at the next evaluation", async () => {
    const { clock, start, make, sent, failing } = await setup(
      CPU_RULE.replace("for: 5m", "for: 0s"),
    );
    failing.add("ops");
    const evaluator = make();
    expect((await evaluator.evaluateOnce()).notifications).toEqual({
      sent: 0,
      failed: 1,
    });
    failing.clear();
    clock.set(start + 30 * SECOND);
    expect((await evaluator.evaluateOnce()).notifications).toEqual({
      sent: 1,
      failed: 0,
    });
    expect(sent[0]?.alerts[0]?.notifications).toMatchObject([
      { receiver: "ops", ok: false, error: "HTTP 500" },
    ]);
  });

  it("manually resolving an alert whose condition holds starts a new alert that must hold `for` again", async () => {
    const { clock, start, make, dir, sent } = await setup(
      CPU_RULE.replace("for: 5m", "for: 1m"),
    );
    const evaluator = make();
    for (const t of [0, MINUTE]) {
      clock.set(start + t);
      await evaluator.evaluateOnce();
    }
    const alerts = new AlertStore(dir, { clock: clock.now });
    const [firing] = await alerts.list({ state: "firing" });
    const resolved = await alerts.resolve(
      firing?.id ?? "",
      "rebooted",
      "ops-person",
    );
    expect(resolved).toMatchObject({
      state: "resolved",
      resolvedBy: { kind: "manual", note: "rebooted", by: "ops-person" },
    });
    const seen: string[] = [];
    for (const t of [2 * MINUTE, 3 * MINUTE]) {
      clock.set(start + t);
      seen.push(
        ...(await evaluator.evaluateOnce()).transitions.map(
          (x) => `${x.from}->${x.to}`,
        ),
      );
    }
    expect(seen).toEqual(["resolved->pending", "pending->firing"]);
    const all = await alerts.list({});
    expect(all.map((a) => a.state).sort()).toEqual(["firing", "resolved"]);
    expect(kinds(sent)).toEqual([
      "CpuHigh:firing:firing",
      "CpuHigh:resolved:resolved",
      "CpuHigh:firing:firing",
    ]);
  });

  it("holds back notifications of silenced alerts until the silence ends", async () => {
    const { clock, start, make, dir, sent } = await setup(
      CPU_RULE.replace("for: 5m", "for: 0s"),
    );
    await new AlertStore(dir, { clock: clock.now }).silence(
      { "host.name": "a" },
      3600,
      "maintenance",
      "me",
    );
    const evaluator = make();
    await evaluator.evaluateOnce();
    expect(sent).toHaveLength(0);
    clock.set(start + 61 * MINUTE);
    await evaluator.evaluateOnce();
    expect(kinds(sent)).toEqual(["CpuHigh:firing:firing"]);
  });

  it("writes its state atomically, leaving no temporary files", async () => {
    const { make, dir } = await setup();
    await make().evaluateOnce();
    expect((await readdir(dir)).sort()).toEqual(["state.json"]);
    const state = await readState(dir);
    const series = Object.values(state.rules.CpuHigh?.series ?? {});
    expect(series).toMatchObject([
      { state: "pending", labels: { alertname: "CpuHigh", "host.name": "a" } },
    ]);
    expect(
      JSON.parse(await readFile(path.join(dir, "state.json"), "utf8")).version,
    ).toBe(1);
  });

  it("refuses a raw PromQL rule on a store that cannot run it", async () => {
    const { dir, store, notifiers } = await setup();
    const file = ruleFile(
      '  - { id: Raw, expr: "sum(up)", condition: "<", threshold: 1 }\n',
    );
    expect(
      () => new Evaluator({ store, rules: file, alertsDir: dir, notifiers }),
    ).toThrow(
      'rule "Raw": a raw PromQL expr needs a Prometheus store; memory:test cannot run it',
    );
  });
});
