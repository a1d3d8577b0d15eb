// What a demo run found: the alerts from `td-monitor alerts list`, the key
// figures from the JSON report, and how they are printed at the end.
import { readFileSync } from "node:fs";
import path from "node:path";
import { clock } from "./display.mjs";

/** Reads the run's alerts (through the CLI) and its JSON report. */
export async function readResults(children, options) {
  const { cli, root, dataDir, startedMillis, reports } = options;
  const listed = await children.run(
    "alerts-list",
    [cli, "alerts", "list", "--json", "--data-dir", dataDir].concat([
      "--since",
      new Date(startedMillis).toISOString(),
    ]),
    { cwd: root },
  );
  const report = JSON.parse(readFileSync(reports.json, "utf8"));
  const alerts = JSON.parse(listed).map((alert) => ({
    id: alert.id,
    rule: alert.rule,
    severity: alert.severity,
    state: alert.state,
    firedAt: alert.firedAt,
    resolvedAt: alert.resolvedAt,
    peakValue: alert.peakValue,
    message: alert.message,
  }));
  return { dataDir, startedMillis, reports, alerts, figures: figures(report) };
}

/** The report's figures that show the incident, as plain numbers. */
export function figures(report) {
  const { http, documents, queues } = report.application;
  return {
    requests: http.requests.value,
    errorRate: http.errorRate.value,
    latencyP95Seconds: http.latency.p95.value,
    peakStepLatencyP95Seconds: chartPeak(report, "application.latency", "p95"),
    documentsFailed: documents.failed.value,
    peakQueueLength: Math.max(0, ...queues.map((q) => q.peak.value ?? 0)),
    stepSeconds: report.stepSeconds,
  };
}

function chartPeak(report, chartId, seriesLabel) {
  const chart = report.application.charts?.find((c) => c.id === chartId);
  const series = chart?.series.find((s) => s.label === seriesLabel);
  const values = (series?.points ?? []).map(([, v]) => v).filter(isNumber);
  return values.length === 0 ? null : Math.max(...values);
}

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/** Prints the results: JSON for `--json`, else a few short tables. */
export function printSummary(results, { json }) {
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const lines = [
    "",
    ...alertLines(results),
    "",
    ...figureLines(results.figures),
    "",
    "Reports",
    `  Markdown  ${shown(results.reports.md)}`,
    `  HTML      ${shown(results.reports.html)}`,
    `  JSON      ${shown(results.reports.json)}`,
    "",
    `Series, alert history and logs are in ${shown(results.dataDir)}; look around with`,
    `  npx td-monitor status --store embedded:${shown(results.dataDir)}`,
    `  npx td-monitor alerts list --data-dir ${shown(results.dataDir)}`,
    "",
    `Done in ${clock(results.seconds)}.`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

// The demo's rules (examples/td-generator-service/rules.yaml) and their units.
const PEAK_FORMATS = {
  ApiLatencyHigh: (v) => `${Math.round(v * 1000)} ms`,
  ApiErrorRateHigh: (v) => `${(v * 100).toFixed(1)} %`,
  DocumentFailuresHigh: (v) => `${(v * 100).toFixed(1)} %`,
  QueueBacklog: (v) => `${Math.round(v)} jobs`,
};

function formatPeak(alert) {
  if (alert.peakValue == null) return "n/a";
  const format = PEAK_FORMATS[alert.rule];
  return format
    ? format(alert.peakValue)
    : String(Number(alert.peakValue.toPrecision(3)));
}

function alertLines({ alerts, startedMillis }) {
  const fired = alerts.filter((a) => a.firedAt);
  if (fired.length === 0) return ["No alert fired."];
  const at = (iso) =>
    iso ? `+${clock((Date.parse(iso) - startedMillis) / 1000)}` : "-";
  const rows = [
    ["RULE", "SEVERITY", "FIRED", "RESOLVED", "PEAK"],
    ...fired.map((a) => [
      a.rule,
      a.severity,
      at(a.firedAt),
      a.resolvedAt ? at(a.resolvedAt) : `still ${a.state}`,
      formatPeak(a),
    ]),
  ];
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length)),
  );
  const table = rows.map((row) =>
    `  ${row.map((cell, i) => cell.padEnd(widths[i])).join("  ")}`.trimEnd(),
  );
  const resolved = fired.filter((a) => a.resolvedAt).length;
  return [
    `Alerts: ${fired.length} fired, ${resolved} resolved (times since the start)`,
    ...table,
  ];
}

function figureLines(f) {
  const percent = (v) => (v == null ? "n/a" : `${(v * 100).toFixed(2)} %`);
  const millis = (v) => (v == null ? "n/a" : `${Math.round(v * 1000)} ms`);
  const count = (v) => (v == null ? "n/a" : Math.round(v).toLocaleString("en"));
  return [
    "Figures from the report",
    `  requests ${count(f.requests)}, 5xx error rate ${percent(f.errorRate)}, documents failed ${count(f.documentsFailed)}`,
    `  p95 latency ${millis(f.latencyP95Seconds)} over the run, ${millis(f.peakStepLatencyP95Seconds)} at its worst ${f.stepSeconds} s step`,
    `  peak queue length ${count(f.peakQueueLength)} jobs`,
  ];
}

/** A path relative to the working directory when it lies inside it. */
function shown(file) {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") ? file : relative;
}
