import { describe, expect, it } from "vitest";
import { maxOf, minOf, sampleQuantile } from "../../src/query/gauge.js";
import { expectClose } from "./close.js";

describe("sampleQuantile", () => {
  it.each([
    [0.5, [4, 1, 3, 2], 2.5],
    [0, [4, 1, 3, 2], 1],
    [1, [4, 1, 3, 2], 4],
    [0.9, [10, 20], 19],
    [0.5, [], NaN],
    [-0.1, [1, 2], -Infinity],
    [1.1, [1, 2], Infinity],
    [NaN, [1, 2], NaN],
  ])("q = %d of %j is %d", (q, values, expected) => {
    expectClose(sampleQuantile(q, values), expected);
  });
});

describe("minOf and maxOf", () => {
  it("ignore NaN unless every value is NaN, as min_over_time does", () => {
    expect(minOf([NaN, 3, 1])).toBe(1);
    expect(maxOf([3, NaN, 1])).toBe(3);
    expect(minOf([NaN])).toBeNaN();
  });
});
