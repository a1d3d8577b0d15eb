/**
 * logReports: what an in-process evaluator (the collector's --rules) logs of
 * its reports. End to end through the collector in test/cli/collector.test.ts.
 */
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import type { EvaluationReport } from "../../src/alerts/evaluator.js";
import { logReports } from "../../src/alerts/report-log.js";

const lines: string[] = [];
const at = (level: string) => (message: string) =>
  void lines.push(`${level} ${message}`);
const logger: DiagLogger = {
  error: at("error"),
  warn: at("warn"),
  info: at("info"),
  debug: at("debug"),
  verbose: at("verbose"),
};

afterEach(() => {
  diag.disable();
  lines.length = 0;
});

function report(
  rules: EvaluationReport["rules"],
  transitions: EvaluationReport["transitions"] = [],
): EvaluationReport {
  return {
    atMillis: 0,
    rules,
    transitions,
    notifications: { sent: 0, failed: 0 },
  };
}

describe("logReports", () => {
  it("logs every transition, and a rule's error when it starts, changes and ends", () => {
    diag.setLogger(logger, {
      logLevel: DiagLogLevel.INFO,
      suppressOverrideMessage: true,
    });
    const log = logReports();
    const down = 'rule "A": cannot read the store: database is locked';
    const worse = 'rule "A": cannot read the store: disk I/O error';

    log(
      report(
        [{ id: "A", series: 1 }],
        [
          {
            kind: "firing",
            from: "pending",
            to: "firing",
            atMillis: 0,
            rule: "A",
            labels: { alertname: "A", host: "web-1" },
          },
        ],
      ),
    );
    log(report([{ id: "A", series: 1, error: down }]));
    log(report([{ id: "A", series: 1, error: down }])); // the same: quiet
    log(report([{ id: "A", series: 1, error: worse }]));
    log(report([{ id: "A", series: 1, error: worse }]));
    log(report([{ id: "A", series: 1 }]));
    log(report([{ id: "A", series: 1 }])); // still fine: quiet

    const hold =
      "its alerts hold their state (logged again when the error changes)";
    expect(lines).toEqual([
      'info alerts: A {alertname="A", host="web-1"}: pending -> firing',
      `warn alerts: evaluation failed: ${down}; ${hold}`,
      `warn alerts: evaluation failed: ${worse}; ${hold}`,
      'info alerts: rule "A" evaluates again',
    ]);
  });

  it("keeps a failing rule's error across a skipped evaluation", () => {
    diag.setLogger(logger, {
      logLevel: DiagLogLevel.INFO,
      suppressOverrideMessage: true,
    });
    const log = logReports();
    const error = 'rule "A": cannot read the store: database is locked';
    log(report([{ id: "A", series: 0, error }]));
    // Another evaluator held the state: this report has no rules at all.
    log({ ...report([]), skipped: "pid 42 on host" });
    log(report([{ id: "A", series: 0, error }]));

    expect(lines).toEqual([
      expect.stringMatching(/^warn alerts: evaluation failed: /),
      expect.stringMatching(/^info alerts: evaluation skipped: /),
      "info alerts: evaluating again: the alert state is free",
    ]);
  });

  it("says once that another evaluator holds the state, and when it no longer does", () => {
    diag.setLogger(logger, {
      logLevel: DiagLogLevel.INFO,
      suppressOverrideMessage: true,
    });
    const log = logReports();
    const skipped = (by: string) => ({ ...report([]), skipped: by });

    log(skipped("pid 42 on web-1"));
    log(skipped("pid 42 on web-1")); // the same holder: quiet
    log(skipped("pid 77 on web-2"));
    log(report([{ id: "A", series: 1 }]));
    log(report([{ id: "A", series: 1 }]));

    const held = (by: string) =>
      `info alerts: evaluation skipped: the alert state is held by ${by}, another evaluator on this data directory (logged again when that changes)`;
    expect(lines).toEqual([
      held("pid 42 on web-1"),
      held("pid 77 on web-2"),
      "info alerts: evaluating again: the alert state is free",
    ]);
  });
});
