/**
 * MonitoringManager over the embedded store and a real Prometheus holding
 * the same recordings: the same status and stats from both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonitoringManager, type Status } from "../src/manager.js";
import {
  emptyState,
  writeState,
  type AlertRecord,
} from "../src/alerts/state-file.js";
import { EmbeddedDatabase } from "../src/store/embedded/database.js";
import { UnknownMetricError } from "../src/query/resolve.js";
import {
  END,
  FIXTURES,
  T0,
  loadEmbedded,
  openMetrics,
  type Fixture,
} from "./query/cases.js";
import { EXPECTED_STATUS, STATUS_FIXTURES } from "./query/status-fixtures.js";
import { expectClose } from "./query/close.js";
import {
  startPrometheus,
  type PrometheusServer,
} from "./helpers/prometheus.js";

let statusDir: string;
let statsDir: string;
let usersDir: string;
let statusPrometheus: PrometheusServer;
let statsPrometheus: PrometheusServer;
let usersPrometheus: PrometheusServer;

const userGauge = (
  metric: string,
  service: string,
  labels: Record<string, string>,
  last: number,
): Fixture => ({
  kind: "gauge",
  metric,
  labels: { "service.name": service, ...labels },
  temporality: "unspecified",
  values: [0, 0, 0, 0, 0, last, last],
});

/** Two apps, 7 and 54 distinct users: a user reported "30.5 user" (the mean). */
const TWO_APPS: readonly Fixture[] = [
  ...[
    ["24h", 300, 900],
    ["5m", 7, 54],
    ["1h", 40, 120],
  ].flatMap(([window, a, b]) => [
    userGauge(
      "td.users.active",
      "app-a",
      { "td.users.window": `${window}` },
      Number(a),
    ),
    userGauge(
      "td.users.active",
      "app-b",
      { "td.users.window": `${window}` },
      Number(b),
    ),
  ]),
  userGauge("td.sessions.active", "app-a", {}, 3),
  userGauge("td.sessions.active", "app-b", {}, 5),
];

function embeddedWith(fixtures: typeof FIXTURES): string {
  const directory = mkdtempSync(join(tmpdir(), "td-manager-"));
  const db = EmbeddedDatabase.open(directory);
  loadEmbedded(db, fixtures);
  db.close();
  return directory;
}

beforeAll(async () => {
  statusDir = embeddedWith(STATUS_FIXTURES);
  statsDir = embeddedWith(FIXTURES);
  usersDir = embeddedWith(TWO_APPS);
  [statusPrometheus, statsPrometheus, usersPrometheus] = await Promise.all([
    startPrometheus({ openMetrics: openMetrics(STATUS_FIXTURES) }),
    startPrometheus({ openMetrics: openMetrics(FIXTURES) }),
    startPrometheus({ openMetrics: openMetrics(TWO_APPS) }),
  ]);
});

afterAll(async () => {
  await Promise.all([
    statusPrometheus?.stop(),
    statsPrometheus?.stop(),
    usersPrometheus?.stop(),
  ]);
  for (const directory of [statusDir, statsDir, usersDir])
    rmSync(directory, { recursive: true, force: true });
});

/** Compares numbers within 1e-9 relative, everything else exactly. */
function expectSame(actual: unknown, expected: unknown, path = "status"): void {
  if (typeof expected === "number")
    return expectClose(actual as number, expected);
  if (expected === null || typeof expected !== "object")
    return void expect(actual, path).toEqual(expected);
  expect(Object.keys(actual as object).sort(), path).toEqual(
    Object.keys(expected).sort(),
  );
  for (const [key, value] of Object.entries(expected)) {
    expectSame(
      (actual as Record<string, unknown>)[key],
      value,
      `${path}.${key}`,
    );
  }
}

describe.each([
  [
    "embedded",
    () => `embedded:${statusDir}`,
    () => `embedded:${statsDir}`,
    () => `embedded:${usersDir}`,
  ],
  [
    "prometheus",
    () => `prometheus:${statusPrometheus.url}`,
    () => `prometheus:${statsPrometheus.url}`,
    () => `prometheus:${usersPrometheus.url}`,
  ],
])(
  "MonitoringManager over the %s store",
  (_, statusStore, statsStore, usersStore) => {
    it("adds active users and sessions across services, windows shortest first", async () => {
      const manager = new MonitoringManager({
        store: usersStore(),
        alertsDir: join(tmpdir(), "td-manager-no-alerts"),
        clock: () => END,
      });
      try {
        const { users } = await manager.collectMetrics();
        expect(users).toEqual({
          active: { "5m": 61, "1h": 160, "24h": 1200 },
          sessions: 8,
        });
        expect(Object.keys(users.active)).toEqual(["5m", "1h", "24h"]);
      } finally {
        await manager.close();
      }
    });

    it("collects the status of the last 5 minutes", async () => {
      const alertsDir = join(tmpdir(), "td-manager-no-alerts");
      const manager = new MonitoringManager({
        store: statusStore(),
        alertsDir,
        clock: () => END,
      });
      try {
        expect(() => manager.getStatus()).toThrow(/collectMetrics\(\) first/);
        await manager.collectMetrics();
        const { timeMillis, store, ...status }: Status = manager.getStatus();
        expect(timeMillis).toBe(END);
        expect(store).toMatch(/^(embedded|prometheus):/);
        expectSame(status, EXPECTED_STATUS);
      } finally {
        await manager.close();
      }
    });

    it("gives a metric's stats, each with its unit", async () => {
      const manager = new MonitoringManager({ store: statsStore() });
      try {
        const stats = await manager.getMetricStats("api_latency", {
          start: new Date(T0),
          end: END,
          filters: [{ key: "http.route", op: "=", value: "/docs" }],
        });
        expect(stats).toMatchObject({
          metric: "http.server.request.duration",
          unit: "s",
          last: null,
          groups: [],
        });
        expectClose(stats.p95 ?? NaN, 0.2048);
        expectClose(stats.avg ?? NaN, 0.05);
        expectClose(stats.min ?? NaN, 0);
        expectClose(stats.count ?? NaN, 7364);
        expect(stats.units.p99).toBe("s");
      } finally {
        await manager.close();
      }
    });
  },
);

describe("MonitoringManager status at a past time", () => {
  const HOUR = 3_600_000;
  const alert = (
    id: string,
    severity: AlertRecord["severity"],
    firedAtMillis: number,
    resolvedAtMillis?: number,
  ): AlertRecord => ({
    id,
    rule: id,
    seriesKey: id,
    labels: { alertname: id },
    severity,
    state: resolvedAtMillis === undefined ? "firing" : "resolved",
    message: id,
    value: 1,
    threshold: 0,
    peakValue: 1,
    startedAtMillis: firedAtMillis - 60_000,
    firedAtMillis,
    ...(resolvedAtMillis === undefined ? {} : { resolvedAtMillis }),
    receivers: [],
    lastEvaluationMillis: resolvedAtMillis ?? END,
    notifications: [],
    delivered: {},
  });

  it("counts the alerts firing then, not those that fired later", async () => {
    const alertsDir = mkdtempSync(join(tmpdir(), "td-manager-alerts-"));
    try {
      await writeState(alertsDir, {
        ...emptyState(),
        alerts: Object.fromEntries(
          [
            alert("still-firing", "critical", END - 2 * HOUR),
            // `status --at 1h` counted this one, fired 10 minutes ago.
            alert("fired-later", "warning", END - 10 * 60_000),
            alert("resolved-since", "warning", END - 3 * HOUR, END - HOUR / 2),
            alert("resolved-before", "info", END - 3 * HOUR, END - 2 * HOUR),
          ].map((a) => [a.id, a]),
        ),
      });
      const manager = new MonitoringManager({
        store: `embedded:${statusDir}`,
        alertsDir,
        clock: () => END,
      });
      try {
        const then = await manager.collectMetrics({ atMillis: END - HOUR });
        expect(then.alerts).toEqual({ info: 0, warning: 1, critical: 1 });
        const now = await manager.collectMetrics();
        expect(now.alerts).toEqual({ info: 0, warning: 1, critical: 1 });
        const later = await manager.collectMetrics({
          atMillis: END - 5 * 60_000,
        });
        expect(later.alerts).toEqual({ info: 0, warning: 1, critical: 1 });
        const early = await manager.collectMetrics({
          atMillis: END - 2.5 * HOUR,
        });
        expect(early.alerts).toEqual({ info: 1, warning: 1, critical: 0 });
      } finally {
        await manager.close();
      }
    } finally {
      rmSync(alertsDir, { recursive: true, force: true });
    }
  });

  it("reads DIR/alerts for embedded:DIR, not data/monitoring/alerts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "td-manager-embedded-"));
    try {
      EmbeddedDatabase.open(dir).close();
      await writeState(join(dir, "alerts"), {
        ...emptyState(),
        alerts: { A: alert("A", "critical", END - 60_000) },
      });
      const manager = new MonitoringManager({
        store: `embedded:${dir}`,
        env: { TD_MONITORING_DATA_DIR: join(dir, "elsewhere") },
        clock: () => END,
      });
      try {
        expect((await manager.getActiveAlerts()).map((a) => a.id)).toEqual([
          "A",
        ]);
        const { alerts } = await manager.collectMetrics({ atMillis: END });
        expect(alerts).toEqual({ info: 0, warning: 0, critical: 1 });
      } finally {
        await manager.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("MonitoringManager on bad input", () => {
  it("names the closest metrics to an unknown one", async () => {
    const manager = new MonitoringManager({ store: `embedded:${statsDir}` });
    await expect(
      manager.getMetricStats("memroy", { start: T0, end: END }),
    ).rejects.toThrow(UnknownMetricError);
    await expect(
      manager.getMetricStats("memroy", { start: T0, end: END }),
    ).rejects.toThrow(/did you mean memory/);
    await manager.close();
  });

  it("opens nothing until asked", () => {
    expect(
      () => new MonitoringManager({ store: "embedded:/nonexistent" }),
    ).not.toThrow();
  });
});
