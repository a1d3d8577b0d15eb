import { describe, expect, it } from "vitest";
import { findMetric } from "../../src/metrics/catalog.js";
import {
  loadRuleFile,
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
      'r.yaml:2:5: rules[0]: Unrecognized key: "treshold"',
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
  ])("%s", (_name, text, expected) => {
    const error = errorOf(text);
    expect(error.message).toContain(expected);
    expect(error.file).toBe("r.yaml");
  });

  it("accepts a raw PromQL rule", () => {
    const file = parseRuleFile(
      'rules:\n  - id: Up\n    expr: "sum(up)"\n    condition: "<"\n    threshold: 1\n',
      "r.yaml",
    );
    expect(file.rules[0]?.source).toEqual({ kind: "promql", expr: "sum(up)" });
  });
});
