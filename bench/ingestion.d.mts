import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of ingestion.mjs, for the tests. */
export const POINTS_PER_REQUEST: number;
export function run(options?: {
  quick?: boolean;
  requests?: number;
  rounds?: number;
}): Promise<BenchmarkResult>;
