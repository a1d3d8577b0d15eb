import { describe, expect, it } from "vitest";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { parseRuleFile } from "../../src/alerts/rule.js";
import { MonitoringManager } from "../../src/manager.js";
import { PrometheusStore } from "../../src/store/prometheus/store.js";
import { startPrometheus } from "../helpers/prometheus.js";
import { recordingNotifiers, tempDir, testClock } from "./helpers/fixtures.js";

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

function openMetrics(): string {
  const lines = ["# TYPE system_cpu_utilization_ratio gauge"];
  for (const [host, values] of Object.entries(SERIES)) {
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
