/**
 * The README's metric table, generated from the catalog so that the two
 * cannot drift apart (a test compares them; `npm run docs:metrics` rewrites
 * the README's copy).
 */
import { readFile, writeFile } from "node:fs/promises";
import { catalog, type CatalogMetric } from "./catalog.js";

/** The marker lines the table sits between in README.md. */
export const METRIC_TABLE_START = "<!-- metric-table:start -->";
export const METRIC_TABLE_END = "<!-- metric-table:end -->";

const SOURCES: Readonly<Record<CatalogMetric["source"], string>> = {
  host: "host",
  runtime: "Node runtime",
  http: "HTTP server",
  app: "app (`metrics`)",
};

/** The catalog as a Markdown table, one row per metric, in catalog order. */
export function renderMetricTable(
  metrics: readonly CatalogMetric[] = catalog,
): string {
  const header = [
    "| metric | Prometheus | instrument | unit | attributes | from | description |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  return [...header, ...metrics.map(renderRow)].join("\n");
}

function renderRow(metric: CatalogMetric): string {
  const attributes = metric.attributes.map((key) => `\`${key}\``).join(", ");
  const cells = [
    `\`${metric.name}\``,
    `\`${metric.prometheusName}\``,
    metric.instrument,
    `\`${metric.unit}\``,
    attributes === "" ? "—" : attributes,
    SOURCES[metric.source],
    metric.description.replace(/\|/g, "\\|"),
  ];
  return `| ${cells.join(" | ")} |`;
}

/**
 * The text with the table between the markers replaced by `table`.
 * Throws when the markers are missing or out of order.
 */
export function replaceMetricTable(text: string, table: string): string {
  const start = text.indexOf(METRIC_TABLE_START);
  const end = text.indexOf(METRIC_TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(
      `the metric table markers ${METRIC_TABLE_START} … ${METRIC_TABLE_END} are missing or out of order`,
    );
  }
  const before = text.slice(0, start + METRIC_TABLE_START.length);
  return `${before}\n${metricTableSection(table)}\n${text.slice(end)}`;
}

/**
 * What goes between the markers: the table, kept from Prettier, which would
 * pad its columns and so make it differ from the generated text.
 */
export function metricTableSection(table: string): string {
  return `<!-- prettier-ignore-start -->\n${table}\n<!-- prettier-ignore-end -->`;
}

/** Rewrites the metric table of a README file from the catalog. */
export async function updateMetricTable(path: string): Promise<void> {
  const text = await readFile(path, "utf8");
  try {
    await writeFile(path, replaceMetricTable(text, renderMetricTable()));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}
