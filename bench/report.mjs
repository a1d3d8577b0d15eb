/**
 * Report: a 7-day report over 50 series at 10 s resolution (about three
 * million points) from the embedded store: buildReport (every section's
 * queries and maths) and the HTML and Markdown renderers. Quick mode keeps
 * the 7-day window and the 50 series but samples every 60 s.
 */
import { buildReport, SECTIONS } from "../dist/report/build.js";
import { renderHtml } from "../dist/report/render/html.js";
import { renderMarkdown } from "../dist/report/render/markdown.js";
import { EmbeddedStore } from "../dist/index.js";
import { makeTemp, rmTemp } from "./lib/collector.mjs";
import { reportSeries, writeDataset } from "./lib/dataset.mjs";
import { median, millisSince } from "./lib/stats.mjs";

const DAY_MILLIS = 86_400_000;

function timed(work) {
  const start = process.hrtime.bigint();
  const value = work();
  return value instanceof Promise
    ? value.then((v) => ({ value: v, millis: millisSince(start) }))
    : { value, millis: millisSince(start) };
}

export async function run({
  quick = false,
  days = 7,
  stepSeconds,
  rounds: roundCount,
} = {}) {
  const step = stepSeconds ?? (quick ? 60 : 10);
  const rounds = roundCount ?? (quick ? 2 : 3);
  const dataDir = makeTemp("report");
  try {
    const endMillis = Date.now();
    const startMillis = endMillis - days * DAY_MILLIS;
    const series = reportSeries();
    const written = timed(() =>
      writeDataset(dataDir, {
        series,
        steps: Math.floor((days * DAY_MILLIS) / (step * 1000)) + 1,
        stepMillis: step * 1000,
        endMillis,
      }),
    );
    const store = EmbeddedStore.open(dataDir);
    const runs = { build: [], html: [], markdown: [] };
    let withData = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const built = await timed(() =>
          buildReport(store, { startMillis, endMillis, nowMillis: endMillis }),
        );
        runs.build.push(built.millis);
        withData = SECTIONS.filter((name) => built.value[name].hasData);
        runs.html.push(timed(() => renderHtml(built.value)).millis);
        runs.markdown.push(timed(() => renderMarkdown(built.value)).millis);
      }
    } finally {
      await store.close();
    }
    const row = (name, values) => ({
      case: name,
      measure: "latency",
      value: median(values),
      unit: "ms",
    });
    return {
      id: "report",
      title: `Report: ${days} days × ${series.length} series at ${step} s`,
      baseline: "",
      rows: [
        row("buildReport (all sections, with the previous period)", runs.build),
        row("render HTML", runs.html),
        row("render Markdown", runs.markdown),
        {
          case: "write the data set (EmbeddedDatabase.ingest)",
          measure: "throughput",
          value: written.value / (written.millis / 1000),
          unit: "points/s",
        },
      ],
      notes: [
        `${written.value.toLocaleString("en-US")} points over ${series.length} series (gauges, counters and 10 latency histograms across the metrics the report reads), ${step} s apart${quick && stepSeconds === undefined ? " — quick mode samples every 60 s instead of 10 s (a sixth of the points) to stay within minutes" : ""}; ${rounds} rounds; medians. No alternative report tool runs here, so there are no ratios: the figure is the time an operator waits.`,
        // A report that found nothing is fast for the wrong reason.
        `Sections with data: ${withData.join(", ") || "none"}.`,
      ],
    };
  } finally {
    rmTemp(dataDir);
  }
}
