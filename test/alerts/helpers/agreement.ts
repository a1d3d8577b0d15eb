/**
 * One agreement case run on both sides: our evaluator over an embedded store
 * holding the synthetic series, stepped by a test clock, and promtool's rule
 * test on the exported rules over the same series. Our side gives the
 * transitions (checked against a hand-made list) and, at every evaluation,
 * the pending and firing alerts; those become promtool's expectation of the
 * `ALERTS` series at the same step, so promtool passes only when Prometheus
 * has the same alerts pending and firing at every step, and none where ours
 * is resolved or inactive.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { AlertStore } from "../../../src/alerts/alert-store.js";
import { Evaluator } from "../../../src/alerts/evaluator.js";
import { exportPrometheusRules } from "../../../src/alerts/export.js";
import type { RuleFile } from "../../../src/alerts/rule.js";
import { EmbeddedDatabase } from "../../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../../src/store/embedded/query.js";
import { labelName } from "../../../src/store/prometheus/promql.js";
import { recordingNotifiers, tempDir, testClock } from "./fixtures.js";
import {
  ingestPoints,
  promtoolSeries,
  type SyntheticSeries,
} from "./input-series.js";

const run = promisify(execFile);

export interface AgreementCase {
  readonly name: string;
  /** The ids of the rules taken from the rule file. */
  readonly rules: readonly string[];
  /** Seconds between samples: promtool's `interval`, and the points' spacing. */
  readonly sampleSeconds: number;
  /** Seconds between evaluations, from time 0, on both sides. */
  readonly evaluationSeconds: number;
  /** The last evaluation, in minutes from time 0. */
  readonly untilMinutes: number;
  readonly series: readonly SyntheticSeries[];
  /** Our evaluator's transitions, by hand: `12m ApiLatencyHigh service.name=api pending`. */
  readonly transitions: readonly string[];
}

/** The evaluations our evaluator made: its transitions, and the alerts pending or firing after each. */
export interface OurRun {
  readonly transitions: string[];
  readonly active: Array<{
    readonly atMillis: number;
    readonly alerts: ReadonlyArray<{
      readonly labels: Readonly<Record<string, string>>;
      readonly severity: string;
      readonly state: string;
    }>;
  }>;
}

/** Runs promtool; resolves with its output, rejects with it on failure. */
export async function promtool(...args: string[]): Promise<string> {
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

function minutes(millis: number): string {
  return `${millis / 60_000}m`;
}

function groupText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([k]) => k !== "alertname")
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function evaluationTimes(c: AgreementCase): number[] {
  const step = c.evaluationSeconds * 1000;
  const count = Math.floor((c.untilMinutes * 60_000) / step) + 1;
  return Array.from({ length: count }, (_, i) => i * step);
}

/** Our evaluator over an embedded store holding the case's series. */
export async function runOurs(
  c: AgreementCase,
  rules: RuleFile,
): Promise<OurRun> {
  const dir = await tempDir();
  const db = EmbeddedDatabase.open(dir);
  db.ingest(c.series.flatMap((s) => ingestPoints(s, c.sampleSeconds)));
  db.close();
  const store = EmbeddedStore.open(dir);
  try {
    const alertsDir = path.join(dir, "alerts");
    const clock = testClock(0);
    const evaluator = new Evaluator({
      store,
      rules,
      alertsDir,
      clock: clock.now,
      notifiers: recordingNotifiers().notifiers,
      changeContext: false,
    });
    const alerts = new AlertStore(alertsDir);
    const result: OurRun = { transitions: [], active: [] };
    for (const atMillis of evaluationTimes(c)) {
      clock.set(atMillis);
      const report = await evaluator.evaluateOnce();
      const errors = report.rules.filter((r) => r.error !== undefined);
      if (errors.length > 0)
        throw new Error(
          `${c.name}: evaluation at ${minutes(atMillis)} failed: ${errors.map((r) => r.error).join("; ")}`,
        );
      result.transitions.push(
        ...report.transitions.map(
          (t) =>
            `${minutes(atMillis)} ${t.rule} ${groupText(t.labels)} ${t.kind}`,
        ),
      );
      result.active.push({
        atMillis,
        alerts: (await alerts.getActiveAlerts()).map(
          ({ labels, severity, state }) => ({ labels, severity, state }),
        ),
      });
    }
    return result;
  } finally {
    await store.close();
  }
}

/** An `ALERTS` sample as promtool writes one: the alert's labels under Prometheus names. */
function alertsSample(alert: OurRun["active"][number]["alerts"][number]): {
  labels: string;
  value: number;
} {
  const labels: Record<string, string> = {
    alertstate: alert.state,
    severity: alert.severity,
  };
  for (const [k, v] of Object.entries(alert.labels))
    labels[k === "alertname" ? k : labelName(k)] = v;
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
  return { labels: `ALERTS{${text}}`, value: 1 };
}

/**
 * promtool's rule test on the exported rules: at each of our evaluations,
 * Prometheus' `ALERTS` must hold exactly our pending and firing alerts.
 * Prometheus fires every tier a value is past (one rule per tier) where ours
 * moves one alert, so the cases keep to one tier per alert.
 */
export async function runPromtool(
  c: AgreementCase,
  rules: RuleFile,
  ours: OurRun,
): Promise<string> {
  const dir = await tempDir();
  const rulesFile = path.join(dir, "rules.yaml");
  const exported = exportPrometheusRules(rules);
  if (exported.skipped.length > 0)
    throw new Error(
      `${c.name}: rules not exported: ${JSON.stringify(exported.skipped)}`,
    );
  await writeFile(rulesFile, exported.yaml);
  const testFile = path.join(dir, "test.yaml");
  await writeFile(
    testFile,
    stringify(
      {
        rule_files: [rulesFile],
        evaluation_interval: `${c.evaluationSeconds}s`,
        tests: [
          {
            name: c.name,
            interval: `${c.sampleSeconds}s`,
            input_series: c.series.flatMap(promtoolSeries),
            promql_expr_test: ours.active.map(({ atMillis, alerts }) => ({
              expr: "ALERTS",
              eval_time: `${atMillis / 1000}s`,
              exp_samples: alerts.map(alertsSample),
            })),
          },
        ],
      },
      { lineWidth: 0 },
    ),
  );
  return promtool("test", "rules", testFile);
}
