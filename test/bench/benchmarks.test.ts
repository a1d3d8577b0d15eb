/**
 * Smoke runs of the benchmarks results.test.ts does not run, each in the
 * tiniest configuration its options allow: the cases and measures the table
 * promises are there, the values are finite and positive, the ratios are to
 * the named baseline, and each benchmark's own check of its answers holds.
 * No speed is asserted: these runs share a busy machine.
 */
import { describe, expect, it } from "vitest";
import { run as runEvaluation } from "../../bench/evaluation.mjs";
import { run as runHttpOverhead } from "../../bench/http-overhead.mjs";
import {
  POINTS_PER_REQUEST,
  run as runIngestion,
} from "../../bench/ingestion.mjs";
import { run as runReport } from "../../bench/report.mjs";
import { run as runStartup } from "../../bench/startup.mjs";
import { run as runStats } from "../../bench/stats-query.mjs";
import {
  renderBenchmark,
  type BenchmarkResult,
  type ResultRow,
} from "../../bench/lib/results.mjs";

function rowOf(
  result: BenchmarkResult,
  name: string,
  measure: string,
): ResultRow {
  const row = result.rows.find((r) => r.case === name && r.measure === measure);
  if (row === undefined)
    throw new Error(`${result.id}: no row "${name}" / "${measure}"`);
  return row;
}

/** Every (case, measure) pair of the result, in order. */
function pairs(result: BenchmarkResult): string[] {
  return result.rows.map((r) => `${r.case} / ${r.measure}`);
}

function expectPositive(row: ResultRow): void {
  expect(Number.isFinite(row.value), `${row.case} / ${row.measure}`).toBe(true);
  expect(row.value, `${row.case} / ${row.measure}`).toBeGreaterThan(0);
}

/** Each row's ratio is its value over the baseline row of the same measure. */
function expectRatiosTo(result: BenchmarkResult, baseline: string): void {
  for (const row of result.rows) {
    const reference = rowOf(result, baseline, row.measure);
    expect(row.ratio, `${row.case} / ${row.measure}`).toBeCloseTo(
      row.value / reference.value,
      9,
    );
  }
}

function noteMatching(result: BenchmarkResult, pattern: RegExp): string[] {
  const found = (result.notes ?? [])
    .map((note) => pattern.exec(note))
    .find((match) => match !== null);
  if (!found) throw new Error(`${result.id}: no note matches ${pattern}`);
  return [...found];
}

describe("benchmarks, tiniest configurations (structure, never speed)", () => {
  it("startup: first line and exit per variant, what each register adds, and ours over theirs", async () => {
    const result = await runStartup({ rounds: 1 });
    expect(result.id).toBe("startup");
    const variants = [
      "none",
      "td-monitoring/register",
      "OTel auto-instrumentations",
    ];
    const ratioCase = "td-monitoring/register ÷ OTel auto-instrumentations";
    expect(pairs(result)).toEqual([
      ...variants.flatMap((v) => [`${v} / to first line`, `${v} / to exit`]),
      "td-monitoring/register / added before first line",
      "OTel auto-instrumentations / added before first line",
      `${ratioCase} / added before first line`,
    ]);
    const timed = result.rows.filter((r) => r.measure.startsWith("to "));
    timed.forEach(expectPositive);
    expectRatiosTo({ ...result, rows: timed }, "none");

    const first = (name: string) => rowOf(result, name, "to first line").value;
    const added = (name: string) =>
      rowOf(result, name, "added before first line");
    expect(added("td-monitoring/register").value).toBeCloseTo(
      first("td-monitoring/register") - first("none"),
      9,
    );
    expect(added("OTel auto-instrumentations").value).toBeCloseTo(
      first("OTel auto-instrumentations") - first("none"),
      9,
    );
    // Either register loads an SDK before the app's first line.
    expectPositive(added("td-monitoring/register"));
    expectPositive(added("OTel auto-instrumentations"));
    const ratio = added(ratioCase);
    expect(ratio.unit).toBe("×");
    expect(ratio.value).toBeCloseTo(
      added("td-monitoring/register").value /
        added("OTel auto-instrumentations").value,
      9,
    );
    // The ratio is the row's value, not a ratio to "none" (which adds nothing).
    for (const name of [...variants.slice(1), ratioCase])
      expect(added(name).ratio).toBeUndefined();
    expect(renderBenchmark(result)).toMatch(
      /\| td-monitoring\/register ÷ OTel auto-instrumentations \| added before first line \| [\d.]+ \| × \| {2}\|/,
    );
  });

  it("ingestion: points/s per encoding against protobuf, and the decoding cost per point", async () => {
    const result = await runIngestion({ requests: 1, rounds: 1 });
    expect(result.id).toBe("ingestion");
    const baseline = "OTLP/HTTP protobuf → collector";
    expect(result.baseline).toBe(baseline);
    const sent = [
      baseline,
      "OTLP/HTTP json → collector",
      "EmbeddedDatabase.ingest (no HTTP, no decoding)",
    ];
    const decoded = ["protobuf", "json"].map(
      (e) => `decode + convert, ${e} (in process)`,
    );
    expect(pairs(result)).toEqual([
      ...sent.map((c) => `${c} / points/s`),
      ...decoded.map((c) => `${c} / µs/point`),
    ]);
    result.rows.forEach(expectPositive);
    const rates = result.rows.filter((r) => r.measure === "points/s");
    expectRatiosTo({ ...result, rows: rates }, baseline);
    expect(rowOf(result, baseline, "points/s").ratio).toBe(1);
    // No baseline measures µs/point, so those rows carry no ratio.
    for (const name of decoded)
      expect(rowOf(result, name, "µs/point").ratio).toBeUndefined();
    // 400 counter + 400 gauge + 200 histogram points per request.
    expect(POINTS_PER_REQUEST).toBe(1000);
    noteMatching(result, /^1 requests of 1000 points /);
  });

  it("stats: four ways of asking, every one answering all the samples written", async () => {
    // 1000 points over 100 series: 10 samples each.
    const result = await runStats({ points: 1000, rounds: 1 });
    expect(result.id).toBe("stats");
    const baseline = "plain SQLite aggregate (avg, min, max, count)";
    expect(result.baseline).toBe(baseline);
    expect(pairs(result)).toEqual(
      [
        "td-monitor stats (new process)",
        "MonitoringManager.getMetricStats (in process)",
        baseline,
        "plain SQLite read of every value",
      ].map((c) => `${c} / latency`),
    );
    result.rows.forEach(expectPositive);
    expectRatiosTo(result, baseline);
    // The benchmark throws on a count other than the written one; the note
    // lists the distinct counts answered: exactly one, 100 × 10.
    const [, counts] = noteMatching(
      result,
      /Sample counts answered: ([^.]*)\./,
    );
    expect(counts).toBe("1000");
  });

  it("evaluation: a cycle against the bare queries, over every series of every rule", async () => {
    const result = await runEvaluation({ rules: 4, series: 10, rounds: 1 });
    expect(result.id).toBe("evaluation");
    const baseline = "the same 4 queries, EmbeddedStore only";
    expect(result.baseline).toBe(baseline);
    expect(pairs(result)).toEqual([
      "evaluator cycle / latency",
      `${baseline} / latency`,
      "evaluator cycle / first cycle (no state yet)",
    ]);
    result.rows.forEach(expectPositive);
    const latencies = result.rows.filter((r) => r.measure === "latency");
    expectRatiosTo({ ...result, rows: latencies }, baseline);
    // Each of the 4 rules groups by queue: 10 series each.
    const [, series] = noteMatching(
      result,
      /Series evaluated per cycle: (\d+)\./,
    );
    expect(Number(series)).toBe(40);
    // The thresholds (5 to 6.5) cut through the values (1 to 9): some go
    // pending, never more than the 40 series.
    const [, pending] = noteMatching(result, /(\d+) inactive → pending/);
    expect(Number(pending)).toBeGreaterThan(0);
    expect(Number(pending)).toBeLessThanOrEqual(40);
  });

  it("report: build and render latencies over a data set the report finds", async () => {
    const result = await runReport({ days: 1, stepSeconds: 3600, rounds: 1 });
    expect(result.id).toBe("report");
    expect(result.title).toBe("Report: 1 days × 50 series at 3600 s");
    expect(pairs(result)).toEqual([
      "buildReport (all sections, with the previous period) / latency",
      "render HTML / latency",
      "render Markdown / latency",
      "write the data set (EmbeddedDatabase.ingest) / throughput",
    ]);
    result.rows.forEach(expectPositive);
    // No alternative, so no baseline and no ratios.
    expect(result.baseline).toBe("");
    for (const row of result.rows) expect(row.ratio).toBeUndefined();
    // 50 series × (86,400 s / 3,600 s + 1) = 50 × 25 samples.
    noteMatching(result, /^1,250 points over 50 series/);
    // The data set feeds the host, service, users and business sections.
    const [, sections] = noteMatching(result, /Sections with data: ([^.]*)\./);
    expect(sections?.split(", ")).toEqual(
      expect.arrayContaining(["system", "application", "users", "business"]),
    );
  });

  it("http-overhead: every variant on both frameworks, against the bare server, with no failed response", async () => {
    const result = await runHttpOverhead({
      rounds: 1,
      durationSeconds: 1,
      warmupSeconds: 0,
    });
    expect(result.id).toBe("http-overhead");
    const variants = [
      "none",
      "td-monitoring/register",
      "OTel auto-instrumentations",
      "prom-client",
    ];
    const measures = ["requests/s", "p99 latency", "peak RSS"];
    expect(pairs(result)).toEqual(
      ["plain", "express"].flatMap((framework) =>
        variants.flatMap((v) =>
          measures.map((m) => `${framework}: ${v} / ${m}`),
        ),
      ),
    );
    for (const framework of ["plain", "express"]) {
      const rows = result.rows.filter((r) =>
        r.case.startsWith(`${framework}: `),
      );
      for (const row of rows) {
        if (row.measure === "p99 latency") {
          // Whole milliseconds: a fast loopback run may round to 0, and a
          // baseline of 0 has no ratio.
          expect(Number.isFinite(row.value)).toBe(true);
          expect(row.value).toBeGreaterThanOrEqual(0);
        } else {
          expectPositive(row);
          expect(row.ratio).toBeCloseTo(
            row.value / rowOf(result, `${framework}: none`, row.measure).value,
            9,
          );
        }
      }
    }
    const [, failed] = noteMatching(
      result,
      /Failed or non-2xx responses over all runs: (\d+)\./,
    );
    expect(failed).toBe("0");
  }, 120_000);
});
