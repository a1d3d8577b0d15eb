/**
 * The report for a terminal: aligned tables, and charts as one-line
 * sparklines. App values are stripped of control characters, so a label
 * cannot move the cursor or recolour the terminal.
 */
import type { Chart } from "../types.js";
import type { Block } from "./blocks.js";
import { formatFigure } from "./format.js";
import { layoutReport } from "./layout.js";
import type { Report } from "../types.js";

const SPARKS = "▁▂▃▄▅▆▇█";
const SPARK_WIDTH = 40;

/** Renders the report as plain text. */
export function renderText(report: Report): string {
  const layout = layoutReport(report);
  const lines = [layout.title.toUpperCase(), ...layout.subtitle.map(clean)];
  for (const block of layout.blocks) lines.push(...blockLines(block));
  return `${lines.join("\n")}\n`;
}

/** Replaces control characters (ESC, CR, …) with U+FFFD. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd");
}

function blockLines(block: Block): string[] {
  switch (block.kind) {
    case "section":
      return ["", block.title, "=".repeat(block.title.length)];
    case "heading":
      return ["", clean(block.text)];
    case "paragraph":
      return [clean(block.text)];
    case "table":
      return tableLines(block.columns, block.rows);
    case "chart":
      return chartLines(block.chart);
  }
}

function tableLines(
  columns: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string[] {
  const all = [columns, ...rows].map((row) => row.map(clean));
  const widths = columns.map((_, i) =>
    Math.max(...all.map((row) => [...(row[i] ?? "")].length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        i === 0 ? pad(cell, widths[i]!) : padStart(cell, widths[i]!),
      )
      .join("  ")
      .trimEnd();
  return [
    line(all[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...all.slice(1).map(line),
  ];
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - [...text].length));
}

function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - [...text].length)) + text;
}

function chartLines(chart: Chart): string[] {
  const width = Math.max(
    ...chart.series.map((s) => [...clean(s.label)].length),
  );
  return [
    `${clean(chart.title)}:`,
    ...chart.series.map((s) => {
      const values = s.points.map(([, v]) => v);
      const low = Math.min(...values);
      const high = Math.max(...values);
      const range = `${formatFigure({ value: low, unit: chart.unit })} .. ${formatFigure({ value: high, unit: chart.unit })}`;
      return `  ${pad(clean(s.label), width)}  ${sparkline(values)}  ${range}`;
    }),
  ];
}

/** Values as a row of block characters, resampled to at most 40. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return "";
  const buckets = Math.min(SPARK_WIDTH, values.length);
  const sampled = Array.from({ length: buckets }, (_, i) => {
    const from = Math.floor((i * values.length) / buckets);
    const to = Math.floor(((i + 1) * values.length) / buckets);
    const slice = values.slice(from, Math.max(to, from + 1));
    return slice.reduce((a, b) => a + b, 0) / slice.length;
  });
  const low = Math.min(...sampled);
  const span = Math.max(...sampled) - low;
  return sampled
    .map(
      (v) =>
        SPARKS[
          span === 0 ? 0 : Math.round(((v - low) / span) * (SPARKS.length - 1))
        ],
    )
    .join("");
}
