/**
 * The report as GitHub-flavoured Markdown. App values are escaped so a label
 * cannot open HTML, a link or a table cell; charts become sparkline lines.
 */
import type { Block } from "./blocks.js";
import { layoutReport } from "./layout.js";
import { clean, sparkline } from "./text.js";
import { formatFigure } from "./format.js";
import type { Chart, Report } from "../types.js";

/** Renders the report as Markdown. */
export function renderMarkdown(report: Report): string {
  const layout = layoutReport(report);
  const lines = [
    `# ${escapeMarkdown(layout.title)}`,
    "",
    ...layout.subtitle.map((s) => `- ${escapeMarkdown(s)}`),
  ];
  for (const block of layout.blocks) lines.push("", ...blockLines(block));
  return `${lines.join("\n")}\n`;
}

/**
 * Escapes text for Markdown: HTML characters as entities, so a label cannot
 * open a tag; and with a backslash the punctuation that makes emphasis,
 * code, links or a table cell. Control characters (newlines too) go first.
 */
export function escapeMarkdown(text: string): string {
  return clean(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~]/g, "\\$&");
}

function blockLines(block: Block): string[] {
  switch (block.kind) {
    case "section":
      return [`## ${escapeMarkdown(block.title)}`];
    case "heading":
      return [`### ${escapeMarkdown(block.text)}`];
    case "paragraph":
      return [
        block.tone === "note"
          ? `_${escapeMarkdown(block.text)}_`
          : escapeMarkdown(block.text),
      ];
    case "table":
      return [
        row(block.columns),
        `| ${block.columns.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
        ...block.rows.map(row),
      ];
    case "chart":
      return chartLines(block.chart);
  }
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeMarkdown).join(" | ")} |`;
}

function chartLines(chart: Chart): string[] {
  return [
    `**${escapeMarkdown(chart.title)}**`,
    "",
    ...chart.series.map((s) => {
      const values = s.points.map(([, v]) => v);
      const low = formatFigure({
        value: Math.min(...values),
        unit: chart.unit,
      });
      const high = formatFigure({
        value: Math.max(...values),
        unit: chart.unit,
      });
      return `- ${escapeMarkdown(s.label)}: \`${sparkline(values)}\` ${escapeMarkdown(`${low} to ${high}`)}`;
    }),
  ];
}
