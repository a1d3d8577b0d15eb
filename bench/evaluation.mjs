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

/** A cycle that skipped or lost a rule did less than the work measured: stop. */
function checkCycle(report) {
  if (report.skipped !== undefined)
    throw new Error(`evaluation: the cycle did nothing: ${report.skipped}`);
  const failed = report.rules.find((r) => r.error !== undefined);
  if (failed !== undefined)
    throw new Error(
      `evaluation: a rule failed, so its cycle is no measure: ${failed.error}`,
    );
}

export async function run({
  quick = false,
  rules: ruleCount = 100,
  series = 1000,
  rounds: roundCount,
} = {}) {
  const rounds = roundCount ?? (quick ? 3 : 7);
  const queriesOnlyCase = `the same ${ruleCount} queries, EmbeddedStore only`;
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
    const transitions = new Map();
    const cases = {
      "evaluator cycle": async () => {
        const start = process.hrtime.bigint();
        const report = await evaluator.evaluateOnce();
        const millis = millisSince(start);
        checkCycle(report);
        if (Number.isNaN(firstMillis)) firstMillis = millis;
        alerts = report.rules.reduce((n, r) => n + r.series, 0);
        for (const { from, to } of report.transitions) {
          const kind = `${from} → ${to}`;
          transitions.set(kind, (transitions.get(kind) ?? 0) + 1);
        }
        return millis;
      },
      [queriesOnlyCase]: async () => {
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
        baseline: queriesOnlyCase,
        rows: withRatios(rows, queriesOnlyCase),
        notes: [
          `${series} series of \`${METRIC}\`, 15 minutes at 10 s (${points} points); ${ruleCount} rules (avg, max, last, min over 5 m, grouped by queue, thresholds spread so that some alerts go pending); ${rounds} rounds, interleaved; medians. Series evaluated per cycle: ${alerts}. Alert transitions over all cycles: ${[...transitions].map(([kind, n]) => `${n} ${kind}`).join(", ") || "none"}. Notifications off; the change context of firing alerts on (the default), though on the benchmark's fixed clock no pending alert outlasts its 1 m \`for\` to fire.`,
        ],
      };
    } finally {
      await store.close();
    }
  } finally {
    rmTemp(dataDir);
  }
}
