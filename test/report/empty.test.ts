/**
 * A report over an empty store and over one holding only CPU: each section
 * without data says so, in every format, with no chart, no NaN, no
 * "undefined" or "Infinity" and no invented figure.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport } from "../../src/report/build.js";
import type { Block, Layout } from "../../src/report/render/blocks.js";
import { renderHtml } from "../../src/report/render/html.js";
import { renderJson } from "../../src/report/render/json.js";
import { renderMarkdown } from "../../src/report/render/markdown.js";
import { renderText } from "../../src/report/render/text.js";
import type { Report } from "../../src/report/types.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import { END, SERIES, T0 } from "./dataset.js";
import { loadDataSet } from "./sample-report.js";

const options = {
  startMillis: T0,
  endMillis: END,
  stepSeconds: 900,
  nowMillis: END,
};

const NO_DATA = "No data in this window.";
const NO_HISTORY = "No alert history.";

/** The section ids and titles, in the report's order. */
const SECTIONS = {
  system: "System performance",
  application: "Application performance",
  users: "User analytics",
  business: "Business",
  alerts: "Alerts",
  trends: "Trends",
  correlations: "Correlations",
  capacity: "Capacity",
  optimization: "Optimization opportunities",
} as const;
type SectionId = keyof typeof SECTIONS;

async function reportOver(
  series: typeof SERIES,
): Promise<{ report: Report; cleanUp: () => Promise<void> }> {
  const dataDir = await loadDataSet(series);
  const store = EmbeddedStore.open(dataDir);
  const report = await buildReport(store, options);
  return {
    report,
    cleanUp: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The layout the HTML page draws, read back out of the page. */
function htmlLayout(html: string): Layout {
  const match =
    /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(
      html,
    );
  if (match === null) throw new Error("the HTML report holds no report-data");
  return JSON.parse(match[1]!) as Layout;
}

/** The blocks under each section heading of a layout. */
function blocksBySection(layout: Layout): Map<string, Block[]> {
  const sections = new Map<string, Block[]>();
  let current: Block[] = [];
  for (const block of layout.blocks) {
    if (block.kind === "section") {
      current = [];
      sections.set(block.id, current);
    } else {
      current.push(block);
    }
  }
  return sections;
}

/** The text under each section title of a rendering, split by `heading`. */
function chunks(text: string, heading: (title: string) => string) {
  const titles = Object.values(SECTIONS);
  const starts = titles.map((t) => text.indexOf(heading(t)));
  expect(starts.every((s) => s >= 0)).toBe(true);
  return new Map(
    (Object.keys(SECTIONS) as SectionId[]).map((id, i) => [
      id,
      text.slice(starts[i]! + heading(titles[i]!).length, starts[i + 1]).trim(),
    ]),
  );
}

const textHeading = (title: string) =>
  `\n${title}\n${"=".repeat(title.length)}\n`;
const markdownHeading = (title: string) => `\n## ${title}\n`;

/** What every format must hold for a report whose `empty` sections have no data. */
function expectNoDataSaid(report: Report, empty: readonly SectionId[]) {
  const json = renderJson(report);
  const html = renderHtml(report);
  const layout = htmlLayout(html);
  const text = renderText(report);
  const markdown = renderMarkdown(report);

  // The page's own data; the inlined chart library's code is not the report.
  for (const rendering of [json, JSON.stringify(layout), text, markdown]) {
    expect(rendering).not.toMatch(/NaN|undefined|Infinity/);
  }
  JSON.parse(json, (_key, value: unknown) => {
    if (typeof value === "number") expect(Number.isFinite(value)).toBe(true);
    return value;
  });

  const parsed = JSON.parse(json) as Report;
  const laidOut = blocksBySection(layout);
  const inText = chunks(text, textHeading);
  const inMarkdown = chunks(markdown, markdownHeading);
  for (const id of Object.keys(SECTIONS) as SectionId[]) {
    const said = id === "alerts" ? NO_HISTORY : NO_DATA;
    if (!empty.includes(id)) {
      expect(parsed[id].hasData, id).toBe(true);
      expect(inText.get(id), id).not.toBe(NO_DATA);
      continue;
    }
    expect(parsed[id].hasData, id).toBe(false);
    expect(parsed[id].charts, id).toEqual([]);
    expect(laidOut.get(id), id).toEqual([
      { kind: "paragraph", tone: "note", text: said },
    ]);
    expect(inText.get(id), id).toBe(said);
    expect(inMarkdown.get(id), id).toBe(`_${said}_`);
  }
  // No chart without a line, nor a line without a point, in any section.
  for (const block of layout.blocks) {
    if (block.kind !== "chart") continue;
    expect(block.chart.series.length, block.chart.id).toBeGreaterThan(0);
    for (const line of block.chart.series) {
      expect(line.points.length, `${block.chart.id} ${line.label}`).toBe(
        line.points.filter(([t, v]) => Number.isFinite(t + v)).length,
      );
      expect(line.points.length).toBeGreaterThan(0);
    }
  }
  return { parsed, layout, text, markdown };
}

describe("a report over an empty store", () => {
  let report: Report;
  let cleanUp: () => Promise<void>;
  beforeAll(async () => {
    ({ report, cleanUp } = await reportOver([]));
  });
  afterAll(() => cleanUp?.());

  it("says in every format that no section has data, and draws nothing", () => {
    const { parsed, layout } = expectNoDataSaid(
      report,
      Object.keys(SECTIONS) as SectionId[],
    );
    expect(layout.blocks.filter((b) => b.kind === "chart")).toEqual([]);
    // Every figure is null with its unit: nothing invented.
    expect(parsed.system.cpu.avg).toEqual({ value: null, unit: "1" });
    expect(parsed.capacity.memory.headroom).toEqual({ value: null, unit: "1" });
    expect(parsed.business.uptime.fraction.value).toBeNull();
    expect(parsed.trends.items).toEqual([]);
    expect(parsed.optimization.findings).toEqual([]);
  });
});

describe("a report over a store holding only CPU", () => {
  let report: Report;
  let cleanUp: () => Promise<void>;
  beforeAll(async () => {
    ({ report, cleanUp } = await reportOver(
      SERIES.filter((s) => s.metric === "system.cpu.utilization"),
    ));
  });
  afterAll(() => cleanUp?.());

  it("shows CPU where it belongs and says the rest has no data", () => {
    const { parsed, layout, text } = expectNoDataSaid(report, [
      "application",
      "users",
      "business",
      "alerts",
      "correlations",
    ]);
    // CPU 0.2 + 0.05 h: as in the full data set; memory has no row.
    expect(text).toMatch(/CPU used\s+35\.0%\s+48\.5%\s+50\.0%/);
    expect(text).not.toMatch(/^memory/m);
    expect(parsed.system.memory.avg.value).toBeNull();
    expect(parsed.capacity.cpu.headroom.value).toBeCloseTo(0.5, 9);
    expect(parsed.capacity.memory.headroom.value).toBeNull();
    expect(parsed.trends.items.map((i) => i.id)).toEqual(["system.cpu"]);
    expect(parsed.optimization.findings).toEqual([]);
    // The one chart: CPU, without a memory line.
    const charts = layout.blocks.flatMap((b) =>
      b.kind === "chart" ? [b.chart] : [],
    );
    expect(charts.map((c) => [c.id, c.series.map((s) => s.label)])).toEqual([
      ["system.cpu_memory", ["CPU"]],
    ]);
  });
});
