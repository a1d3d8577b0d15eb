/**
 * The report as JSON: the report object as built, keys in a fixed order, a
 * unit on every figure, null where there is no value. docs/report.md
 * documents every key.
 */
import type { Report } from "../types.js";

/** Renders the report as pretty-printed JSON, ending in a newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
