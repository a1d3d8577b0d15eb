import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of startup.mjs, for the tests. */
export function run(options?: {
  quick?: boolean;
  rounds?: number;
}): Promise<BenchmarkResult>;
