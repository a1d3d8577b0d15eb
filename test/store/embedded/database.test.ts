import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../../src/store/embedded/database.js";
import type {
  IngestPoint,
  NumberSample,
  SeriesKey,
} from "../../../src/store/embedded/samples.js";
import { seriesDatabasePath } from "../../../src/store/embedded/paths.js";
import { StoreUnavailableError } from "../../../src/store/types.js";

const T0 = 1_700_000_000_000n * 1_000_000n;
const SECOND = 1_000_000_000n;

function gaugeSeries(labels: Record<string, string>): SeriesKey {
  return {
    metric: "td.queue.length",
    kind: "gauge",
    unit: "{job}",
    temporality: "unspecified",
    monotonic: false,
    labels,
  };
}

function gauge(
  labels: Record<string, string>,
  offsetSeconds: bigint,
  value: number | bigint,
): IngestPoint {
  return {
    type: "number",
    series: gaugeSeries(labels),
    timeNanos: T0 + offsetSeconds * SECOND,
    startTimeNanos: T0,
    value,
  };
}

const everything = {
  metric: "td.queue.length",
  filters: [],
  startMillis: 0,
  endMillis: Infinity,
};

describe("EmbeddedDatabase", () => {
  let dataDir: string;
  let db: EmbeddedDatabase;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "td-store-"));
    db = EmbeddedDatabase.open(dataDir);
  });

  afterEach(() => {
    db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates metrics/series.db in WAL mode", () => {
    expect(db.path).toBe(seriesDatabasePath(dataDir));
    expect(db.path).toBe(path.join(dataDir, "metrics", "series.db"));
    const reader = EmbeddedDatabase.open(dataDir, { readOnly: true });
    reader.close();
  });

  it("keeps NaN, infinities, doubles and exact int64 values", () => {
    db.ingest([
      gauge({ q: "a" }, 1n, NaN),
      gauge({ q: "a" }, 2n, Infinity),
      gauge({ q: "a" }, 3n, -Infinity),
      gauge({ q: "a" }, 4n, 1.5),
      gauge({ q: "a" }, 5n, 9007199254740993n),
    ]);

    const [read] = db.readSeries(everything);
    const samples = read!.samples as NumberSample[];
    expect(samples.map((s) => s.value)).toEqual([
      NaN,
      Infinity,
      -Infinity,
      1.5,
      9007199254740992,
    ]);
    expect(samples[4]!.exactValue).toBe(9007199254740993n);
    expect(samples[0]!.timeNanos).toBe(T0 + SECOND);
    expect(samples[0]!.timeMillis).toBe(1_700_000_001_000);
  });

  it("filters labels with =, !=, =~ and !~, regexes anchored", () => {
    db.ingest([
      gauge({ q: "alpha", host: "h1" }, 1n, 1),
      gauge({ q: "beta", host: "h1" }, 1n, 2),
      gauge({ q: "alphabet" }, 1n, 3),
    ]);
    const values = (filters: Parameters<typeof db.readSeries>[0]["filters"]) =>
      db
        .readSeries({ ...everything, filters })
        .map((s) => (s.samples[0] as NumberSample).value)
        .sort();

    expect(values([{ key: "q", op: "=", value: "alpha" }])).toEqual([1]);
    expect(values([{ key: "q", op: "!=", value: "alpha" }])).toEqual([2, 3]);
    expect(values([{ key: "q", op: "=~", value: "alpha" }])).toEqual([1]);
    expect(values([{ key: "q", op: "=~", value: "alpha.*" }])).toEqual([1, 3]);
    expect(values([{ key: "q", op: "!~", value: "a.*" }])).toEqual([2]);
    // A missing label reads as "", as in PromQL.
    expect(values([{ key: "host", op: "=", value: "" }])).toEqual([3]);
    expect(() => values([{ key: "q", op: "=~", value: "(" }])).toThrow(
      /filter q=~"\(": not a valid regular expression/,
    );
  });

  it("returns samples in [start, end] oldest first, inclusive to the millisecond", () => {
    db.ingest([gauge({}, 3n, 3), gauge({}, 1n, 1), gauge({}, 2n, 2)]);
    const t0Millis = Number(T0 / 1_000_000n);
    const [read] = db.readSeries({
      ...everything,
      startMillis: t0Millis + 2000,
      endMillis: t0Millis + 3000,
    });
    expect(read!.samples.map((s) => (s as NumberSample).value)).toEqual([2, 3]);
    expect(db.listSeries("td.queue.length", t0Millis + 4000, Infinity)).toEqual(
      [],
    );
    expect(db.listSeries("td.queue.length", 0, Infinity)).toHaveLength(1);
  });

  it("stores histograms with bounds and per-bucket counts", () => {
    db.ingest([
      {
        type: "histogram",
        series: {
          ...gaugeSeries({}),
          metric: "h",
          kind: "histogram",
          temporality: "cumulative",
        },
        timeNanos: T0,
        startTimeNanos: T0 - SECOND,
        count: 6n,
        sum: 12.5,
        bounds: [1, 5],
        bucketCounts: [1n, 2n, 3n],
        min: 0.5,
      },
    ]);
    const [read] = db.readSeries({ ...everything, metric: "h" });
    expect(read!.series).toMatchObject({
      kind: "histogram",
      temporality: "cumulative",
    });
    expect(read!.samples[0]).toMatchObject({
      count: 6,
      sum: 12.5,
      bounds: [1, 5],
      bucketCounts: [1, 2, 3],
      min: 0.5,
      startTimeNanos: T0 - SECOND,
    });
    expect(read!.samples[0]).not.toHaveProperty("max");
  });

  it("gives the query maths the same times and values in its lean read", () => {
    const histogram: IngestPoint = {
      type: "histogram",
      series: { ...gaugeSeries({}), kind: "histogram", temporality: "delta" },
      timeNanos: T0 + 1_500_000n,
      startTimeNanos: T0,
      count: 3n,
      sum: 4.5,
      bounds: [0.5, 2],
      bucketCounts: [1n, 0n, 2n],
    };
    db.ingest([
      gauge({ q: "a" }, 1n, NaN),
      gauge({ q: "a" }, 2n, 9007199254740993n),
      { ...gauge({ q: "a" }, 0n, 2.25), timeNanos: T0 + 3_999_999n },
      { ...histogram, series: { ...histogram.series, metric: "h" } },
    ]);

    for (const metric of ["td.queue.length", "h"]) {
      const full = db.readSeries({ ...everything, metric });
      const lean = db.readPoints({ ...everything, metric });
      expect(lean.map((s) => s.series)).toEqual(full.map((s) => s.series));
      full.forEach(({ samples }, i) => {
        expect(lean[i]!.points).toEqual(
          samples.map((sample) =>
            "value" in sample
              ? { timeMillis: sample.timeMillis, value: sample.value }
              : {
                  timeMillis: sample.timeMillis,
                  count: sample.count,
                  sum: sample.sum,
                  bounds: sample.bounds,
                  bucketCounts: sample.bucketCounts,
                },
          ),
        );
      });
    }
    const [numbers] = db.readPoints(everything);
    expect(numbers!.points).toEqual([
      { timeMillis: 1_700_000_000_003, value: 2.25 },
      { timeMillis: 1_700_000_001_000, value: NaN },
      { timeMillis: 1_700_000_002_000, value: 9007199254740992 },
    ]);
  });

  it("replaces a point sent twice instead of doubling it", () => {
    db.ingest([gauge({}, 1n, 1)]);
    db.ingest([gauge({}, 1n, 1)]);
    expect(db.readSeries(everything)[0]!.samples).toHaveLength(1);
  });

  it("deletes samples older than a cutoff and the series left empty", () => {
    db.ingest([
      gauge({ q: "old" }, 1n, 1),
      gauge({ q: "new" }, 10n, 2),
      gauge({ q: "new" }, 1n, 3),
    ]);
    const cutoff = Number(T0 / 1_000_000n) + 5000;
    expect(db.deleteOlderThan(cutoff)).toEqual({ samples: 2, series: 1 });
    expect(db.metricNames()).toEqual(["td.queue.length"]);
    const read = db.readSeries(everything);
    expect(read.map((s) => s.series.labels)).toEqual([{ q: "new" }]);
  });

  it("names the file when a read-only open finds no database", () => {
    const empty = mkdtempSync(path.join(tmpdir(), "td-empty-"));
    try {
      expect(() => EmbeddedDatabase.open(empty, { readOnly: true })).toThrow(
        StoreUnavailableError,
      );
      expect(() => EmbeddedDatabase.open(empty, { readOnly: true })).toThrow(
        /no series database at .*series\.db/,
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});
