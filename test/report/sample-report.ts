/**
 * A report over the deterministic data set, built once per test file through
 * the receiver and the embedded store, with an alert history, for the
 * renderer tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OtlpReceiver } from "../../src/receiver/server.js";
import { buildReport } from "../../src/report/build.js";
import type { AlertRecord } from "../../src/report/sections/alerts.js";
import type { Report } from "../../src/report/types.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import {
  END,
  HOSTILE_ROUTE,
  HOUR,
  SERIES,
  T0,
  otlpRequests,
  type Series,
} from "./dataset.js";

/** Alerts over the window: one resolved after 30 min, one still firing. */
export const ALERTS: readonly AlertRecord[] = [
  {
    rule: "HighErrorRate",
    severity: "critical",
    labels: { "http.route": HOSTILE_ROUTE },
    firedAtMillis: T0 + HOUR,
    resolvedAtMillis: T0 + 1.5 * HOUR,
  },
  {
    rule: "DiskFilling",
    severity: "warning",
    labels: { "system.filesystem.mountpoint": "/data" },
    firedAtMillis: T0 + 5 * HOUR,
  },
];

/** Loads the data set (or some of its series) into a fresh data directory; returns it. */
export async function loadDataSet(
  series: readonly Series[] = SERIES,
): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "td-report-"));
  const db = EmbeddedDatabase.open(dataDir);
  const receiver = new OtlpReceiver(db, { port: 0 });
  try {
    const { url } = await receiver.listen();
    for (const body of otlpRequests(series)) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (response.status !== 200) {
        throw new Error(
          `receiver answered ${response.status}: ${await response.text()}`,
        );
      }
    }
  } finally {
    await receiver.close();
    db.close();
  }
  return dataDir;
}

/** The report over the data set, with the alert history. */
export async function sampleReport(): Promise<Report> {
  const dataDir = await loadDataSet();
  const store = EmbeddedStore.open(dataDir);
  try {
    return await buildReport(store, {
      startMillis: T0,
      endMillis: END,
      stepSeconds: 900,
      cost: { costPerInstanceHour: 0.12 },
      alerts: ALERTS,
      nowMillis: END,
    });
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
