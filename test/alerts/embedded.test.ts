import { describe, expect, it } from "vitest";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { replay } from "../../src/alerts/replay.js";
import { parseRuleFile } from "../../src/alerts/rule.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import type { IngestPoint } from "../../src/store/embedded/samples.js";
import { recordingNotifiers, tempDir, testClock } from "./helpers/fixtures.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

// The series of the promtool agreement test (export.test.ts), one value a minute.
const SERIES: Record<string, number[]> = {
  a: [
    0.5, 0.95, 0.95, 0.95, 0.95, 0.8, 0.95, 0.6, 0.95, 0.6, 0.6, 0.6, 0.6, 0.6,
  ],
  b: [
    0.95, 0.95, 0.5, 0.95, 0.85, 0.75, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95, 0.5,
    0.5,
  ],
};

const RULES = `rules:
  - id: Hold
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    for: 2m
  - id: DiskFullSoon
    metric: disk
    statistic: forecast
    horizon: 24h
    window: 1h
    group_by: [system.filesystem.mountpoint]
    condition: ">="
    threshold: 1
`;

async function embeddedStore(): Promise<{ store: EmbeddedStore; dir: string }> {
  const dir = await tempDir();
  const db = EmbeddedDatabase.open(dir);
  const points: IngestPoint[] = [];
  const gauge = (
    metric: string,
    unit: string,
    labels: Record<string, string>,
    values: number[],
  ) =>
    values.forEach((value, i) =>
      points.push({
        type: "number",
        series: {
          metric,
          kind: "gauge",
          unit,
          temporality: "unspecified",
          monotonic: false,
          labels,
        },
        timeNanos: BigInt(T0 + i * MINUTE) * 1_000_000n,
        startTimeNanos: BigInt(T0) * 1_000_000n,
        value,
      }),
    );
  for (const [host, values] of Object.entries(SERIES)) {
    gauge(
      "system.cpu.utilization",
      "1",
      { "host.name": host, "system.cpu.state": "user" },
      values,
    );
  }
  // /data grows 2.5 points an hour from 0.5: full in 20 hours. /boot stays.
  const hour = Array.from({ length: 61 }, (_, i) => i);
  gauge(
    "system.filesystem.utilization",
    "1",
    { "system.filesystem.mountpoint": "/data" },
    hour.map((i) => 0.5 + (0.025 * i) / 60),
  );
  gauge(
    "system.filesystem.utilization",
    "1",
    { "system.filesystem.mountpoint": "/boot" },
    hour.map(() => 0.4),
  );
  db.ingest(points);
  db.close();
  return { store: EmbeddedStore.open(dir), dir };
}

describe("the evaluator over the embedded store", () => {
  it("fires at the steps promtool agrees on, and forecasts a filling disk", async () => {
    const { store, dir } = await embeddedStore();
    try {
      const clock = testClock(T0);
      const rules = parseRuleFile(RULES, "embedded.yaml");
      const evaluator = new Evaluator({
        store,
        rules,
        alertsDir: `${dir}/alerts`,
        clock: clock.now,
        notifiers: recordingNotifiers().notifiers,
        changeContext: false,
      });
      const alerts = new AlertStore(`${dir}/alerts`);
      const firing: string[] = [];
      for (let minute = 0; minute < 14; minute += 1) {
        clock.set(T0 + minute * MINUTE);
        const report = await evaluator.evaluateOnce();
        expect(report.rules.map((r) => r.error)).toEqual([
          undefined,
          undefined,
        ]);
        const now = await alerts.list({ state: "firing" });
        firing.push(
          ...now
            .filter((a) => a.rule === "Hold")
            .map((a) => `${minute}m ${a.labels["host.name"]}`),
        );
      }
      expect(firing).toEqual(["3m a", "4m a", "10m b", "11m b"]);

      clock.set(T0 + 60 * MINUTE);
      await evaluator.evaluateOnce();
      const [disk, ...others] = await alerts.list({ state: "firing" });
      expect(others).toEqual([]);
      expect(disk?.labels).toEqual({
        alertname: "DiskFullSoon",
        "system.filesystem.mountpoint": "/data",
      });
      // 0.525 now, plus 24 hours at 0.025 an hour.
      expect(disk?.value).toBeCloseTo(0.525 + 0.6, 6);
    } finally {
      await store.close();
    }
  });

  it("replays the history with the same firings and resolutions", async () => {
    const { store } = await embeddedStore();
    try {
      const rules = parseRuleFile(RULES, "embedded.yaml");
      const progress: string[] = [];
      const result = await replay({
        store,
        rules: { ...rules, rules: rules.rules.filter((r) => r.id === "Hold") },
        sinceMillis: T0,
        untilMillis: T0 + 13 * MINUTE,
        stepSeconds: 60,
        onProgress: (done, total) => progress.push(`${done}/${total}`),
      });
      expect(result.errors).toEqual([]);
      expect(progress).toEqual(["1/1"]);
      expect(
        result.episodes.map((e) => [
          e.labels["host.name"],
          (e.pendingAtMillis - T0) / MINUTE,
          ((e.firedAtMillis ?? 0) - T0) / MINUTE,
          ((e.resolvedAtMillis ?? 0) - T0) / MINUTE,
          e.peakValue,
        ]),
      ).toEqual([
        ["a", 1, 3, 5, 0.95],
        ["b", 8, 10, 12, 0.95],
      ]);
    } finally {
      await store.close();
    }
  });
});
