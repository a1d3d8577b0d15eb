/**
 * `stats` over a million points: 100 gauge series × 10,000 samples at 10 s,
 * written into an embedded store with EmbeddedDatabase.ingest, then asked
 * for avg, min, max, p50, p95, p99, count and last three ways: the
 * `td-monitor stats` command (a fresh process), MonitoringManager over the
 * EmbeddedStore (in process), and, for context, one plain SQLite aggregate
 * over the same rows (avg, min, max, count: SQLite has no quantiles) and a
 * plain read of every value into JavaScript.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { EmbeddedStore, MonitoringManager } from "../dist/index.js";
import { CLI, makeTemp, rmTemp } from "./lib/collector.mjs";
import { manySeries, writeDataset } from "./lib/dataset.mjs";
import { interleave, median, millisSince } from "./lib/stats.mjs";
import { withRatios } from "./lib/results.mjs";

const METRIC = "td.queue.length";
const SERIES = 100;
const STEP_MILLIS = 10_000;

function runCli(dataDir, startMillis, endMillis) {
  const args = [
    CLI,
    "stats",
    METRIC,
    "--store",
    `embedded:${dataDir}`,
    "--json",
    "--since",
    new Date(startMillis).toISOString(),
    "--until",
    new Date(endMillis).toISOString(),
  ];
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`stats exited ${code}: ${err}`));
      resolve({ millis: millisSince(start), count: JSON.parse(out).count });
    });
  });
}

async function inProcess(dataDir, startMillis, endMillis) {
  const start = process.hrtime.bigint();
  const manager = new MonitoringManager({ store: EmbeddedStore.open(dataDir) });
  try {
    const stats = await manager.getMetricStats(METRIC, {
      start: startMillis,
      end: endMillis,
    });
    return { millis: millisSince(start), count: stats.count };
  } finally {
    await manager.close();
  }
}

function sqlite(dataDir, startMillis, endMillis, sql) {
  const start = process.hrtime.bigint();
  const db = new DatabaseSync(path.join(dataDir, "metrics/series.db"), {
    readOnly: true,
  });
  try {
    const from = BigInt(startMillis) * 1_000_000n;
    const to = BigInt(endMillis) * 1_000_000n + 999_999n;
    const result =
      sql === "aggregate"
        ? db
            .prepare(
              `SELECT avg(value) AS avg, min(value), max(value), count(*) AS count
           FROM number_samples n JOIN series s ON s.id = n.series_id
           WHERE s.metric = ? AND n.time_ns BETWEEN ? AND ?`,
            )
            .get(METRIC, from, to)
        : {
            count: db
              .prepare(
                `SELECT n.value FROM series s JOIN number_samples n ON n.series_id = s.id
           WHERE s.metric = ? AND n.time_ns BETWEEN ? AND ? ORDER BY s.id, n.time_ns`,
              )
              .all(METRIC, from, to).length,
          };
    return { millis: millisSince(start), count: Number(result.count) };
  } finally {
    db.close();
  }
}

export async function run({ quick = false, points, rounds: roundCount } = {}) {
  const total = points ?? 1_000_000;
  const steps = Math.ceil(total / SERIES);
  const rounds = roundCount ?? (quick ? 3 : 7);
  const dataDir = makeTemp("stats");
  try {
    const endMillis = Date.now() - 60_000;
    const startMillis = endMillis - (steps - 1) * STEP_MILLIS;
    const t0 = process.hrtime.bigint();
    const written = writeDataset(dataDir, {
      series: manySeries(METRIC, "td.queue.name", SERIES, 10),
      steps,
      stepMillis: STEP_MILLIS,
      endMillis,
    });
    const writeSeconds = millisSince(t0) / 1000;
    const cases = {
      "td-monitor stats (new process)": () =>
        runCli(dataDir, startMillis, endMillis),
      "MonitoringManager.getMetricStats (in process)": () =>
        inProcess(dataDir, startMillis, endMillis),
      "plain SQLite aggregate (avg, min, max, count)": () =>
        sqlite(dataDir, startMillis, endMillis, "aggregate"),
      "plain SQLite read of every value": () =>
        sqlite(dataDir, startMillis, endMillis, "read"),
    };
    const measured = await interleave(Object.keys(cases), rounds, (name) =>
      cases[name](),
    );
    const rows = [];
    const counts = new Set();
    for (const [name, runs] of measured) {
      runs.forEach((r) => counts.add(r.count));
      // A fast wrong answer is no result: every way must see every sample.
      const wrong = runs.find((r) => r.count !== written);
      if (wrong !== undefined) {
        throw new Error(
          `stats: "${name}" answered ${wrong.count} samples where ${written} were written; the store or the query misses samples`,
        );
      }
      rows.push({
        case: name,
        measure: "latency",
        value: median(runs.map((r) => r.millis)),
        unit: "ms",
      });
    }
    return {
      id: "stats",
      title: `stats over ${(written / 1e6).toFixed(2)} million points`,
      baseline: "plain SQLite aggregate (avg, min, max, count)",
      rows: withRatios(rows, "plain SQLite aggregate (avg, min, max, count)"),
      notes: [
        `${SERIES} series of \`${METRIC}\` (a gauge) × ${steps} samples 10 s apart, written with EmbeddedDatabase.ingest in ${writeSeconds.toFixed(1)} s (${Math.round(written / writeSeconds).toLocaleString("en-US")} points/s); ${rounds} rounds, interleaved; medians. Sample counts answered: ${[...counts].join(", ")}.`,
        "stats computes p50/p95/p99 of the pooled samples, which needs every value in JavaScript; the plain aggregate cannot give quantiles and is the floor, the plain read is what any quantile costs before sorting.",
      ],
    };
  } finally {
    rmTemp(dataDir);
  }
}
