import { describe, expect, it } from "vitest";
import {
  counterIncrease,
  counterRate,
  increaseWithResets,
} from "../../src/query/counter.js";
import type { NumberPoint } from "../../src/query/series.js";

const MINUTE = 60_000;
const T0 = 1_700_000_000_000;

function every5m(values: number[], start = T0): NumberPoint[] {
  return values.map((value, i) => ({
    timeMillis: start + i * 5 * MINUTE,
    value,
  }));
}

describe("counterIncrease", () => {
  it("Q1: counts 7 across a reset over 30 minutes, rate 7/1800", () => {
    const points = every5m([0, 1, 2, 3, 2, 3, 4]);
    const window = { startMillis: T0, endMillis: T0 + 30 * MINUTE };
    expect(counterIncrease(points, window)).toBe(7);
    expect(counterRate(points, window)).toBeCloseTo(7 / 1800, 15);
  });

  it("is never negative, whatever the resets", () => {
    const points = every5m([10, 2, 1, 0, 5]);
    const window = { startMillis: T0, endMillis: T0 + 20 * MINUTE };
    expect(counterIncrease(points, window)).toBeGreaterThanOrEqual(0);
    expect(increaseWithResets(points)).toBe(2 + 1 + 0 + 5);
  });

  it.each([
    // [case, values, window offsets in minutes, expected]
    // Samples 5 min apart, window 5 min wider at the end: half a gap added
    // beyond 1.1 gaps, so 20 min of samples count for 22.5.
    ["far end", [0, 10, 20, 30, 40], [0, 30], 40 * (22.5 / 20)],
    // The end gap below 1.1 gaps is extrapolated to in full.
    ["near end", [100, 110, 120], [0, 12], 20 * (12 / 10)],
    // Start extrapolation stops where the counter would reach zero.
    ["zero point", [5, 15, 25], [-10, 10], 20 * ((10 + 2.5) / 10)],
  ])("extrapolates like Prometheus: %s", (_, values, [from, to], expected) => {
    const window = {
      startMillis: T0 + from! * MINUTE,
      endMillis: T0 + to! * MINUTE,
    };
    expect(counterIncrease(every5m(values), window)).toBeCloseTo(expected, 12);
  });

  it("gives no answer with fewer than two samples", () => {
    const window = { startMillis: T0, endMillis: T0 + MINUTE };
    expect(counterIncrease(every5m([3]), window)).toBeUndefined();
    expect(counterIncrease([], window)).toBeUndefined();
  });
});
