/**
 * The README's metric table is the catalog's, generated: this fails when
 * either changes without `npm run docs:metrics`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/metrics/catalog.js";
import {
  METRIC_TABLE_END,
  METRIC_TABLE_START,
  metricTableSection,
  renderMetricTable,
  replaceMetricTable,
} from "../../src/metrics/markdown-table.js";

const readme = readFileSync(
  new URL("../../README.md", import.meta.url),
  "utf8",
);

describe("the README metric table", () => {
  it("is exactly the table generated from the catalog", () => {
    const start =
      readme.indexOf(METRIC_TABLE_START) + METRIC_TABLE_START.length;
    const end = readme.indexOf(METRIC_TABLE_END);
    expect(readme.slice(start, end).trim()).toBe(
      metricTableSection(renderMetricTable()),
    );
  });

  it("has one row per catalog metric, with its Prometheus name and unit", () => {
    const rows = renderMetricTable().split("\n").slice(2);
    expect(rows).toHaveLength(catalog.length);
    expect(
      rows[catalog.findIndex((m) => m.name === "http.server.request.duration")],
    ).toContain(
      "| `http.server.request.duration` | `http_server_request_duration_seconds` | histogram | `s` |",
    );
  });
});

describe("replaceMetricTable", () => {
  it("replaces only what lies between the markers", () => {
    const text = `# t\n${METRIC_TABLE_START}\nold\n${METRIC_TABLE_END}\nafter\n`;
    expect(replaceMetricTable(text, "new")).toBe(
      `# t\n${METRIC_TABLE_START}\n${metricTableSection("new")}\n` +
        `${METRIC_TABLE_END}\nafter\n`,
    );
  });

  it("says what is wrong when the markers are missing", () => {
    expect(() => replaceMetricTable("# no markers", "x")).toThrow(
      /metric table markers .* missing/,
    );
  });
});
