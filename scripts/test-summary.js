// Prints vitest's JSON report as one plain closing line, "N passed, N failed",
// which CI reads whatever the runner.
import { readFileSync } from "node:fs";

const [reportPath = "test-artifacts/vitest.json"] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`,
);
