import { describe, expect, it } from "vitest";
import {
  alignSeries,
  compareSamples,
  linearFit,
  pearson,
  predictLinear,
  studentTwoSidedP,
  timeToReach,
} from "../../src/query/analysis.js";

const HOUR = 3_600_000;

describe("studentTwoSidedP", () => {
  // Closed forms: df = 1 is Cauchy, df = 2 has P(|T| > t) = 1 - t/√(2+t²).
  it.each([
    [1, 1, 0.5],
    [2, 2, 1 - 2 / Math.sqrt(6)],
    [0, 7, 1],
  ])("t = %d, df = %d gives %f", (t, df, p) => {
    expect(studentTwoSidedP(t, df)).toBeCloseTo(p, 10);
  });

  it("gives the tabled 5% point for df = 10", () => {
    expect(studentTwoSidedP(2.228139, 10)).toBeCloseTo(0.05, 5);
  });
});

describe("linearFit", () => {
  it("fits an exact line with a zero p-value", () => {
    const fit = linearFit([
      [0, 1],
      [1000, 3],
      [2000, 5],
    ])!;
    expect(fit.slopePerSecond).toBeCloseTo(2, 12);
    expect(fit.rSquared).toBe(1);
    expect(fit.pValue).toBe(0);
  });

  it("matches the hand computation on noisy points", () => {
    // x̄ 1.5, ȳ 2.25, Sxx 5, Sxy 4.5, Syy 4.75: slope 0.9, SSE 0.7.
    const fit = linearFit([
      [0, 1],
      [1000, 2],
      [2000, 2],
      [3000, 4],
    ])!;
    expect(fit.slopePerSecond).toBeCloseTo(0.9, 12);
    expect(fit.rSquared).toBeCloseTo(1 - 0.7 / 4.75, 12);
    const t = 0.9 / Math.sqrt(0.7 / 2 / 5);
    expect(fit.pValue).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
  });

  it("keeps precision at epoch-millisecond times", () => {
    const t0 = 1_750_000_000_000;
    const fit = linearFit([
      [t0, 10],
      [t0 + HOUR, 13.6],
    ])!;
    expect(fit.slopePerSecond).toBeCloseTo(0.001, 12);
  });

  it("gives nothing for one point or a single time", () => {
    expect(linearFit([[0, 1]])).toBeUndefined();
    expect(
      linearFit([
        [5, 1],
        [5, 2],
      ]),
    ).toBeUndefined();
  });
});

describe("predictLinear and timeToReach", () => {
  const disk: Array<[number, number]> = [
    [0, 0.5],
    [HOUR, 0.51],
    [2 * HOUR, 0.52],
  ];

  it("extrapolates like predict_linear", () => {
    expect(predictLinear(disk, 10 * HOUR)).toBeCloseTo(0.6, 12);
  });

  it("finds when a disk growing 1%/h from 50% fills", () => {
    expect(timeToReach(disk, 1, 2 * HOUR)).toBeCloseTo(50 * HOUR, 3);
  });

  it("says never for a flat or shrinking series", () => {
    expect(
      timeToReach(
        [
          [0, 0.5],
          [HOUR, 0.4],
        ],
        1,
        HOUR,
      ),
    ).toBeUndefined();
  });

  it("says now when the fit is already over the threshold", () => {
    expect(timeToReach(disk, 0.51, 2 * HOUR)).toBe(2 * HOUR);
  });
});

describe("compareSamples", () => {
  it("matches Welch's test by hand", () => {
    // Variances 2 and 2 over n = 2: t = -4/√2, df = 2.
    const c = compareSamples([1, 3], [5, 7])!;
    expect(c.meanA).toBe(2);
    expect(c.meanB).toBe(6);
    const t = 4 / Math.sqrt(2);
    expect(c.pValue).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
  });

  it("handles noiseless samples", () => {
    expect(compareSamples([1, 1], [1, 1])!.pValue).toBe(1);
    expect(compareSamples([1, 1], [2, 2])!.pValue).toBe(0);
    expect(compareSamples([1], [2, 2])).toBeUndefined();
  });
});

describe("pearson and alignSeries", () => {
  it("matches the hand computation", () => {
    // Sxy 11, Sxx 5, Syy 26.
    expect(pearson([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(
      11 / Math.sqrt(130),
      12,
    );
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it("gives nothing for constant or short samples", () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeUndefined();
    expect(pearson([1, 2], [1, 2])).toBeUndefined();
    expect(() => pearson([1], [1, 2])).toThrow(/differ in length/);
  });

  it("pairs values at shared times only", () => {
    expect(
      alignSeries(
        [
          [2, 20],
          [1, 10],
          [3, 30],
        ],
        [
          [1, 1],
          [3, 3],
          [4, 4],
        ],
      ),
    ).toEqual({ xs: [10, 30], ys: [1, 3] });
  });
});
