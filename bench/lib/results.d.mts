/** Types of results.mjs, for the tests (the benchmarks themselves are plain JS). */
export interface ResultRow {
  case: string;
  measure: string;
  value: number;
  unit: string;
  ratio?: number;
}
export interface BenchmarkResult {
  id: string;
  title: string;
  baseline: string;
  rows: ResultRow[];
  notes?: string[];
}
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
}
export interface Run {
  startedAt: string;
  mode: string;
  machine: Machine;
  results: BenchmarkResult[];
  failures: Array<{ id: string; error: string }>;
  durationSeconds: number;
  loadAverageAtEnd: number[];
}
export const TABLE_START: string;
export const TABLE_END: string;
export function describeMachine(): Machine;
export function withRatios(rows: ResultRow[], baseline: string): ResultRow[];
export function formatNumber(value: number | null | undefined): string;
export function renderBenchmark(result: BenchmarkResult): string;
export function renderRun(run: Run): string;
export function writeResults(
  dir: string,
  run: Run,
): { json: string; markdown: string };
export function updateTableSection(file: string, markdown: string): void;
