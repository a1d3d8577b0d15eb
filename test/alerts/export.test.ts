import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { exportPrometheusRules } from "../../src/alerts/export.js";
import { loadRuleFile, parseRuleFile } from "../../src/alerts/rule.js";
import { MemoryStore } from "./helpers/memory-store.js";
import { recordingNotifiers, tempDir, testClock } from "./helpers/fixtures.js";

const run = promisify(execFile);
const DEFAULT_RULES = new URL("../../rules/default.yaml", import.meta.url)
  .pathname;
const MINUTE = 60_000;

/** Runs promtool; resolves with its output, rejects with it on failure. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run("promtool", args, { timeout: 60_000 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as {
      stdout?: string;
      stderr?: string;
    };
    throw new Error(
      `promtool ${args[0]} ${args[1]} failed:\n${stdout}${stderr}`,
      { cause: error },
    );
  }
}

describe("Prometheus export", () => {
  it("writes the default rules as Prometheus rules that promtool accepts", async () => {
    const dir = await tempDir();
    const exported = exportPrometheusRules(await loadRuleFile(DEFAULT_RULES));
    expect(exported.skipped).toEqual([]);
    const file = path.join(dir, "rules.yaml");
    await writeFile(file, exported.yaml);
    expect(await promtool("check", "rules", file)).toContain(
      "SUCCESS: 18 rules found",
    );
    expect(exported.yaml).toContain(
      'expr: ((sum by (service_name) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[300000ms])) or (sum by (service_name) (rate(http_server_request_duration_seconds_count[300000ms]))) * 0) / (sum by (service_name) (rate(http_server_request_duration_seconds_count[300000ms])))) > 0.02 or (',
    );
    expect(exported.yaml).toContain(
      "expr: (avg by (host_name, system_filesystem_mountpoint) (predict_linear(system_filesystem_utilization_ratio[21600000ms], 86400))) >= 1",
    );
  });

  // Synthetic series, one value a minute from time 0, as promtool's input_series take them.
  const SERIES: Record<string, number[]> = {
    a: [
      0.5, 0.95, 0.95, 0.95, 0.95, 0.8, 0.95, 0.6, 0.95, 0.6, 0.6, 0.6, 0.6,
      0.6,
    ],
    b: [
      0.95, 0.95, 0.5, 0.95, 0.85, 0.75, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95,
      0.5, 0.5,
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
    message: "CPU high on {{ labels.host.name }}"
  - id: Peak
    metric: system.cpu.utilization
    statistic: max
    window: 90s
    group_by: [host.name]
    condition: ">="
    tiers:
      - { severity: warning, threshold: 0.9 }
      - { severity: critical, threshold: 0.95 }
    message: "peak on {{ labels.host.name }}"
  - id: Sticky
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    keep_firing_for: 2m
    message: "sticky on {{ labels.host.name }}"
  - id: Hysteresis
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    clear_threshold: 0.7
    message: "hysteresis on {{ labels.host.name }}"
`;

  it("fires and resolves at the same evaluation steps as promtool test rules on the same series", async () => {
    const dir = await tempDir();
    const file = parseRuleFile(RULES, "equivalence.yaml");
    const store = new MemoryStore();
    for (const [host, values] of Object.entries(SERIES)) {
      store.add(
        "system.cpu.utilization",
        { "host.name": host },
        values.map((v, i) => [i * MINUTE, v]),
      );
    }
    const clock = testClock(0);
    const evaluator = new Evaluator({
      store,
      rules: file,
      alertsDir: dir,
      clock: clock.now,
      notifiers: recordingNotifiers().notifiers,
      changeContext: false,
    });
    const alerts = new AlertStore(dir);
    const tests: object[] = [];
    const firingSteps: string[] = [];
    const steps = SERIES.a?.length ?? 0;
    for (let minute = 0; minute < steps; minute += 1) {
      clock.set(minute * MINUTE);
      await evaluator.evaluateOnce();
      const firing = await alerts.list({ state: "firing" });
      for (const rule of file.rules) {
        const own = firing.filter((a) => a.rule === rule.id);
        firingSteps.push(
          ...own.map(
            (a) =>
              `${minute}m ${rule.id} ${a.labels["host.name"]} ${a.severity}`,
          ),
        );
        tests.push({
          eval_time: `${minute}m`,
          alertname: rule.id,
          exp_alerts: own
            .map((a) => {
              // Prometheus fires each tier a value is past; ours moves one alert.
              const severities = rule.tiers.filter(
                (t) => a.value >= t.threshold || t.severity === a.severity,
              );
              return severities.map((t) => ({
                exp_labels: {
                  host_name: a.labels["host.name"],
                  severity: t.severity,
                },
                exp_annotations: { summary: a.message },
              }));
            })
            .flat(),
        });
      }
    }
    // The evaluator's own answer, so a change in either side shows here first.
    expect(firingSteps.filter((s) => s.includes(" Hold "))).toEqual([
      "3m Hold a warning",
      "4m Hold a warning",
      "10m Hold b warning",
      "11m Hold b warning",
    ]);
    expect(firingSteps.filter((s) => s.includes("Sticky a"))).toEqual(
      ["1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "10m"].map(
        (m) => `${m} Sticky a warning`,
      ),
    );
    expect(firingSteps.filter((s) => s.includes("Hysteresis b"))).toEqual(
      ["0m", "1m", "3m", "4m", "5m", "8m", "9m", "10m", "11m"].map(
        (m) => `${m} Hysteresis b warning`,
      ),
    );

    const rulesFile = path.join(dir, "prometheus-rules.yaml");
    await writeFile(rulesFile, exportPrometheusRules(file).yaml);
    const testFile = path.join(dir, "test.yaml");
    await writeFile(
      testFile,
      stringify({
        rule_files: [rulesFile],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: Object.entries(SERIES).map(([host, values]) => ({
              series: `system_cpu_utilization_ratio{host_name="${host}"}`,
              values: values.join(" "),
            })),
            alert_rule_test: tests,
          },
        ],
      }),
    );
    expect(await promtool("test", "rules", testFile)).toContain("SUCCESS");
  });
});
