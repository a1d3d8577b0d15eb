import type { BenchmarkResult } from "./lib/results.mjs";
/** Types of evaluation.mjs, for the tests. */
export function ruleFileText(count: number): string;
export function run(options?: {
  quick?: boolean;
  rules?: number;
  series?: number;
  rounds?: number;
}): Promise<BenchmarkResult>;
