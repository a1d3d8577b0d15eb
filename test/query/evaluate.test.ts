import { describe, expect, it } from "vitest";
import { evaluate, groupBy, stepTimes } from "../../src/query/evaluate.js";
import type { Query } from "../../src/query/model.js";
import {
  cumulativeFromDelta,
  cumulativeHistogramFromDelta,
  type HistogramPoint,
} from "../../src/query/series.js";
import { expectClose } from "./close.js";

const MINUTE = 60_000;
const T0 = 1_700_000_000_000;
const at = (i: number) => T0 + i * MINUTE;

function query(statistic: Query["statistic"], from: number, to: number): Query {
  return {
    metric: "m",
    statistic,
    startMillis: at(from),
    endMillis: at(to),
    filters: [],
    groupBy: [],
  };
}

// Windows on and between samples, so extrapolation and its zero clamp apply.
const WINDOWS = [
  [0, 6],
  [0.5, 5.5],
  [2, 4],
  [1.2, 6],
] as const;

describe("delta and cumulative sums", () => {
  const deltas = [4, 2, 0, 7, 1, 3, 5];
  // What a cumulative exporter that started with the delta one sends.
  let total = 0;
  const cumulative = deltas.map((d, i) => ({
    timeMillis: at(i),
    value: (total += d),
  }));
  const converted = cumulativeFromDelta(
    deltas.map((value, i) => ({ timeMillis: at(i), value })),
  );

  it.each(WINDOWS)(
    "give the same increase and rate over [%d, %d] min",
    (from, to) => {
      for (const kind of ["increase", "rate", "last", "count"] as const) {
        const answer = (points: typeof cumulative) =>
          evaluate(query({ kind }, from, to), {
            shape: "counter",
            series: [{ labels: {}, points }],
          });
        expect(answer(converted)).toEqual(answer(cumulative));
      }
    },
  );
});

describe("delta and cumulative histograms", () => {
  const bounds = [1, 2];
  const deltas: HistogramPoint[] = [
    [1, 0, 0],
    [2, 1, 1],
    [0, 3, 1],
    [5, 0, 2],
  ].map((bucketCounts, i) => ({
    timeMillis: at(i * 2),
    count: bucketCounts.reduce((a, b) => a + b, 0),
    sum: bucketCounts[0]! * 0.5 + bucketCounts[1]! * 1.5 + bucketCounts[2]! * 3,
    bounds,
    bucketCounts,
  }));
  const converted = cumulativeHistogramFromDelta(deltas);

  it("turns deltas into running totals, bucket by bucket", () => {
    expect(converted.map((p) => p.bucketCounts)).toEqual([
      [1, 0, 0],
      [3, 1, 1],
      [3, 4, 2],
      [8, 4, 4],
    ]);
    expect(converted.map((p) => p.count)).toEqual([1, 5, 9, 16]);
  });

  it("starts again when the bounds change", () => {
    const changed = cumulativeHistogramFromDelta([
      deltas[0]!,
      { ...deltas[1]!, bounds: [5], bucketCounts: [3, 1] },
    ]);
    expect(changed[1]?.bucketCounts).toEqual([3, 1]);
  });

  it("gives a p50 and avg from buckets", () => {
    const ask = (statistic: Query["statistic"]) =>
      evaluate(query(statistic, 0, 6), {
        shape: "histogram",
        series: [{ labels: {}, points: converted }],
      });
    // Increases 7, 11, 15 at bounds 1, 2, +Inf: rank 7.5 is in (1, 2].
    expectClose(ask({ kind: "quantile", q: 0.5 })[0]?.value, 1 + 0.5 / 4);
    expectClose(ask({ kind: "count" })[0]?.value, 15);
  });
});

describe("groupBy", () => {
  it("groups by the values of the keys, leaving out missing ones, ordered by labels as JSON", () => {
    const series: Array<{ labels: Record<string, string> }> = [
      { labels: { route: "/b", method: "GET" } },
      { labels: { route: "/a" } },
      { labels: { route: "/b", method: "POST" } },
      { labels: {} },
    ];
    const groups = groupBy(series, ["route"]);
    expect(groups.map(([labels, members]) => [labels, members.length])).toEqual(
      [
        [{ route: "/a" }, 1],
        [{ route: "/b" }, 2],
        [{}, 1],
      ],
    );
  });
});

describe("stepTimes", () => {
  it("runs from start to end by the step, as query_range does", () => {
    const times = stepTimes({
      ...query({ kind: "avg" }, 0, 10),
      stepSeconds: 240,
    });
    expect(times).toEqual([at(0), at(4), at(8)]);
  });
});
