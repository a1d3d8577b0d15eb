import { describe, expect, it } from "vitest";
import { chooseStepSeconds } from "../../src/report/build.js";
import { alertsSection } from "../../src/report/sections/alerts.js";
import {
  flat,
  strongestPairs,
} from "../../src/report/sections/correlations.js";
import { scoreShares } from "../../src/report/sections/users.js";
import { peakPoint, quantileOfValues } from "../../src/report/summaries.js";

describe("quantileOfValues", () => {
  it("interpolates between closest ranks", () => {
    // rank 0.95 · 4 = 3.8: 4 + 0.8 · (10 - 4).
    expect(quantileOfValues([10, 1, 2, 3, 4], 0.95)).toBeCloseTo(8.8, 12);
    expect(quantileOfValues([7], 0.5)).toBe(7);
    expect(quantileOfValues([], 0.5)).toBeUndefined();
  });

  it("takes the earliest peak", () => {
    expect(
      peakPoint([
        [1, 5],
        [2, 9],
        [3, 9],
      ]),
    ).toEqual([2, 9]);
  });
});

describe("chooseStepSeconds", () => {
  it.each([
    [3600, 120],
    [86_400, 300],
    [7 * 86_400, 3600],
    [365 * 86_400, 172_800],
  ])("a %d s window gets %d s steps", (window, step) => {
    expect(chooseStepSeconds(window)).toBe(step);
  });
});

describe("alertsSection", () => {
  const window = { startMillis: 1000, endMillis: 10_000 };
  const alert = (rule: string, fired: number, resolved?: number) => ({
    rule,
    severity: rule === "Disk" ? "warning" : "critical",
    labels: {},
    firedAtMillis: fired,
    ...(resolved === undefined ? {} : { resolvedAtMillis: resolved }),
  });

  it("says when there is no history", () => {
    const section = alertsSection(window, undefined);
    expect(section.historyAvailable).toBe(false);
    expect(section.meanTimeToResolve.value).toBeNull();
  });

  it("counts firings in the window and what still fires at its end", () => {
    const section = alertsSection(window, [
      alert("Errors", 500, 2000), // fired before, resolved inside
      alert("Errors", 3000, 5000),
      alert("Errors", 6000, 12_000), // still firing at the end
      alert("Disk", 4000),
      alert("Disk", 11_000), // after the window
    ]);
    expect(section.bySeverity).toEqual([
      {
        severity: "critical",
        fired: { value: 2, unit: "{alert}" },
        resolved: { value: 2, unit: "{alert}" },
      },
      {
        severity: "warning",
        fired: { value: 1, unit: "{alert}" },
        resolved: { value: 0, unit: "{alert}" },
      },
    ]);
    // (1500 + 2000) / 2 ms.
    expect(section.meanTimeToResolve).toEqual({ value: 1.75, unit: "s" });
    expect(section.noisiest.map((n) => [n.label, n.fired.value])).toEqual([
      ["Errors", 2],
      ["Disk", 1],
    ]);
    expect(section.firingNow.map((a) => a.rule)).toEqual(["Disk", "Errors"]);
  });
});

describe("correlations", () => {
  const line = (f: (i: number) => number) =>
    Array.from({ length: 8 }, (_, i) => [i * 1000, f(i)] as const);

  it("lists strong pairs, strongest first, and leaves weak ones out", () => {
    const pairs = strongestPairs([
      { title: "a", points: line((i) => i) },
      { title: "b", points: line((i) => 10 - 2 * i) },
      { title: "c", points: line((i) => (i % 2 === 0 ? 1 : -1)) },
    ]);
    expect(pairs.map((p) => [p.a, p.b, p.coefficient.value])).toEqual([
      ["a", "b", -1],
    ]);
  });

  it("takes float noise for a constant", () => {
    expect(flat(line(() => 0.1 + 0.2))).toBe(true);
    expect(flat(line((i) => 0.3 + i * 1e-17))).toBe(true);
    expect(flat(line((i) => i))).toBe(false);
  });
});

describe("scoreShares", () => {
  const bucket = (lowerBound: number, upperBound: number, count: number) => ({
    lowerBound,
    upperBound,
    count,
  });
  const shares = (buckets: Parameters<typeof scoreShares>[0]) =>
    scoreShares(buckets).map((s) => [
      s.score,
      s.responses.value,
      s.share.value,
    ]);

  it("reads each score from its bucket, shares of all responses", () => {
    // 20 responses: 1×1, 3×2, 0×3, 6×4, 10×5, none above 5.
    expect(
      shares([
        bucket(-Infinity, 1, 1),
        bucket(1, 2, 3),
        bucket(2, 3, 0),
        bucket(3, 4, 6),
        bucket(4, 5, 10),
        bucket(5, Infinity, 0),
      ]),
    ).toEqual([
      [1, 1, 0.05],
      [2, 3, 0.15],
      [3, 0, 0],
      [4, 6, 0.3],
      [5, 10, 0.5],
    ]);
    expect(scoreShares([bucket(-Infinity, 1, 4)])[0]).toEqual({
      score: 1,
      responses: { value: 4, unit: "{response}" },
      share: { value: 1, unit: "1" },
    });
  });

  it("gives no figures for a score whose bucket is not its own", () => {
    // Bounds 2 and 4: (-Inf, 2] holds 1s and 2s, (2, 4] 3s and 4s.
    expect(
      shares([
        bucket(-Infinity, 2, 2),
        bucket(2, 4, 6),
        bucket(4, Infinity, 2),
      ]),
    ).toEqual([
      [1, null, null],
      [2, null, null],
      [3, null, null],
      [4, null, null],
      [5, null, null],
    ]);
  });

  it("is empty without a distribution", () => {
    expect(scoreShares(undefined)).toEqual([]);
  });
});
