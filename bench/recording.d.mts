import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of recording.mjs, for the tests. */
export function run(options?: {
  quick?: boolean;
  timeMillis?: number;
  rounds?: number;
}): Promise<BenchmarkResult>;
