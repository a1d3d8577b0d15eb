import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of stats-query.mjs, for the tests. */
export function run(options?: {
  quick?: boolean;
  points?: number;
  rounds?: number;
}): Promise<BenchmarkResult>;
