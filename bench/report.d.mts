import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of report.mjs, for the tests. */
export function run(options?: {
  quick?: boolean;
  days?: number;
  stepSeconds?: number;
  rounds?: number;
}): Promise<BenchmarkResult>;
