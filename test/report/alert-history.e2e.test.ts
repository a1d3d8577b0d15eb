/**
 * The alerts section from a real alert history: the evaluator steps two
 * rules over an embedded store minute by minute and writes its history into
 * the data directory, then `td-monitor report --json` (the built CLI) reads
 * it back. The counts, the mean time to resolve, the noisiest rule and what
 * still fires are computed by hand from the series below.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { parseRuleFile } from "../../src/alerts/rule.js";
import type { Report } from "../../src/report/types.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import type { IngestPoint } from "../../src/store/embedded/samples.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 4, 1);
const at = (minute: number) => new Date(T0 + minute * MINUTE).toISOString();

const RULES = `rules:
  - id: CpuHigh
    metric: system.cpu.utilization
    filters: ["system.cpu.state=user"]
    statistic: last
    window: 1m
    condition: ">"
    threshold: 0.9
    severity: critical
    for: 0s
  - id: QueueBacklog
    metric: td.queue.length
    statistic: last
    window: 1m
    condition: ">"
    threshold: 100
    severity: warning
    for: 0s
`;

/** Minutes 0 to 60: CPU busy at 5-14, 30-49 and 52-55; the queue from 40 on. */
const cpu = (m: number) =>
  (m >= 5 && m < 15) || (m >= 30 && m < 50) || (m >= 52 && m < 56) ? 0.95 : 0.4;
const queue = (m: number) => (m >= 40 ? 250 : 3);
const MINUTES = Array.from({ length: 61 }, (_, m) => m);

function gauge(
  metric: string,
  unit: string,
  labels: Record<string, string>,
  value: (minute: number) => number,
): IngestPoint[] {
  return MINUTES.map((m) => ({
    type: "number",
    series: {
      metric,
      kind: "gauge",
      unit,
      temporality: "unspecified",
      monotonic: false,
      labels,
    },
    timeNanos: BigInt(T0 + m * MINUTE) * 1_000_000n,
    startTimeNanos: BigInt(T0) * 1_000_000n,
    value: value(m),
  }));
}

describe("the report's alerts section from the evaluator's history", () => {
  let dataDir: string;
  let report: Report;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "td-report-alerts-"));
    const db = EmbeddedDatabase.open(dataDir);
    db.ingest([
      ...gauge(
        "system.cpu.utilization",
        "1",
        { "system.cpu.state": "user" },
        cpu,
      ),
      ...gauge(
        "td.queue.length",
        "{job}",
        { "td.queue.name": "render" },
        queue,
      ),
    ]);
    db.close();

    const store = EmbeddedStore.open(dataDir);
    let now = T0;
    try {
      const evaluator = new Evaluator({
        store,
        rules: parseRuleFile(RULES, "report-alerts.yaml"),
        alertsDir: join(dataDir, "alerts"),
        clock: () => now,
        notifiers: new Map(),
        changeContext: false,
      });
      for (const m of MINUTES) {
        now = T0 + m * MINUTE;
        const evaluation = await evaluator.evaluateOnce();
        expect(evaluation.rules.map((r) => r.error)).toEqual([
          undefined,
          undefined,
        ]);
      }
    } finally {
      await store.close();
    }

    // The window starts after the first CPU firing, before it resolves.
    const { stdout } = await run(process.execPath, [
      MAIN,
      "report",
      "--store",
      `embedded:${dataDir}`,
      "--since",
      at(10),
      "--until",
      at(60),
      "--json",
    ]);
    report = JSON.parse(stdout) as Report;
  });

  afterAll(() => {
    if (dataDir !== undefined)
      rmSync(dataDir, { recursive: true, force: true });
  });

  it("counts firings and resolutions in the window by severity", () => {
    const { alerts } = report;
    expect(alerts.historyAvailable).toBe(true);
    expect(alerts.hasData).toBe(true);
    // CpuHigh fired at 5 (before the window), 30 and 52 and resolved at 15,
    // 50 and 56; QueueBacklog fired at 40 and never resolved.
    expect(alerts.bySeverity).toEqual([
      {
        severity: "critical",
        fired: { value: 2, unit: "{alert}" },
        resolved: { value: 3, unit: "{alert}" },
      },
      {
        severity: "warning",
        fired: { value: 1, unit: "{alert}" },
        resolved: { value: 0, unit: "{alert}" },
      },
    ]);
  });

  it("gives the mean time to resolve of the resolutions in the window", () => {
    // 10, 20 and 4 minutes: 34 / 3 min = 680 s.
    expect(report.alerts.meanTimeToResolve).toEqual({ value: 680, unit: "s" });
  });

  it("names the noisiest rule and what fires at the window's end", () => {
    expect(report.alerts.noisiest.map((n) => [n.label, n.fired.value])).toEqual(
      [
        ["CpuHigh", 2],
        ["QueueBacklog", 1],
      ],
    );
    expect(report.alerts.firingNow).toEqual([
      {
        rule: "QueueBacklog",
        severity: "warning",
        since: at(40),
        labels: { alertname: "QueueBacklog" },
      },
    ]);
  });
});
