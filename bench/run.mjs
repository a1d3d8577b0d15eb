/**
 * `npm run bench [-- --quick] [-- --only id,id]`: runs the benchmarks one
 * after another (never two at once: they would measure each other), writes
 * bench/results/<time>.{md,json} and, for a full set, the table of
 * BENCHMARKS.md.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./lib/collector.mjs";
import {
  describeMachine,
  renderBenchmark,
  updateTableSection,
  writeResults,
} from "./lib/results.mjs";
import os from "node:os";

// In the order they run: cheap and self-contained first.
const BENCHMARKS = [
  ["recording", "./recording.mjs"],
  ["startup", "./startup.mjs"],
  ["ingestion", "./ingestion.mjs"],
  ["stats", "./stats-query.mjs"],
  ["evaluation", "./evaluation.mjs"],
  ["report", "./report.mjs"],
  ["http-overhead", "./http-overhead.mjs"],
];

function parseFlags() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "no-update": { type: "boolean", default: false },
    },
  });
  const only = values.only?.split(",").map((s) => s.trim());
  for (const id of only ?? []) {
    if (!BENCHMARKS.some(([known]) => known === id)) {
      throw new Error(
        `--only "${id}": expected one of ${BENCHMARKS.map(([k]) => k).join(", ")}`,
      );
    }
  }
  return { quick: values.quick, only, update: !values["no-update"] };
}

async function main() {
  const flags = parseFlags();
  const started = Date.now();
  const run = {
    startedAt: new Date(started).toISOString(),
    mode: flags.quick ? "quick" : "full",
    machine: describeMachine(),
    results: [],
    failures: [],
  };
  for (const [id, file] of BENCHMARKS) {
    if (flags.only && !flags.only.includes(id)) continue;
    process.stderr.write(`bench: ${id}…\n`);
    const t0 = Date.now();
    try {
      const module = await import(file);
      const result = await module.run({ quick: flags.quick });
      run.results.push(result);
      process.stderr.write(`${renderBenchmark(result)}\n\n`);
    } catch (error) {
      // One broken benchmark should not cost the others' numbers.
      run.failures.push({ id, error: error?.stack ?? String(error) });
      process.stderr.write(`bench: ${id} failed: ${error?.stack ?? error}\n`);
    }
    process.stderr.write(
      `bench: ${id} took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }
  run.durationSeconds = (Date.now() - started) / 1000;
  run.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  const paths = writeResults(path.join(ROOT, "bench/results"), run);
  process.stderr.write(`bench: wrote ${paths.markdown} and ${paths.json}\n`);
  // Only a complete run replaces the committed table.
  if (flags.update && !flags.only) {
    const { renderRun } = await import("./lib/results.mjs");
    updateTableSection(path.join(ROOT, "BENCHMARKS.md"), renderRun(run));
    process.stderr.write("bench: updated BENCHMARKS.md\n");
  }
  if (run.failures.length > 0) process.exitCode = 1;
}

await main();
