/**
 * Evaluation reports as log lines, for an evaluator that has no output of
 * its own (the collector's `--rules`): every transition, and a rule's error
 * when it starts or changes and when the rule evaluates again, rather than
 * at every evaluation; likewise evaluations skipped because another
 * evaluator holds the alert state.
 */
import { diag } from "@opentelemetry/api";
import type { EvaluationReport } from "./evaluator.js";
import { formatLabels } from "./labels.js";

/** A report callback for {@link startEvaluatorLoop} that logs through `diag`. */
export function logReports(): (report: EvaluationReport) => void {
  const failing = new Map<string, string>(); // rule id → its last error
  let heldBy: string | undefined; // who held the state at the last skip
  return (report) => {
    if (report.skipped !== undefined) {
      if (report.skipped !== heldBy) {
        diag.info(
          `alerts: evaluation skipped: the alert state is held by ${report.skipped}, another evaluator on this data directory (logged again when that changes)`,
        );
      }
      heldBy = report.skipped;
      return;
    }
    if (heldBy !== undefined) {
      heldBy = undefined;
      diag.info("alerts: evaluating again: the alert state is free");
    }
    for (const t of report.transitions) {
      diag.info(
        `alerts: ${t.rule} ${formatLabels(t.labels)}: ${t.from} -> ${t.to}`,
      );
    }
    for (const { id, error } of report.rules) {
      const before = failing.get(id);
      if (error === undefined) {
        if (before === undefined) continue;
        failing.delete(id);
        diag.info(`alerts: rule "${id}" evaluates again`);
      } else if (error !== before) {
        failing.set(id, error);
        diag.warn(
          `alerts: evaluation failed: ${error}; its alerts hold their state (logged again when the error changes)`,
        );
      }
    }
  };
}
