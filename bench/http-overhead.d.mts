import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of http-overhead.mjs, for the tests. */
export function run(options?: {
  quick?: boolean;
  rounds?: number;
  durationSeconds?: number;
  /** 0: no warm-up load. */
  warmupSeconds?: number;
}): Promise<BenchmarkResult>;
