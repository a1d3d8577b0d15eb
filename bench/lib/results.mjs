/**
 * The shared results writer: every benchmark hands back the same shape, and
 * this module turns the lot into `bench/results/<stamp>.{md,json}` plus the
 * table section of BENCHMARKS.md.
 *
 * A benchmark result:
 *   { id, title, baseline, rows: [{ case, measure, value, unit, ratio? }], notes: [] }
 * `ratio` is value / baseline's value for the same measure (so > 1 means
 * "more than the baseline": slower for times, faster for rates).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const TABLE_START = "<!-- bench-table:start -->";
export const TABLE_END = "<!-- bench-table:end -->";

/** CPU model, cores, Node version and the load average now. */
export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** Adds `ratio` to each row: its value over the baseline case's value for the same measure. */
export function withRatios(rows, baseline) {
  const base = new Map(
    rows.filter((r) => r.case === baseline).map((r) => [r.measure, r.value]),
  );
  return rows.map((row) => {
    const reference = base.get(row.measure);
    if (reference === undefined || !(reference > 0) || row.ratio !== undefined)
      return row;
    return { ...row, ratio: row.value / reference };
  });
}

/** A number with about three significant figures, grouped for reading. */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value))
    return "n/a";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });
}

function formatRatio(ratio) {
  return ratio === undefined ? "" : `${ratio.toFixed(2)}×`;
}

function escapeCell(text) {
  return String(text).replaceAll("|", "\\|");
}

/** One benchmark as a Markdown section: a heading, a table, its notes. */
export function renderBenchmark(result) {
  const lines = [`### ${result.title}`, ""];
  if (result.baseline) lines.push(`Ratios are to **${result.baseline}**.`, "");
  lines.push(
    "| case | measure | value | unit | ratio |",
    "| --- | --- | ---: | --- | ---: |",
  );
  for (const row of result.rows) {
    lines.push(
      `| ${escapeCell(row.case)} | ${escapeCell(row.measure)} | ${formatNumber(row.value)} | ${escapeCell(row.unit)} | ${formatRatio(row.ratio)} |`,
    );
  }
  for (const note of result.notes ?? []) lines.push("", `- ${note}`);
  return lines.join("\n");
}

/** The whole run as Markdown: machine, mode, then each benchmark. */
export function renderRun(run) {
  const m = run.machine;
  const header = [
    `Run ${run.startedAt} (${run.mode} mode, ${Math.round(run.durationSeconds)} s).`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; load average at start ${m.loadAverage.join(" / ")}, at end ${run.loadAverageAtEnd.join(" / ")}.`,
  ];
  const failures = run.failures.map(
    (f) => `- **${f.id} failed:** ${escapeCell(f.error)}`,
  );
  return [
    header.join("\n"),
    ...run.results.map(renderBenchmark),
    ...(failures.length > 0 ? [failures.join("\n")] : []),
  ].join("\n\n");
}

/**
 * Writes `<dir>/<stamp>.json`, `<dir>/<stamp>.md` and `latest.{json,md}`;
 * returns the paths.
 */
export function writeResults(dir, run) {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replaceAll(":", "-").replace(/\.\d+Z$/, "Z");
  const markdown = `${renderRun(run)}\n`;
  const json = `${JSON.stringify(run, null, 2)}\n`;
  const paths = {
    json: path.join(dir, `${stamp}.json`),
    markdown: path.join(dir, `${stamp}.md`),
  };
  writeFileSync(paths.json, json);
  writeFileSync(paths.markdown, markdown);
  writeFileSync(path.join(dir, "latest.json"), json);
  writeFileSync(path.join(dir, "latest.md"), markdown);
  return paths;
}

/** Replaces the text between the table markers of a Markdown file. */
export function updateTableSection(file, markdown) {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`${file}: no ${TABLE_START} … ${TABLE_END} section`);
  }
  const updated =
    text.slice(0, start + TABLE_START.length) +
    `\n<!-- prettier-ignore-start -->\n${markdown}\n<!-- prettier-ignore-end -->\n` +
    text.slice(end);
  writeFileSync(file, updated);
}
