import { describe, expect, it } from "vitest";
import {
  bucketCounts,
  bucketMin,
  bucketQuantile,
  cumulativeBuckets,
  totalCount,
  type CumulativeBucket,
} from "../../src/query/histogram.js";

// Case Q2 of the field cases.
const Q2: CumulativeBucket[] = [
  [0.0032, 4],
  [0.0064, 420],
  [0.0128, 1484],
  [0.0256, 2651],
  [0.0512, 3714],
  [0.1024, 5097],
  [0.2048, 6657],
  [Infinity, 7364],
].map(([upperBound, count]) => ({ upperBound: upperBound!, count: count! }));

describe("bucketQuantile", () => {
  it("Q2: p95 is the highest finite bound, never +Inf", () => {
    expect(bucketQuantile(0.95, Q2)).toBe(0.2048);
    expect(bucketQuantile(0.99, Q2)).toBe(0.2048);
  });

  it("Q2: p50 interpolates inside its bucket", () => {
    expect(bucketQuantile(0.5, Q2)).toBeCloseTo(0.050429, 6);
    expect(bucketQuantile(0.5, Q2)).toBeCloseTo(
      0.0256 + 0.0256 * (1031 / 1063),
      15,
    );
  });

  it("does not depend on the order buckets come in", () => {
    expect(bucketQuantile(0.5, [...Q2].reverse())).toBe(
      bucketQuantile(0.5, Q2),
    );
  });

  const empty = Q2.map((b) => ({ ...b, count: 0 }));
  it.each([
    ["no observations", 0.5, empty, NaN],
    ["only the +Inf bucket", 0.5, [{ upperBound: Infinity, count: 3 }], NaN],
    ["no +Inf bucket", 0.5, Q2.slice(0, -1), NaN],
    ["q = -0.1", -0.1, Q2, -Infinity],
    ["q = 1.1", 1.1, Q2, Infinity],
    ["q = NaN", NaN, Q2, NaN],
  ])("Q3: %s", (_, q, buckets, expected) => {
    expect(bucketQuantile(q, buckets)).toBe(expected);
  });

  it("starts the first bucket at 0", () => {
    const buckets = [
      { upperBound: 10, count: 4 },
      { upperBound: Infinity, count: 4 },
    ];
    expect(bucketQuantile(0.25, buckets)).toBe(2.5);
  });

  it("merges equal bounds and repairs non-monotonic counts", () => {
    const buckets = [
      { upperBound: 1, count: 2 },
      { upperBound: 1, count: 2 },
      { upperBound: 2, count: 3 },
      { upperBound: Infinity, count: 8 },
    ];
    // Bound 1 holds 4, bound 2 is raised to 4, +Inf holds 8: p50 is at 1.
    expect(bucketQuantile(0.5, buckets)).toBe(1);
  });
});

describe("bucketMin", () => {
  it.each([
    ["the first bucket starts at 0", Q2, 0],
    [
      "the lowest non-empty bucket",
      [
        { upperBound: 1, count: 0 },
        { upperBound: 2, count: 5 },
        { upperBound: Infinity, count: 5 },
      ],
      1,
    ],
    ["no observations", Q2.map((b) => ({ ...b, count: 0 })), NaN],
  ])("%s", (_, buckets, expected) => {
    expect(bucketMin(buckets)).toBe(expected);
  });
});

describe("cumulativeBuckets", () => {
  it("turns OTLP per-bucket counts into Prometheus' cumulative ones", () => {
    const point = {
      timeMillis: 0,
      count: 6,
      sum: 9,
      bounds: [1, 2],
      bucketCounts: [1, 2, 3],
    };
    expect(cumulativeBuckets(point)).toEqual([
      { upperBound: 1, count: 1 },
      { upperBound: 2, count: 3 },
      { upperBound: Infinity, count: 6 },
    ]);
  });
});

describe("bucketCounts", () => {
  it("Q2: differences cumulative counts, each bucket from the bound below", () => {
    const counts = bucketCounts(Q2);
    expect(counts.map((b) => b.count)).toEqual([
      4, 416, 1064, 1167, 1063, 1383, 1560, 707,
    ]);
    expect(counts[0]).toEqual({
      lowerBound: -Infinity,
      upperBound: 0.0032,
      count: 4,
    });
    expect(counts[7]).toEqual({
      lowerBound: 0.2048,
      upperBound: Infinity,
      count: 707,
    });
    expect(totalCount(counts)).toBe(7364);
  });

  it("sorts, merges equal bounds and never counts below zero", () => {
    // Separately extrapolated increases can cross: 5.5 at ≤2 over 5 at ≤3.
    expect(
      bucketCounts([
        { upperBound: Infinity, count: 6 },
        { upperBound: 3, count: 5 },
        { upperBound: 2, count: 5.5 },
        { upperBound: 1, count: 1 },
        { upperBound: 1, count: 1 },
      ]),
    ).toEqual([
      { lowerBound: -Infinity, upperBound: 1, count: 2 },
      { lowerBound: 1, upperBound: 2, count: 3.5 },
      { lowerBound: 2, upperBound: 3, count: 0 },
      { lowerBound: 3, upperBound: Infinity, count: 0.5 },
    ]);
  });

  it("gives nothing for no buckets", () => {
    expect(bucketCounts([])).toEqual([]);
    expect(totalCount([])).toBe(0);
  });
});
