import { describe, expect, it } from "vitest";
import { presence } from "../../src/report/uptime.js";

const MIN = 60_000;
const window = { startMillis: 0, endMillis: 60 * MIN };

describe("presence", () => {
  it("finds no gap in a regular series", () => {
    const times = Array.from({ length: 60 }, (_, i) => (i + 1) * MIN);
    const p = presence(times, window, 15_000)!;
    expect(p.intervalMillis).toBe(MIN);
    expect(p.gaps).toEqual([]);
    // Observed from the start of the first sample's step, 45 s in.
    expect(p.upMillis).toBe(60 * MIN - 45_000);
  });

  it("counts a gap from one interval after the last sample", () => {
    // Samples every minute but none from 20 to 30: down 21..30, 9 minutes.
    const times = Array.from({ length: 60 }, (_, i) => (i + 1) * MIN).filter(
      (t) => t <= 20 * MIN || t >= 30 * MIN,
    );
    const p = presence(times, window, 15_000)!;
    expect(p.gaps).toEqual([{ fromMillis: 21 * MIN, toMillis: 30 * MIN }]);
    expect(p.downtimeMillis).toBe(9 * MIN);
    expect(p.observedMillis).toBe(60 * MIN - 45_000);
  });

  it("counts silence up to the end, not before the first sample", () => {
    const times = [30, 31, 32, 33, 34, 35].map((m) => m * MIN);
    const p = presence(times, window, 15_000)!;
    expect(p.gaps).toEqual([{ fromMillis: 36 * MIN, toMillis: 60 * MIN }]);
    // Observed from the start of the first sample's step.
    expect(p.observedMillis).toBe(30 * MIN + 15_000);
    expect(p.upMillis).toBe(30 * MIN + 15_000 - 24 * MIN);
  });

  it("never takes the interval below the step", () => {
    expect(presence([MIN, MIN + 1], window, 15_000)!.intervalMillis).toBe(
      15_000,
    );
    expect(presence([], window, 15_000)).toBeUndefined();
  });
});
