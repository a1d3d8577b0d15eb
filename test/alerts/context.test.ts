/**
 * Regression: in the one-minute demo every alert fired with an empty
 * context. The context compared the last max(window, 5 min) with the
 * 5 minutes before that, which lay before the store's first sample, so no
 * metric had a value to compare with and all were left out in silence. The
 * alert's window now runs from one rule window before the alert went
 * pending to when it fired, and the window before is as long. These run the
 * demo's rules over the embedded store holding the demo's shape of data:
 * two-second exports, a steady phase, then an incident.
 */
import { describe, expect, it } from "vitest";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { parseRuleFile } from "../../src/alerts/rule.js";
import { findMetric } from "../../src/metrics/catalog.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import type {
  IngestPoint,
  SeriesKey,
} from "../../src/store/embedded/samples.js";
import { recordingNotifiers, tempDir, testClock } from "./helpers/fixtures.js";

const SECOND = 1000;
const T0 = Date.UTC(2026, 11, 3, 19, 58);
const EXPORT_MILLIS = 2 * SECOND;
const BOUNDS = findMetric("http.server.request.duration")!.buckets!;
const RESOURCE = { "service.name": "td-generator-service" };

// The demo's rules (examples/td-generator-service/rules.yaml).
const RULES = `evaluation_interval: 5s
defaults:
  window: 10s
  for: 5s
  no_data: keep-state
  receivers: []
rules:
  - id: ApiLatencyHigh
    metric: http.server.request.duration
    statistic: p95
    group_by: [service.name]
    condition: ">"
    threshold: 0.5
    clear_threshold: 0.25
    severity: warning
  - id: QueueBacklog
    metric: td.queue.length
    statistic: max
    group_by: [td.queue.name]
    condition: ">"
    threshold: 20
    clear_threshold: 5
    severity: warning
`;

const nanos = (millis: number) => BigInt(millis) * 1_000_000n;

/**
 * Exports every 2 s from T0 for `exports` exports; from export `incidentAt`
 * on, 50 requests per export take 2.5 s instead of 5 ms and the batch queue
 * holds 60 jobs instead of 0. Host CPU stays at 20% throughout.
 */
function demoPoints(exports: number, incidentAt: number): IngestPoint[] {
  const points: IngestPoint[] = [];
  const http: SeriesKey = {
    metric: "http.server.request.duration",
    kind: "histogram",
    unit: "s",
    temporality: "cumulative",
    monotonic: false,
    labels: { ...RESOURCE, "http.route": "/documents" },
  };
  const gauge = (metric: string, labels: Record<string, string>) =>
    ({
      metric,
      kind: "gauge",
      unit: findMetric(metric)!.unit,
      temporality: "unspecified",
      monotonic: false,
      labels: { ...RESOURCE, ...labels },
    }) satisfies SeriesKey;
  const queue = gauge("td.queue.length", { "td.queue.name": "batch" });
  const cpu = gauge("system.cpu.utilization", { "system.cpu.state": "idle" });
  const fast = BigInt(BOUNDS.indexOf(0.005));
  const slow = BigInt(BOUNDS.indexOf(2.5));
  const buckets = BOUNDS.map(() => 0n).concat(0n);
  let sum = 0;
  for (let k = 0; k < exports; k += 1) {
    const incident = k >= incidentAt;
    const at = {
      timeNanos: nanos(T0 + k * EXPORT_MILLIS),
      startTimeNanos: nanos(T0 - SECOND),
    };
    if (k > 0) {
      buckets[Number(incident ? slow : fast)]! += 50n;
      sum += 50 * (incident ? 2.5 : 0.005);
    }
    points.push(
      {
        type: "histogram",
        series: http,
        ...at,
        count: buckets.reduce((a, b) => a + b, 0n),
        sum,
        bounds: BOUNDS,
        bucketCounts: [...buckets],
      },
      { type: "number", series: queue, ...at, value: incident ? 60 : 0 },
      { type: "number", series: cpu, ...at, value: 0.8 },
    );
  }
  return points;
}

/** Evaluates the demo's rules every 5 s over the points; the alerts that fired. */
async function firedAlerts(points: IngestPoint[], untilSeconds: number) {
  const dir = await tempDir();
  const db = EmbeddedDatabase.open(dir);
  db.ingest(points);
  db.close();
  const store = EmbeddedStore.open(dir);
  try {
    const clock = testClock(T0);
    const evaluator = new Evaluator({
      store,
      rules: parseRuleFile(RULES, "rules.yaml"),
      alertsDir: `${dir}/alerts`,
      clock: clock.now,
      notifiers: recordingNotifiers().notifiers,
    });
    for (let s = 5; s <= untilSeconds; s += 5) {
      clock.set(T0 + s * SECOND);
      await evaluator.evaluateOnce();
    }
    const alerts = await new AlertStore(`${dir}/alerts`).list({});
    return alerts.filter((a) => a.firedAtMillis !== undefined);
  } finally {
    await store.close();
  }
}

describe("the context of an alert that fires", () => {
  it("holds what changed since before the incident in a one-minute run", async () => {
    // The incident starts at +24 s, as the demo's does at +23 s.
    const fired = await firedAlerts(demoPoints(31, 12), 30);
    expect(fired.map((a) => a.rule).sort()).toEqual([
      "ApiLatencyHigh",
      "QueueBacklog",
    ]);
    for (const alert of fired) {
      // Pending at +25 s, fired at +30 s: the alert's window is
      // [+15 s, +30 s], the window before [0 s, +15 s].
      expect(alert.startedAtMillis).toBe(T0 + 25 * SECOND);
      expect(alert.firedAtMillis).toBe(T0 + 30 * SECOND);
      const [queue, latency, ...others] = alert.context ?? [];
      expect(others).toEqual([]);
      // Samples at +16 … +30 s: 0 four times, then 60 four times. From 0
      // the change is infinite, which JSON keeps as null (read back NaN).
      expect(queue).toEqual({
        metric: "td.queue.length",
        statistic: "avg",
        before: 0,
        after: 30,
        relativeChange: Number.NaN,
      });
      expect(latency?.metric).toBe("http.server.request.duration");
      expect(latency?.statistic).toBe("p95");
      // Before, every request in the (0, 5 ms] bucket: 0.95 × 5 ms. After,
      // 150 fast and 200 slow (the window scales both alike): the 95th
      // percentile is 91.25% into the (1 s, 2.5 s] bucket.
      expect(latency).toEqual({
        metric: "http.server.request.duration",
        statistic: "p95",
        before: expect.closeTo(0.00475, 9),
        after: expect.closeTo(1 + 0.9125 * 1.5, 9),
        relativeChange: expect.closeTo(2.36875 / 0.00475 - 1, 6),
      });
      // CPU did not move: not in the context.
    }
  });

  it("says the window before had no data when the store began inside the alert's", async () => {
    // The incident from the first export: pending at +5 s, fired at +10 s;
    // the window before, [-20 s, -5 s], precedes every sample.
    const fired = await firedAlerts(demoPoints(8, 0), 10);
    const latency = fired.find((a) => a.rule === "ApiLatencyHigh");
    expect(latency?.firedAtMillis).toBe(T0 + 10 * SECOND);
    const context = latency?.context ?? [];
    expect(context.map((c) => c.metric)).toEqual([
      "system.cpu.utilization",
      "http.server.request.duration",
      "td.queue.length",
    ]);
    for (const change of context) {
      expect(change.before).toBeNaN();
      expect(change.relativeChange).toBeNaN();
      expect(Number.isFinite(change.after)).toBe(true);
    }
    expect(context[0]?.after).toBeCloseTo(0.8, 9);
    expect(context[2]?.after).toBe(60);
  });
});
