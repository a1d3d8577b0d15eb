import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EmbeddedDatabase } from "../../../src/store/embedded/database.js";
import { EmbeddedStore } from "../../../src/store/embedded/query.js";
import { QueryError } from "../../../src/query/model.js";
import { StoreUnavailableError } from "../../../src/store/types.js";
import {
  CASES,
  END,
  T0,
  ingestPoints,
  loadEmbedded,
} from "../../query/cases.js";
import { expectCaseResult } from "../../query/expect-result.js";
import {
  post,
  requestOf,
  sampleCount,
  startHarness,
  type Harness,
} from "../../receiver/harness.js";

describe("EmbeddedStore", () => {
  let directory: string;
  let store: EmbeddedStore;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "td-embedded-query-"));
    const db = EmbeddedDatabase.open(directory);
    loadEmbedded(db);
    db.close();
    store = EmbeddedStore.open(directory);
  });

  afterAll(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    expectCaseResult(await store.query(c.query), c.expected);
  });

  it("gives each statistic its unit", async () => {
    const ask = (metric: string, kind: "rate" | "count" | "avg") =>
      store.query({
        metric,
        statistic: { kind },
        startMillis: T0,
        endMillis: END,
        filters: [],
        groupBy: [],
      });
    expect((await ask("td.documents.processed", "rate")).unit).toBe(
      "{document}/s",
    );
    expect((await ask("http.server.request.duration", "avg")).unit).toBe("s");
    expect((await ask("http.server.request.duration", "count")).unit).toBe(
      "{observation}",
    );
  });

  it("refuses a statistic the shape does not define, naming the ones it does", async () => {
    const query = {
      metric: "td.documents.processed",
      statistic: { kind: "avg" },
      startMillis: T0,
      endMillis: END,
      filters: [],
      groupBy: [],
    } as const;
    await expect(store.query(query)).rejects.toThrow(QueryError);
    await expect(store.query(query)).rejects.toThrow(
      /avg is not defined for the counter td\.documents\.processed; use one of increase, rate/,
    );
  });

  it("refuses a filter regex that does not compile as a query error", async () => {
    const query = {
      metric: "td.documents.processed",
      statistic: { kind: "rate" },
      startMillis: T0,
      endMillis: END,
      filters: [{ key: "td.document.type", op: "=~", value: "(" }],
      groupBy: [],
    } as const;
    await expect(store.query(query)).rejects.toThrow(QueryError);
  });

  it("lists the series of a metric", async () => {
    const series = await store.listSeries("documents", T0, END);
    expect(series).toHaveLength(3);
    expect(series[0]?.metric).toBe("td.documents.processed");
  });

  it("names the missing database when there is none", () => {
    expect(() => EmbeddedStore.open(join(directory, "nowhere"))).toThrow(
      StoreUnavailableError,
    );
  });
});

// The same cases with the fixtures sent to a running receiver instead of
// written into the database: what the receiver makes of OTLP answers alike.
describe.each(["json", "protobuf"] as const)(
  "EmbeddedStore over the fixtures received as OTLP/%s",
  (encoding) => {
    let harness: Harness;
    let store: EmbeddedStore;

    beforeAll(async () => {
      harness = await startHarness();
      const answer = await post(harness.url, requestOf(ingestPoints()), {
        encoding,
      });
      expect(answer.status).toBe(200);
      expect(answer.body).not.toHaveProperty("partialSuccess");
      // Opened as the CLI opens it, beside the receiver's connection.
      store = EmbeddedStore.open(harness.dataDir);
    });

    afterAll(async () => {
      await store.close();
      await harness.stop();
    });

    it("stores every fixture point", () => {
      expect(sampleCount(harness.db)).toBe(ingestPoints().length);
    });

    it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
      expectCaseResult(await store.query(c.query), c.expected);
    });
  },
);

describe("EmbeddedStore reads shared within one turn", () => {
  const gauge = (timeMillis: number, value: number) => ({
    type: "number" as const,
    series: {
      metric: "td.queue.length",
      kind: "gauge" as const,
      unit: "{job}",
      temporality: "unspecified" as const,
      monotonic: false,
      labels: { "td.queue.name": "render" },
    },
    timeNanos: BigInt(timeMillis) * 1_000_000n,
    startTimeNanos: 0n,
    value,
  });
  const ask = (store: EmbeddedStore, kind: "avg" | "max" | "count") =>
    store.query({
      metric: "td.queue.length",
      statistic: { kind },
      startMillis: 0,
      endMillis: 10_000,
      filters: [],
      groupBy: [],
    });

  it("reads once for queries asked together, afresh in a later turn", async () => {
    const directory = mkdtempSync(join(tmpdir(), "td-embedded-turn-"));
    const db = EmbeddedDatabase.open(directory);
    try {
      db.ingest([gauge(1000, 2), gauge(2000, 4)]);
      const store = new EmbeddedStore(db, "embedded:test");
      const read = vi.spyOn(db, "readPoints");

      const together = await Promise.all([
        ask(store, "avg"),
        ask(store, "max"),
        ask(store, "count"),
      ]);
      expect(together.map((r) => r.series[0]?.value)).toEqual([3, 4, 2]);
      expect(read).toHaveBeenCalledTimes(1);

      db.ingest([gauge(3000, 9)]);
      const later = await ask(store, "max");
      expect(later.series[0]?.value).toBe(9);
      expect(read).toHaveBeenCalledTimes(2);
    } finally {
      db.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
