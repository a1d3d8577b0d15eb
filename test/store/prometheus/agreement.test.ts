/**
 * The Prometheus store against a real Prometheus holding the same data as the
 * embedded store (backfilled with promtool from the same fixtures): every
 * case gives the hand-computed answer through both, and so they agree.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../../src/store/embedded/query.js";
import { PrometheusStore } from "../../../src/store/prometheus/store.js";
import { bucketQuantile } from "../../../src/query/histogram.js";
import { QueryError } from "../../../src/query/model.js";
import {
  CASES,
  END,
  T0,
  loadEmbedded,
  openMetrics,
} from "../../query/cases.js";
import { expectCaseResult } from "../../query/expect-result.js";
import { expectClose } from "../../query/close.js";
import {
  startPrometheus,
  type PrometheusServer,
} from "../../helpers/prometheus.js";

describe("PrometheusStore against a real Prometheus", () => {
  let prometheus: PrometheusServer;
  let store: PrometheusStore;
  let embedded: EmbeddedStore;
  let directory: string;

  beforeAll(async () => {
    prometheus = await startPrometheus({ openMetrics: openMetrics() });
    store = new PrometheusStore({ url: prometheus.url });
    directory = mkdtempSync(join(tmpdir(), "td-agreement-"));
    const db = EmbeddedDatabase.open(directory);
    loadEmbedded(db);
    db.close();
    embedded = EmbeddedStore.open(directory);
  });

  afterAll(async () => {
    await embedded?.close();
    await prometheus?.stop();
    if (directory !== undefined)
      rmSync(directory, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const [fromPrometheus, fromEmbedded] = await Promise.all([
      store.query(c.query),
      embedded.query(c.query),
    ]);
    expectCaseResult(fromPrometheus, c.expected);
    expectCaseResult(fromEmbedded, c.expected);
    expect(fromPrometheus.unit).toBe(fromEmbedded.unit);
  });

  it("interpolates buckets as histogram_quantile does", async () => {
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.95, 1, -0.1, 1.1]) {
      const expr = `histogram_quantile(${q}, sum by (le) (increase(http_server_request_duration_seconds_bucket{http_route="/docs"}[30m])))`;
      const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}&time=${END / 1000}`;
      const body = (await (await fetch(url)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      const served = body.data.result[0]!.value[1];
      const buckets = await store.query({
        metric: "http.server.request.duration",
        statistic: { kind: "quantile", q },
        startMillis: T0,
        endMillis: END,
        filters: [{ key: "http.route", op: "=", value: "/docs" }],
        groupBy: [],
      });
      const local = bucketQuantile(q, [
        ...[4, 420, 1484, 2651, 3714, 5097, 6657].map((count, i) => ({
          upperBound: [0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048][
            i
          ]!,
          count,
        })),
        { upperBound: Infinity, count: 7364 },
      ]);
      const parsed =
        served === "+Inf"
          ? Infinity
          : served === "-Inf"
            ? -Infinity
            : Number(served);
      expectClose(local, parsed);
      expectClose(buckets.series[0]!.value, parsed);
    }
  });

  it("refuses a distribution of a metric that is no histogram, in both stores", async () => {
    const query = {
      metric: "td.documents.processed",
      statistic: { kind: "distribution" },
      startMillis: T0,
      endMillis: END,
      filters: [],
      groupBy: [],
    } as const;
    for (const from of [store, embedded]) {
      await expect(from.query(query)).rejects.toThrow(QueryError);
      await expect(from.query(query)).rejects.toThrow(
        /distribution is defined only for histograms .*; td\.documents\.processed is a counter/,
      );
    }
  });

  it("lists the series of a metric", async () => {
    const series = await store.listSeries("api_latency", T0, END);
    expect(series.map((s) => s.labels.http_route).sort()).toEqual([
      "/docs",
      "/health",
    ]);
  });
});
