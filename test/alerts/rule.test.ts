import { describe, expect, it } from "vitest";
import { findMetric } from "../../src/metrics/catalog.js";
import {
  loadRuleFile,
  MAX_REPORTED_PROBLEMS,
  parseRuleFile,
  RuleFileError,
} from "../../src/alerts/rule.js";

const DEFAULT_RULES = new URL("../../rules/default.yaml", import.meta.url)
  .pathname;

function errorOf(text: string): RuleFileError {
  try {
    parseRuleFile(text, "r.yaml");
  } catch (error) {
    if (error instanceof RuleFileError) return error;
    throw error;
  }
  throw new Error("expected a RuleFileError");
}

const BASE = `rules:
  - id: CpuHigh
    metric: cpu
    condition: ">"
    threshold: 0.9
`;

describe("the default rule file", () => {
  it("loads, and every rule names a catalog metric", async () => {
    const file = await loadRuleFile(DEFAULT_RULES);
    expect(file.rules.map((r) => r.id)).toEqual([
      "HostCpuBusy",
      "HostMemoryHigh",
      "DiskUsageHigh",
      "DiskFullSoon",
      "ApiLatencyHigh",
      "ApiErrorRateHigh",
      "DocumentFailuresHigh",
      "DocumentProcessingSlow",
      "QueueGrowing",
      "CacheHitRatioLow",
      "InstanceNotReporting",
    ]);
    for (const rule of file.rules) {
      expect(rule.source.kind).toBe("query");
      if (rule.source.kind !== "query") continue;
      expect(findMetric(rule.source.metric)?.name, rule.id).toBe(
        rule.source.metric,
      );
      for (const filter of rule.source.filters) {
        const metric = findMetric(rule.source.metric);
        expect(metric?.attributes, `${rule.id} filter ${filter.key}`).toContain(
          filter.key,
        );
      }
    }
  });

  it("normalises a tiered rule with hysteresis", async () => {
    const file = await loadRuleFile(DEFAULT_RULES);
    const memory = file.rules.find((r) => r.id === "HostMemoryHigh");
    expect(memory).toMatchObject({
      comparison: ">",
      forSeconds: 600,
      windowSeconds: 300,
      noData: "keep-state",
      receivers: ["ops"],
      tiers: [
        { severity: "warning", threshold: 0.9, clearThreshold: 0.85 },
        { severity: "critical", threshold: 0.95, clearThreshold: 0.93 },
      ],
      source: {
        kind: "query",
        metric: "system.memory.utilization",
        statistic: { kind: "avg" },
        filters: [{ key: "system.memory.state", op: "=", value: "used" }],
        groupBy: ["host.name"],
      },
    });
    const disk = file.rules.find((r) => r.id === "DiskFullSoon");
    expect(disk?.source).toMatchObject({
      statistic: { kind: "forecast", horizonSeconds: 86400 },
    });
    expect(file.evaluationIntervalSeconds).toBe(30);
    expect(file.receivers[0]).toEqual({
      name: "ops",
      type: "webhook",
      urlEnv: "TD_ALERT_WEBHOOK_URL",
      tokenEnv: "TD_ALERT_WEBHOOK_TOKEN",
      timeoutSeconds: 10,
      maxAttempts: 3,
    });
  });
});

describe("rule file errors name the file, line, column and field", () => {
  it.each([
    [
      "a bad severity",
      BASE + "    severity: urgent\n",
      "r.yaml:6:15: rules[0].severity: expected one of info, warning, critical",
    ],
    [
      "a metric outside the catalog",
      BASE.replace("metric: cpu", "metric: cpu_temp"),
      'r.yaml:3:13: rules[0].metric: unknown metric "cpu_temp"',
    ],
    [
      "a bad duration",
      BASE + "    for: 5 minutes\n",
      "r.yaml:6:10: rules[0].for: expected a duration such as 30s, 5m, 1h30m or 7d",
    ],
    [
      "an unknown field",
      BASE + "    treshold: 3\n",
      // Regression: reported at the rule (2:5), not at the key.
      'r.yaml:6:5: rules[0].treshold: unknown field; did you mean "threshold"?',
    ],
    [
      "a missing condition",
      BASE.replace('    condition: ">"\n', ""),
      'r.yaml:2:5: rules[0].condition: expected one of ">", ">=", "<", "<="',
    ],
    [
      "a clearing threshold on the wrong side",
      BASE + "    clear_threshold: 0.95\n",
      'r.yaml:6:22: rules[0].clear_threshold: clear_threshold 0.95 must be at or below threshold 0.9 for condition ">"',
    ],
    [
      "tiers out of order",
      BASE.replace(
        "    threshold: 0.9\n",
        "    tiers:\n      - { severity: critical, threshold: 0.95 }\n      - { severity: warning, threshold: 0.9 }\n",
      ),
      "r.yaml:7:21: rules[0].tiers[1].severity: tiers go from least to most severe",
    ],
    [
      "an unknown receiver",
      BASE + "    receivers: [pager]\n",
      'r.yaml:6:17: rules[0].receivers[0]: unknown receiver "pager"',
    ],
    ["a YAML syntax error", "rules:\n  - id: [\n", "r.yaml:3:1:"],
    // Regression: a bad regex loaded and failed every evaluation.
    [
      "a regex that does not compile",
      BASE + '    filters: ["a=~("]\n',
      'r.yaml:6:19: rules[0].filters[0]: invalid regex "(":',
    ],
    [
      "a bad regex in a denominator",
      BASE + '    denominator: { filters: ["b!~[z-a]"] }\n',
      'r.yaml:6:34: rules[0].denominator.filters[0]: invalid regex "[z-a]":',
    ],
    // Regression: bad templates were accepted and showed up in notifications.
    [
      "an unknown format in a template",
      BASE + '    message: "CPU {{ value | nosuch }}"\n',
      'r.yaml:6:19: rules[0].message: unknown format "nosuch": expected percent, seconds, bytes',
    ],
    [
      "an unclosed placeholder",
      BASE + "    message: CPU {{ labels.x\n",
      'r.yaml:6:18: rules[0].message: unclosed "{{"',
    ],
    [
      "an unknown name in a template",
      BASE + "    message: CPU {{ valeu }}\n",
      'r.yaml:6:18: rules[0].message: unknown name "valeu": expected value, threshold, severity, rule or labels.<key>',
    ],
    [
      "a statistic the metric's shape does not define",
      BASE.replace("metric: cpu", "metric: td.queue.length") +
        "    statistic: rate\n",
      "r.yaml:6:16: rules[0].statistic: rate is not defined for the gauge td.queue.length; use one of avg, min, max, sum, count, last",
    ],
    [
      "a forecast of a histogram",
      BASE.replace("metric: cpu", "metric: api_latency") +
        "    statistic: forecast\n    horizon: 1h\n",
      "r.yaml:6:16: rules[0].statistic: forecast is not defined for the histogram http.server.request.duration; use one of",
    ],
  ])("%s", (_name, text, expected) => {
    const error = errorOf(text);
    expect(error.message).toContain(expected);
    expect(error.file).toBe("r.yaml");
  });

  // Regression: a file with four bad fields reported only the first.
  it("reports every problem, each at its own position", () => {
    const error = errorOf(
      `rules:
  - id: A
    metric: cpu
    condition: ">"
    threshold: 0.9
    severity: urgent
    filters: ["a=~("]
  - id: B
    metric: cpu_temp
    condition: ">"
    threshold: 1
    message: "{{ value | nosuch }} {{ labels.x"
    treshold: 3
`,
    );
    expect(error.message.split("\n")).toEqual([
      "r.yaml:6:15: rules[0].severity: expected one of info, warning, critical",
      'r.yaml:7:19: rules[0].filters[0]: invalid regex "(": Unterminated group',
      'r.yaml:9:13: rules[1].metric: unknown metric "cpu_temp"; did you mean cpu?',
      'r.yaml:12:15: rules[1].message: unknown format "nosuch": expected percent, seconds, bytes',
      'r.yaml:12:36: rules[1].message: unclosed "{{": expected "}}" after the name',
      'r.yaml:13:5: rules[1].treshold: unknown field; did you mean "threshold"?',
    ]);
    expect(error.problems).toHaveLength(6);
    expect([error.line, error.column, error.field]).toEqual([
      6,
      15,
      "rules[0].severity",
    ]);
  });

  it("reports problems found after the schema in every rule", () => {
    const error = errorOf(
      BASE +
        "    receivers: [pager]\n" +
        BASE.replace("rules:\n", "").replace("metric: cpu", "metric: nope"),
    );
    expect(error.message.split("\n")).toEqual([
      'r.yaml:6:17: rules[0].receivers[0]: unknown receiver "pager": expected one of the receivers section (none declared)',
      'r.yaml:7:9: rules[1].id: duplicate rule id "CpuHigh"',
      'r.yaml:8:13: rules[1].metric: unknown metric "nope"; `td-monitor metrics` lists the metric names',
    ]);
  });

  // Regression: a new user fixed this file in three rounds, one layer of
  // problems at a time; the unknown metric and the missing threshold only
  // showed once the schema's problems were gone.
  it("reports the problems behind the schema's in the same run", () => {
    const error = errorOf(
      `rules:
  - id: X
    metric: cpuu
    statistic: avg
    treshold: 1
    severity: bad
    condition: ">"
  - id: Y
    metric: memry
    threshold: 0.9
    severity: critical
    colour: red
`,
    );
    expect(error.message.split("\n")).toEqual([
      "r.yaml:2:5: rules[0].threshold: expected threshold (a number) or tiers",
      'r.yaml:3:13: rules[0].metric: unknown metric "cpuu"; did you mean cpu?',
      'r.yaml:5:5: rules[0].treshold: unknown field; did you mean "threshold"?',
      "r.yaml:6:15: rules[0].severity: expected one of info, warning, critical",
      // Too broken (no condition) to check in full: its metric still is.
      'r.yaml:8:5: rules[1].condition: expected one of ">", ">=", "<", "<="',
      'r.yaml:9:13: rules[1].metric: unknown metric "memry"; did you mean memory?',
      "r.yaml:12:5: rules[1].colour: unknown field (see docs/alerts.md for the fields)",
    ]);
  });

  it(`reports at most ${MAX_REPORTED_PROBLEMS} problems and counts the rest`, () => {
    const rules = Array.from(
      { length: 25 },
      (_, i) =>
        `  - { id: R${i}, metric: cpu, condition: ">", threshold: 1, severity: x }\n`,
    ).join("");
    const lines = errorOf(`rules:\n${rules}`).message.split("\n");
    expect(lines).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
    expect(lines.at(-1)).toBe("r.yaml: 5 more problems not shown");
  });

  it("accepts a raw PromQL rule", () => {
    const file = parseRuleFile(
      'rules:\n  - id: Up\n    expr: "sum(up)"\n    condition: "<"\n    threshold: 1\n',
      "r.yaml",
    );
    expect(file.rules[0]?.source).toEqual({ kind: "promql", expr: "sum(up)" });
  });
});
