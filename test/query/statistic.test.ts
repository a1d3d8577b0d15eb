import { describe, expect, it } from "vitest";
import { QueryError } from "../../src/query/model.js";
import {
  closestNames,
  resolveMetric,
  UnknownMetricError,
} from "../../src/query/resolve.js";
import {
  parseStatistic,
  resultUnit,
  statisticName,
  validateQuery,
} from "../../src/query/statistic.js";

describe("parseStatistic", () => {
  it.each([
    ["avg", { kind: "avg" }],
    ["rate", { kind: "rate" }],
    ["p95", { kind: "quantile", q: 0.95 }],
    ["p99.9", { kind: "quantile", q: 0.999 }],
    ["quantile:0.42", { kind: "quantile", q: 0.42 }],
    ["distribution", { kind: "distribution" }],
  ])("%s", (name, statistic) => {
    expect(parseStatistic(name)).toEqual(statistic);
    expect(statisticName(parseStatistic(name))).toBe(
      name.startsWith("quantile:") ? "p42" : name,
    );
  });

  it.each(["median", "p101", "quantile:2", "quantile"])(
    "refuses %s, listing the forms",
    (name) => {
      expect(() => parseStatistic(name)).toThrow(
        /expected one of avg, min, max, sum, count, last, rate, increase, distribution, a percentile such as p95/,
      );
    },
  );
});

describe("resultUnit", () => {
  it.each([
    ["counter", "{document}", { kind: "rate" }, "{document}/s"],
    ["histogram", "s", { kind: "rate" }, "{observation}/s"],
    ["histogram", "s", { kind: "quantile", q: 0.5 }, "s"],
    ["histogram", "s", { kind: "count" }, "{observation}"],
    ["histogram", "1", { kind: "distribution" }, "{observation}"],
    ["gauge", "1", { kind: "count" }, "{sample}"],
    ["gauge", "By", { kind: "avg" }, "By"],
  ] as const)("%s in %s, %j: %s", (shape, unit, statistic, expected) => {
    expect(resultUnit(shape, unit, statistic)).toBe(expected);
  });
});

describe("validateQuery", () => {
  const base = {
    metric: "m",
    statistic: { kind: "avg" },
    startMillis: 1000,
    endMillis: 2000,
    filters: [],
    groupBy: [],
  } as const;
  it.each([
    [{ endMillis: 1000 }, /end .* is not after start/],
    [{ startMillis: NaN }, /must be finite epoch milliseconds/],
    [
      { stepSeconds: 0 },
      /stepSeconds must be a positive number of seconds, got 0/,
    ],
    [
      { statistic: { kind: "rate" } },
      /rate is not defined for the gauge m; use one of avg, min, max/,
    ],
  ])("refuses %j", (change, message) => {
    expect(() =>
      validateQuery({ ...base, ...change } as never, "gauge"),
    ).toThrow(QueryError);
    expect(() =>
      validateQuery({ ...base, ...change } as never, "gauge"),
    ).toThrow(message);
  });
});

describe("validateQuery of a distribution", () => {
  const query = {
    metric: "m",
    statistic: { kind: "distribution" },
    startMillis: 1000,
    endMillis: 2000,
    filters: [],
    groupBy: [],
  } as const;

  it("takes a histogram", () => {
    expect(() => validateQuery(query, "histogram")).not.toThrow();
  });

  it.each(["gauge", "counter"] as const)("refuses a %s", (shape) => {
    expect(() => validateQuery(query, shape)).toThrow(QueryError);
    expect(() => validateQuery(query, shape)).toThrow(
      `distribution is defined only for histograms (it counts the observations in each bucket); m is a ${shape}`,
    );
  });
});

describe("resolveMetric", () => {
  it.each([
    ["api_latency", "http.server.request.duration"],
    ["cpu", "system.cpu.utilization"],
    ["memory", "system.memory.utilization"],
    ["disk", "system.filesystem.utilization"],
    ["td_documents_processed_total", "td.documents.processed"],
  ])("%s is %s", (name, metric) => {
    expect(resolveMetric(name).name).toBe(metric);
  });

  it("names the closest known metrics", () => {
    expect(() => resolveMetric("api_latencyy")).toThrow(UnknownMetricError);
    expect(() => resolveMetric("api_latencyy")).toThrow(
      /did you mean api_latency/,
    );
    expect(closestNames("memroy", ["memory", "cpu", "disk"])).toEqual([
      "memory",
    ]);
    expect(closestNames("zzzzzzzz", ["memory", "cpu"])).toEqual([]);
  });
});
