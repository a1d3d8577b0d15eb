/**
 * Regression: the demo's report had a route row with an empty name and
 * 0 requests. It came from `http.server.request.duration` series without
 * `http.route`: requests the client aborted before they were routed
 * (`error.type=aborted`), whose series first reported 22 requests and never
 * grew, so they increased by nothing over the window. Tables grouped by an
 * attribute name the series without it ("(no route)") and leave out rows
 * that counted nothing, in every renderer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findMetric } from "../../src/metrics/catalog.js";
import { buildReport } from "../../src/report/build.js";
import { renderHtml } from "../../src/report/render/html.js";
import { renderJson } from "../../src/report/render/json.js";
import type { Layout } from "../../src/report/render/blocks.js";
import { renderMarkdown } from "../../src/report/render/markdown.js";
import { renderText } from "../../src/report/render/text.js";
import type { Report } from "../../src/report/types.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import type {
  IngestPoint,
  SeriesKey,
} from "../../src/store/embedded/samples.js";

const T0 = Date.UTC(2026, 11, 3, 19, 58);
const EXPORT_MILLIS = 2000;
/** 31 exports, one every 2 s: the window is [T0, T0 + 60 s]. */
const EXPORTS = 31;
const END = T0 + (EXPORTS - 1) * EXPORT_MILLIS;
const BOUNDS = findMetric("http.server.request.duration")!.buckets!;

const nanos = (millis: number) => BigInt(millis) * 1_000_000n;
const RESOURCE = { "service.name": "td-generator-service" };

function counterKey(metric: string, labels: Record<string, string>) {
  return {
    metric,
    kind: "sum",
    unit: findMetric(metric)!.unit,
    temporality: "cumulative",
    monotonic: true,
    labels: { ...RESOURCE, ...labels },
  } satisfies SeriesKey;
}

/** A cumulative histogram: `perExport` requests of 10 ms each per export, from `first`. */
function requests(
  labels: Record<string, string>,
  perExport: number,
  first = 0,
  fromExport = 0,
): IngestPoint[] {
  const series: SeriesKey = {
    ...counterKey("http.server.request.duration", labels),
    kind: "histogram",
    monotonic: false,
  };
  const start = T0 + fromExport * EXPORT_MILLIS - 1500;
  return Array.from({ length: EXPORTS - fromExport }, (_, k) => {
    const count = first + perExport * k;
    const buckets = BOUNDS.map(() => 0n).concat(0n);
    buckets[BOUNDS.indexOf(0.01)] = BigInt(count);
    return {
      type: "histogram",
      series,
      timeNanos: nanos(T0 + (fromExport + k) * EXPORT_MILLIS),
      startTimeNanos: nanos(start),
      count: BigInt(count),
      sum: count * 0.01,
      bounds: BOUNDS,
      bucketCounts: buckets,
    } satisfies IngestPoint;
  });
}

function counter(
  metric: string,
  labels: Record<string, string>,
  perExport: number,
): IngestPoint[] {
  return Array.from({ length: EXPORTS }, (_, k) => ({
    type: "number",
    series: counterKey(metric, labels),
    timeNanos: nanos(T0 + k * EXPORT_MILLIS),
    startTimeNanos: nanos(T0 - 1500),
    value: 1 + perExport * k,
  }));
}

function gauge(
  metric: string,
  labels: Record<string, string>,
  value: number,
): IngestPoint[] {
  return Array.from({ length: EXPORTS }, (_, k) => ({
    type: "number",
    series: {
      metric,
      kind: "gauge",
      unit: findMetric(metric)!.unit,
      temporality: "unspecified",
      monotonic: false,
      labels: { ...RESOURCE, ...labels },
    },
    timeNanos: nanos(T0 + k * EXPORT_MILLIS),
    startTimeNanos: nanos(T0 - 1500),
    value,
  }));
}

const routed = (route: string) => ({
  "http.route": route,
  "http.request.method": "GET",
  "http.response.status_code": "200",
});

/** The demo's HTTP series: two routes, and the aborted requests without one. */
function demoPoints(): IngestPoint[] {
  return [
    ...requests(routed("/documents"), 50),
    ...requests(routed("/jobs"), 40),
    // Aborted before routing, first reported at +42 s with 22 requests,
    // never more: no increase in the window.
    ...requests(
      { "http.request.method": "GET", "error.type": "aborted" },
      0,
      22,
      21,
    ),
  ];
}

/** The demo's series, plus one of each table's kind without its key. */
function unlabelledPoints(): IngestPoint[] {
  return [
    ...demoPoints(),
    // Unmatched requests that do grow: a "(no route)" row with its figures.
    ...requests(
      { "http.request.method": "GET", "http.response.status_code": "404" },
      3,
    ),
    ...counter(
      "td.documents.processed",
      { "td.document.outcome": "success" },
      4,
    ),
    // A type that processed nothing in the window: no row.
    ...counter(
      "td.documents.processed",
      { "td.document.type": "letter", "td.document.outcome": "success" },
      0,
    ),
    ...counter("td.feature.usage", {}, 2),
    ...counter("td.feature.usage", { "td.feature.name": "export" }, 0),
    ...counter("td.errors", {}, 1),
    ...counter("td.errors", { "error.type": "RenderError" }, 0),
    ...counter("td.cache.lookups", { "td.cache.result": "hit" }, 3),
    ...counter("td.cache.lookups", { "td.cache.result": "miss" }, 1),
    ...gauge("td.queue.length", {}, 5),
    ...gauge("system.filesystem.utilization", {}, 0.5),
  ];
}

async function reportOver(input: IngestPoint[]): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), "td-report-labels-"));
  try {
    const db = EmbeddedDatabase.open(dir);
    db.ingest(input);
    db.close();
    const store = EmbeddedStore.open(dir);
    try {
      return await buildReport(store, {
        startMillis: T0,
        endMillis: END,
        stepSeconds: 10,
        alerts: [],
        nowMillis: END,
      });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first cells of the HTML page's table rows whose second cell ends with `unit`. */
function htmlRows(report: Report, unit: string): string[] {
  const html = renderHtml(report);
  const data =
    /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(
      html,
    )?.[1];
  const layout = JSON.parse(data!) as Layout;
  return layout.blocks
    .flatMap((b) => (b.kind === "table" ? b.rows : []))
    .filter((r) => (r[1] ?? "").endsWith(unit))
    .map((r) => r[0]!);
}

describe("the route table of the demo", () => {
  it("leaves out the requests without a route that counted nothing", async () => {
    const report = await reportOver(demoPoints());
    const json = JSON.parse(renderJson(report)) as Report;
    expect(json.application.http.routes.map((r) => r.label)).toEqual([
      "/documents",
      "/jobs",
    ]);
    expect(renderText(report)).not.toMatch(/\b0 requests\b/);
    expect(renderMarkdown(report)).not.toMatch(/\| *\| 0 requests \|/);
    expect(htmlRows(report, "requests")).toEqual([
      "all routes",
      "/documents",
      "/jobs",
    ]);
  });
});

describe("tables grouped by an attribute some series lack", () => {
  let report: Report;
  beforeAll(async () => {
    report = await reportOver(unlabelledPoints());
  });

  it("name the series without it and leave out rows that counted nothing", () => {
    const json = JSON.parse(renderJson(report)) as Report;
    const app = json.application;
    expect(app.http.routes.map((r) => r.label)).toEqual([
      "/documents",
      "/jobs",
      "(no route)",
    ]);
    const unrouted = app.http.routes[2]!;
    // 3 requests an export, 30 exports.
    expect(unrouted.requests.value).toBeCloseTo(90, 6);
    expect(unrouted.p50.value).not.toBeNull();
    // The rows add up to the total.
    const sum = app.http.routes.reduce((s, r) => s + r.requests.value!, 0);
    expect(sum).toBeCloseTo(app.http.requests.value!, 6);

    expect(app.documents.byType.map((t) => t.label)).toEqual([
      "(no document type)",
    ]);
    expect(app.documents.byType[0]!.processed.value).toBeCloseTo(120, 6);
    expect(app.queues.map((q) => q.label)).toEqual(["(no queue name)"]);
    expect(app.cache.byCache.map((c) => c.label)).toEqual(["(no cache name)"]);
    expect(json.users.topFeatures.map((f) => f.label)).toEqual([
      "(no feature name)",
    ]);
    expect(json.users.errors.byType.map((e) => e.label)).toEqual([
      "(no error type)",
    ]);
    expect(json.system.filesystems.map((f) => f.label)).toEqual([
      "(no mountpoint)",
    ]);
    expect(json.capacity.filesystems.map((f) => f.label)).toEqual([
      "(no mountpoint)",
    ]);
  });

  it("shows the same rows in text, Markdown and HTML", () => {
    const text = renderText(report);
    expect(text).toMatch(/\(no route\)\s+90 requests/);
    expect(text).toContain("(no document type)");
    expect(text).not.toMatch(/\b0 requests\b/);
    expect(text).not.toMatch(/^\s+90 requests/m);

    const markdown = renderMarkdown(report);
    expect(markdown).toMatch(/^\| \(no route\) \| 90 requests \|/m);
    expect(markdown).not.toMatch(/^\| +\|.*requests/m);
    expect(markdown).not.toContain("| 0 requests |");

    expect(htmlRows(report, "requests")).toEqual([
      "all routes",
      "/documents",
      "/jobs",
      "(no route)",
    ]);
    expect(htmlRows(report, "")).not.toContain("");
  });
});
