/**
 * The typed app meters on a real MeterProvider with the catalog's views,
 * read back through the SDK's in-memory exporter.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { ActiveUsers } from "../../src/metrics/active-users.js";
import { catalog } from "../../src/metrics/catalog.js";
import { createAppMetrics } from "../../src/metrics/meters.js";
import { buildViews } from "../../src/metrics/views.js";

let provider: MeterProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
});

async function collect(
  build: (p: MeterProvider) => void,
): Promise<Map<string, MetricData>> {
  const exporter = new InMemoryMetricExporter(
    AggregationTemporality.CUMULATIVE,
  );
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 60_000,
  });
  provider = new MeterProvider({ readers: [reader], views: buildViews() });
  build(provider);
  await reader.forceFlush();
  const metrics = exporter
    .getMetrics()
    .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  return new Map(metrics.map((m) => [m.descriptor.name, m]));
}

function points(
  metric: MetricData | undefined,
): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  return ((metric?.dataPoints ?? []) as Array<DataPoint<unknown>>).map((p) => ({
    attributes: p.attributes,
    value: p.value,
  }));
}

describe("app meters", () => {
  it("record each catalog app metric with its unit and attributes", async () => {
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider, features: ["export-pdf"] });
      m.documentProcessed({
        type: "invoice",
        outcome: "success",
        durationSeconds: 0.3,
        sizeBytes: 5000,
      });
      m.documentProcessed({
        type: "invoice",
        outcome: "failure",
        durationSeconds: 2,
      });
      m.queueLength("render", 7);
      m.cacheLookup("templates", true);
      m.error("TimeoutError");
      m.error(new RangeError("x"));
      m.userActive("alice");
      m.newUser();
      m.sessionStarted();
      m.sessionStarted();
      m.sessionEnded();
      m.featureUsed("export-pdf");
      m.satisfaction(5);
    });
    for (const entry of catalog.filter((c) => c.source === "app")) {
      expect(exported.get(entry.name)?.descriptor.unit, entry.name).toBe(
        entry.unit,
      );
    }
    expect(points(exported.get("td.documents.processed"))).toEqual([
      {
        attributes: {
          "td.document.type": "invoice",
          "td.document.outcome": "success",
        },
        value: 1,
      },
      {
        attributes: {
          "td.document.type": "invoice",
          "td.document.outcome": "failure",
        },
        value: 1,
      },
    ]);
    expect(
      points(exported.get("td.errors")).map((p) => p.attributes["error.type"]),
    ).toEqual(["TimeoutError", "RangeError"]);
    expect(points(exported.get("td.sessions.active"))).toEqual([
      { attributes: {}, value: 1 },
    ]);
    expect(points(exported.get("td.queue.length"))).toEqual([
      { attributes: { "td.queue.name": "render" }, value: 7 },
    ]);
    const size = points(exported.get("td.document.size"))[0]?.value as {
      buckets: { boundaries: number[] };
    };
    expect(size.buckets.boundaries).toEqual(
      catalog.find((c) => c.name === "td.document.size")?.buckets,
    );
  });

  it("counts features off the allow-list as other", async () => {
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider, features: ["export-pdf"] });
      m.featureUsed("export-pdf");
      m.featureUsed("user-42-dashboard");
      m.featureUsed("beta");
      m.allowFeatures(["beta"]);
      m.featureUsed("beta");
    });
    expect(points(exported.get("td.feature.usage"))).toEqual([
      { attributes: { "td.feature.name": "export-pdf" }, value: 1 },
      { attributes: { "td.feature.name": "other" }, value: 2 },
      { attributes: { "td.feature.name": "beta" }, value: 1 },
    ]);
  });

  it("drops satisfaction scores outside 1..5 and bad sizes instead of recording them", async () => {
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider });
      for (const score of [0, 6, Number.NaN, 3, 4.5]) m.satisfaction(score);
      m.queueLength("q", -1);
    });
    const satisfaction = points(exported.get("td.user.satisfaction"))[0]
      ?.value as { count: number; sum: number };
    expect(satisfaction.count).toBe(2);
    expect(satisfaction.sum).toBe(7.5);
    expect(exported.get("td.queue.length")?.dataPoints ?? []).toHaveLength(0);
  });

  it("reports distinct active users per window and never an id", async () => {
    let now = Date.UTC(2025, 0, 1, 12, 0);
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider, now: () => now });
      m.userActive("alice"); // 12:00
      now += 118 * 60_000;
      m.userActive("bob"); // 13:58
      now += 52 * 60_000;
      m.userActive("carol"); // 14:50
      m.userActive("carol");
      now += 10 * 60_000; // read at 15:00
    });
    const byWindow = Object.fromEntries(
      points(exported.get("td.users.active")).map((p) => [
        p.attributes["td.users.window"],
        p.value,
      ]),
    );
    expect(byWindow).toEqual({ "5m": 0, "1h": 1, "24h": 3 });
    expect(JSON.stringify(points(exported.get("td.users.active")))).not.toMatch(
      /alice|bob|carol/,
    );
  });
});

describe("ActiveUsers", () => {
  it("counts a handful of users exactly, 300 within 2 % and 20 000 within 3 %", () => {
    const users = new ActiveUsers(() => 0);
    for (let i = 0; i < 10; i++) users.record(`user-${i}`);
    expect(users.count("5m")).toBe(10);
    for (let i = 10; i < 300; i++) users.record(`user-${i}`);
    expect(Math.abs(users.count("5m") - 300)).toBeLessThanOrEqual(6);
    for (let i = 300; i < 20_000; i++) users.record(`user-${i}`);
    expect(Math.abs(users.count("1h") - 20_000) / 20_000).toBeLessThan(0.03);
  });

  it("forgets users once they leave every window, keeping memory bounded", () => {
    let now = 0;
    const users = new ActiveUsers(() => now);
    for (let minute = 0; minute < 3 * 24 * 60; minute += 7) {
      now = minute * 60_000;
      users.record(`user-${minute}`);
    }
    const internals = users as unknown as {
      minutes: Map<number, unknown>;
      hours: Map<number, unknown>;
    };
    expect(internals.minutes.size).toBeLessThanOrEqual(61);
    expect(internals.hours.size).toBeLessThanOrEqual(25);
    // Over the last 24 h (and up to one hour more), one user every 7
    // minutes, give or take the sketch's 3 %.
    const count = users.count("24h");
    expect(count).toBeGreaterThanOrEqual(0.97 * Math.floor((24 * 60) / 7));
    expect(count).toBeLessThanOrEqual(1.03 * Math.ceil((25 * 60) / 7));
  });
});
