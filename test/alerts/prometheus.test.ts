import { createServer, request as forward } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { Evaluator, SELF_ALERT_RULE } from "../../src/alerts/evaluator.js";
import { parseRuleFile } from "../../src/alerts/rule.js";
import { MonitoringManager } from "../../src/manager.js";
import { PrometheusStore } from "../../src/store/prometheus/store.js";
import { startPrometheus } from "../helpers/prometheus.js";
import {
  recordingNotifiers,
  ruleFile,
  tempDir,
  testClock,
} from "./helpers/fixtures.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

// The series of the promtool agreement test (export.test.ts).
const SERIES: Record<string, number[]> = {
  a: [
    0.5, 0.95, 0.95, 0.95, 0.95, 0.8, 0.95, 0.6, 0.95, 0.6, 0.6, 0.6, 0.6, 0.6,
  ],
  b: [
    0.95, 0.95, 0.5, 0.95, 0.85, 0.75, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95, 0.5,
    0.5,
  ],
};

const RULES = `rules:
  - id: Hold
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    for: 2m
  - id: RawHold
    expr: "max by (host_name) (last_over_time(system_cpu_utilization_ratio[1m]))"
    condition: ">"
    threshold: 0.9
    for: 2m
`;

function openMetrics(series = SERIES): string {
  const lines = ["# TYPE system_cpu_utilization_ratio gauge"];
  for (const [host, values] of Object.entries(series)) {
    values.forEach((v, i) =>
      lines.push(
        `system_cpu_utilization_ratio{host_name="${host}"} ${v} ${(T0 + i * MINUTE) / 1000}`,
      ),
    );
  }
  return [...lines, "# EOF", ""].join("\n");
}

describe("the evaluator over a real Prometheus", () => {
  it("fires query rules and raw PromQL rules at the same steps as over the embedded store", async () => {
    const prometheus = await startPrometheus({ openMetrics: openMetrics() });
    try {
      const dir = await tempDir();
      const clock = testClock(T0);
      const store = new PrometheusStore({ url: prometheus.url });
      const evaluator = new Evaluator({
        store,
        rules: parseRuleFile(RULES, "prometheus.yaml"),
        alertsDir: dir,
        clock: clock.now,
        notifiers: recordingNotifiers().notifiers,
        changeContext: false,
      });
      const alerts = new AlertStore(dir);
      const firing: string[] = [];
      const manager = new MonitoringManager({
        store,
        alertsDir: dir,
        clock: clock.now,
      });
      for (let minute = 0; minute < 14; minute += 1) {
        clock.set(T0 + minute * MINUTE);
        const report = await evaluator.evaluateOnce();
        expect(report.rules.map((r) => r.error)).toEqual([
          undefined,
          undefined,
        ]);
        for (const a of await alerts.list({ state: "firing" })) {
          firing.push(
            `${minute}m ${a.rule} ${a.labels["host.name"] ?? a.labels.host_name}`,
          );
        }
        if (minute === 11) {
          // The manager reads the same state.
          const active = await manager.getActiveAlerts({ severity: "warning" });
          expect(active.map((a) => `${a.rule} ${a.state}`).sort()).toEqual([
            "Hold firing",
            "RawHold firing",
          ]);
          expect(
            await manager.getActiveAlerts({ severity: "critical" }),
          ).toEqual([]);
          const resolved = await manager.resolveAlert(
            active[0]?.id ?? "",
            "checked",
          );
          expect(resolved).toMatchObject({
            state: "resolved",
            resolvedBy: { kind: "manual", note: "checked" },
          });
          expect(await manager.getActiveAlerts()).toHaveLength(1);
        }
      }
      expect(firing.sort()).toEqual(
        [
          "3m Hold a",
          "4m Hold a",
          "10m Hold b",
          "11m Hold b",
          "3m RawHold a",
          "4m RawHold a",
          "10m RawHold b",
          "11m RawHold b",
        ].sort(),
      );
    } finally {
      await prometheus.stop();
    }
  });
});

/**
 * A proxy in front of Prometheus that answers 503 while `down` is set: a
 * store that is up but failing, which a real Prometheus cannot be made to do
 * on cue.
 */
async function failingGate(target: string): Promise<{
  url: string;
  down: boolean;
}> {
  const gate = { url: "", down: false };
  const server = createServer((incoming, answer) => {
    if (gate.down) {
      incoming.resume();
      answer.writeHead(503, { "Content-Type": "text/plain" }).end("overloaded");
      return;
    }
    const upstream = forward(
      new URL(incoming.url ?? "/", target),
      { method: incoming.method, headers: incoming.headers },
      (response) => {
        answer.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(answer);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
  gate.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return gate;
}

describe("A2 over a real Prometheus", () => {
  it("holds a firing alert through three 503 answers, raises a self-alert, and notifies no second firing", async () => {
    const prometheus = await startPrometheus({
      openMetrics: openMetrics({ c: Array<number>(8).fill(0.95) }),
    });
    try {
      const gate = await failingGate(prometheus.url);
      const dir = await tempDir();
      const clock = testClock(T0);
      const { notifiers, sent } = recordingNotifiers();
      const evaluator = new Evaluator({
        store: new PrometheusStore({ url: gate.url }),
        // The Hold rule alone, firing at once, with the ops and self receivers.
        rules: ruleFile(
          RULES.replace("rules:\n", "")
            .replace(/for: 2m/g, "for: 0s")
            .replace(/ {2}- id: RawHold[^]*$/, ""),
        ),
        alertsDir: dir,
        clock: clock.now,
        notifiers,
        changeContext: false,
      });
      const steps: string[] = [];
      for (let minute = 0; minute < 6; minute += 1) {
        gate.down = minute >= 1 && minute <= 3;
        clock.set(T0 + minute * MINUTE);
        const report = await evaluator.evaluateOnce();
        const error = report.rules[0]?.error;
        const moves = report.transitions.map(
          (t) => `${t.rule} ${t.from}->${t.to}`,
        );
        steps.push(`${minute}m ${error ?? "ok"} ${moves.join(", ")}`.trim());
      }

      const failed = `rule "Hold": ${gate.url}/api/v1/query answered 503 Service Unavailable: overloaded`;
      expect(steps).toEqual([
        "0m ok Hold inactive->pending, Hold pending->firing",
        `1m ${failed} ${SELF_ALERT_RULE} inactive->pending, ${SELF_ALERT_RULE} pending->firing`,
        `2m ${failed}`,
        `3m ${failed}`,
        `4m ok ${SELF_ALERT_RULE} firing->resolved`,
        "5m ok",
      ]);
      expect(sent.map((g) => `${g.rule.id}:${g.status}:${g.reason}`)).toEqual([
        "Hold:firing:firing",
        `${SELF_ALERT_RULE}:firing:firing`,
        `${SELF_ALERT_RULE}:resolved:resolved`,
      ]);
      const [hold] = await new AlertStore(dir).list({ state: "firing" });
      expect(hold).toMatchObject({ rule: "Hold", state: "firing" });
    } finally {
      await prometheus.stop();
    }
  });
});
