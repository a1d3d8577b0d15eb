/**
 * Evaluation: one alert evaluator cycle of 100 rules over 1,000 series in
 * the embedded store (each rule asks about all 1,000 series), next to the
 * same 100 questions put to the EmbeddedStore directly, which is what the
 * cycle cannot do without; the difference is the evaluator's own work
 * (state machine, history, state file, lease).
 */
import path from "node:path";
import { Evaluator } from "../dist/alerts/evaluator.js";
import { parseRuleFile } from "../dist/alerts/rule.js";
import { EmbeddedStore } from "../dist/index.js";
import { makeTemp, rmTemp } from "./lib/collector.mjs";
import { manySeries, writeDataset } from "./lib/dataset.mjs";
import { interleave, median, millisSince } from "./lib/stats.mjs";
import { withRatios } from "./lib/results.mjs";

const METRIC = "td.queue.length";
const STATISTICS = ["avg", "max", "last", "min"];

/** Rules over every series, thresholds spread so that some fire. */
export function ruleFileText(count) {
  const rules = Array.from({ length: count }, (_, i) =>
    [
      `  - id: QueueRule${i}`,
      `    metric: ${METRIC}`,
      `    statistic: ${STATISTICS[i % STATISTICS.length]}`,
      "    window: 5m",
      "    for: 1m",
      "    group_by: [td.queue.name]",
      '    condition: ">"',
      `    tiers: [{ severity: warning, threshold: ${(5 + (i % 10) / 2).toFixed(1)} }]`,
      '    message: "{{ labels.td.queue.name }} is {{ value }}"',
    ].join("\n"),
  );
  return `rules:\n${rules.join("\n")}\n`;
}

export async function run({
  quick = false,
  rules: ruleCount = 100,
  series = 1000,
} = {}) {
  const rounds = quick ? 3 : 7;
  const dataDir = makeTemp("evaluation");
  try {
    const nowMillis = Date.now();
    const points = writeDataset(dataDir, {
      series: manySeries(METRIC, "td.queue.name", series, 10),
      steps: 91, // 15 minutes at 10 s
      stepMillis: 10_000,
      endMillis: nowMillis,
    });
    const ruleFile = parseRuleFile(ruleFileText(ruleCount), "bench-rules.yaml");
    const store = EmbeddedStore.open(dataDir);
    const evaluator = new Evaluator({
      store,
      rules: ruleFile,
      alertsDir: path.join(dataDir, "alerts"),
      clock: () => nowMillis,
      notifiers: new Map(),
    });
    const queriesOnly = async () => {
      for (const rule of ruleFile.rules) {
        const { metric, statistic, filters, groupBy } = rule.source;
        await store.query({
          metric,
          statistic,
          filters,
          groupBy,
          startMillis: nowMillis - rule.windowSeconds * 1000,
          endMillis: nowMillis,
        });
      }
    };
    let firstMillis = NaN;
    let alerts = 0;
    const cases = {
      "evaluator cycle": async () => {
        const start = process.hrtime.bigint();
        const report = await evaluator.evaluateOnce();
        const millis = millisSince(start);
        if (Number.isNaN(firstMillis)) firstMillis = millis;
        alerts = report.rules.reduce((n, r) => n + r.series, 0);
        return millis;
      },
      "the same 100 queries, EmbeddedStore only": async () => {
        const start = process.hrtime.bigint();
        await queriesOnly();
        return millisSince(start);
      },
    };
    try {
      const measured = await interleave(Object.keys(cases), rounds, (name) =>
        cases[name](),
      );
      const rows = [...measured].map(([name, runs]) => ({
        case: name,
        measure: "latency",
        value: median(runs),
        unit: "ms",
      }));
      rows.push({
        case: "evaluator cycle",
        measure: "first cycle (no state yet)",
        value: firstMillis,
        unit: "ms",
      });
      return {
        id: "evaluation",
        title: `Evaluation: ${ruleCount} rules over ${series} series`,
        baseline: "the same 100 queries, EmbeddedStore only",
        rows: withRatios(rows, "the same 100 queries, EmbeddedStore only"),
        notes: [
          `${series} series of \`${METRIC}\`, 15 minutes at 10 s (${points} points); ${ruleCount} rules (avg, max, last, min over 5 m, grouped by queue, thresholds spread so that alerts go pending and firing); ${rounds} rounds, interleaved; medians. Series evaluated per cycle: ${alerts}. Notifications off; the change context of firing alerts on (the default).`,
        ],
      };
    } finally {
      await store.close();
    }
  } finally {
    rmTemp(dataDir);
  }
}
