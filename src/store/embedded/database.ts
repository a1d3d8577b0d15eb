/**
 * The embedded store's SQLite database (`<data dir>/metrics/series.db`): the
 * collector writes points into it, the CLI and the query maths read raw
 * series back. WAL mode and a busy timeout let one writer and any number of
 * readers work at once.
 */
import { mkdirSync, existsSync } from "node:fs";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { HistogramPoint, NumberPoint } from "../../query/series.js";
import { StoreUnavailableError } from "../types.js";
import { compileFilters } from "./filters.js";
import { metricsDir, seriesDatabasePath } from "./paths.js";
import {
  decodeBounds,
  decodeCounts,
  preparePointReaders,
  type PointReaders,
} from "./points.js";
import { SCHEMA_SQL, SCHEMA_VERSION } from "./schema.js";
import type {
  HistogramPointInput,
  HistogramSample,
  IngestPoint,
  NumberPointInput,
  NumberSample,
  PointKind,
  SeriesKey,
  SeriesPoints,
  SeriesSamples,
  SeriesSelector,
  StoredSeries,
  Temporality,
} from "./samples.js";

/** How to open the database. */
export interface EmbeddedDatabaseOptions {
  /** Open for reading only; the database must exist. Default false. */
  readonly readOnly?: boolean;
  /** How long a statement waits for another connection's lock. Default 5000. */
  readonly busyTimeoutMillis?: number;
}

/** What one `ingest` call wrote. */
export interface IngestResult {
  readonly samples: number;
  readonly series: number;
}

/** What one `deleteOlderThan` call removed. */
export interface DeleteResult {
  readonly samples: number;
  readonly series: number;
}

const NANOS_PER_MILLI = 1_000_000n;
const MAX_NANOS = 2n ** 63n - 1n;

interface SeriesRow {
  id: number | bigint;
  metric: string;
  kind: string;
  unit: string;
  temporality: string;
  monotonic: number | bigint;
  labels: string;
}

interface NumberRow {
  time_ns: bigint;
  start_time_ns: bigint;
  value: number | null;
  int_value: bigint | null;
}

interface HistogramRow {
  time_ns: bigint;
  start_time_ns: bigint;
  count: bigint;
  sum: number | null;
  bounds: Uint8Array;
  bucket_counts: Uint8Array;
  min: number | null;
  max: number | null;
}

/** The series database of one data directory. */
export class EmbeddedDatabase {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly pointReaders: PointReaders;
  private closed = false;

  private constructor(
    /** The SQLite file, for messages. */
    readonly path: string,
    private readonly db: DatabaseSync,
  ) {
    this.statements = prepareStatements(db);
    this.pointReaders = preparePointReaders(db);
  }

  /**
   * Opens (creating unless read-only) `<dataDir>/metrics/series.db`.
   * Throws a StoreUnavailableError naming the file when it cannot.
   */
  static open(
    dataDir: string,
    options: EmbeddedDatabaseOptions = {},
  ): EmbeddedDatabase {
    const { readOnly = false, busyTimeoutMillis = 5000 } = options;
    const file = seriesDatabasePath(dataDir);
    if (readOnly && !existsSync(file)) {
      throw new StoreUnavailableError(
        `no series database at ${file}; start \`td-monitor collector\` with this data directory first`,
        `embedded:${dataDir}`,
      );
    }

    try {
      if (!readOnly) mkdirSync(metricsDir(dataDir), { recursive: true });
      const db = new DatabaseSync(file, { readOnly });
      configure(db, file, readOnly, busyTimeoutMillis);
      return new EmbeddedDatabase(file, db);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(
        `cannot open the series database ${file}: ${(error as Error).message}`,
        `embedded:${dataDir}`,
        { cause: error },
      );
    }
  }

  /**
   * Writes points in one transaction: all of them or, on error, none. A point
   * at a time its series already has replaces the old one, so a client's
   * retry of a request that did commit does not double anything.
   */
  ingest(points: readonly IngestPoint[]): IngestResult {
    if (points.length === 0) return { samples: 0, series: 0 };

    return this.transaction(() => {
      const ids = new Map<string, number | bigint>();
      for (const point of points) {
        const id = this.seriesId(point.series, ids);
        if (point.type === "number") this.insertNumber(id, point);
        else this.insertHistogram(id, point);
      }
      return { samples: points.length, series: ids.size };
    });
  }

  /**
   * The series of a metric whose merged labels pass every filter (`=`, `!=`,
   * `=~`, `!~`, regexes anchored as in PromQL), each with its samples in
   * [startMillis, endMillis], oldest first, exactly as they were stored.
   * Series without samples in the range are left out.
   */
  readSeries(selector: SeriesSelector): SeriesSamples[] {
    return this.eachSeries<NumberSample | HistogramSample>(
      selector,
      (series, from, to) =>
        isHistogram(series.kind)
          ? this.histogramSamples(series.id, from, to)
          : this.numberSamples(series.id, from, to),
    ).map(([series, samples]) => ({ series, samples }));
  }

  /**
   * The series `readSeries` selects with only what the query maths reads:
   * times in milliseconds and values as doubles (see points.ts).
   */
  readPoints(selector: SeriesSelector): SeriesPoints[] {
    const { numbers, histograms } = this.pointReaders;
    return this.eachSeries<NumberPoint | HistogramPoint>(
      selector,
      (series, from, to) =>
        isHistogram(series.kind)
          ? histograms(series.id, from, to)
          : numbers(series.id, from, to),
    ).map(([series, points]) => ({ series, points }));
  }

  /** The series of a metric with at least one sample in [startMillis, endMillis]. */
  listSeries(
    metric: string,
    startMillis: number,
    endMillis: number,
  ): StoredSeries[] {
    const from = millisToNanos(startMillis, false);
    const to = millisToNanos(endMillis, true);
    const rows = this.statements.seriesInRange.all(
      metric,
      from,
      to,
      from,
      to,
    ) as unknown as SeriesRow[];
    return rows.map(toStoredSeries);
  }

  /** Every metric name with at least one series, sorted. */
  metricNames(): string[] {
    const rows = this.statements.metricNames.all() as Array<{ metric: string }>;
    return rows.map((row) => row.metric);
  }

  /**
   * Deletes every sample taken before `cutoffMillis` (epoch milliseconds) and
   * the series left without samples, in one transaction.
   */
  deleteOlderThan(cutoffMillis: number): DeleteResult {
    const cutoff = millisToNanos(cutoffMillis, false);
    return this.transaction(() => {
      const { deleteNumbers, deleteHistograms, deleteEmptySeries } =
        this.statements;
      const samples =
        Number(deleteNumbers.run(cutoff).changes) +
        Number(deleteHistograms.run(cutoff).changes);
      const series = Number(deleteEmptySeries.run().changes);
      return { samples, series };
    });
  }

  /** Closes the database; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private transaction<T>(work: () => T): T {
    // IMMEDIATE takes the write lock up front, so a concurrent writer waits
    // for the busy timeout instead of failing half way through.
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  private seriesId(
    series: SeriesKey,
    ids: Map<string, number | bigint>,
  ): number | bigint {
    const labels = canonicalLabels(series.labels);
    const key = JSON.stringify([
      series.metric,
      series.kind,
      series.unit,
      series.temporality,
      series.monotonic,
      labels,
    ]);
    const known = ids.get(key);
    if (known !== undefined) return known;

    const row = this.statements.upsertSeries.get(
      series.metric,
      series.kind,
      series.unit,
      series.temporality,
      series.monotonic ? 1 : 0,
      labels,
    ) as { id: number | bigint };
    ids.set(key, row.id);
    return row.id;
  }

  private insertNumber(id: number | bigint, point: NumberPointInput): void {
    const isInt = typeof point.value === "bigint";
    const value = isInt || Number.isNaN(point.value) ? null : point.value;
    this.statements.insertNumber.run(
      id,
      point.timeNanos,
      point.startTimeNanos,
      value,
      isInt ? point.value : null,
    );
  }

  private insertHistogram(
    id: number | bigint,
    point: HistogramPointInput,
  ): void {
    const bounds = new Float64Array(point.bounds);
    const counts = BigUint64Array.from(point.bucketCounts);
    this.statements.insertHistogram.run(
      id,
      point.timeNanos,
      point.startTimeNanos,
      point.count,
      Number.isNaN(point.sum) ? null : point.sum,
      new Uint8Array(bounds.buffer),
      new Uint8Array(counts.buffer),
      point.min ?? null,
      point.max ?? null,
    );
  }

  /** Each selected series with what `read` gives for it, when not empty. */
  private eachSeries<T>(
    selector: SeriesSelector,
    read: (series: StoredSeries, from: bigint, to: bigint) => T[],
  ): Array<[StoredSeries, T[]]> {
    const matches = compileFilters(selector.filters);
    const from = millisToNanos(selector.startMillis, false);
    const to = millisToNanos(selector.endMillis, true);
    const result: Array<[StoredSeries, T[]]> = [];
    for (const series of this.seriesOf(selector.metric)) {
      if (!matches(series.labels)) continue;
      const samples = read(series, from, to);
      if (samples.length > 0) result.push([series, samples]);
    }
    return result;
  }

  private seriesOf(metric: string): StoredSeries[] {
    const rows = this.statements.seriesOfMetric.all(
      metric,
    ) as unknown as SeriesRow[];
    return rows.map(toStoredSeries);
  }

  private numberSamples(id: number, from: bigint, to: bigint): NumberSample[] {
    const rows = this.statements.numberSamples.all(
      id,
      from,
      to,
    ) as unknown as NumberRow[];
    return rows.map(toNumberSample);
  }

  private histogramSamples(
    id: number,
    from: bigint,
    to: bigint,
  ): HistogramSample[] {
    const rows = this.statements.histogramSamples.all(
      id,
      from,
      to,
    ) as unknown as HistogramRow[];
    return rows.map(toHistogramSample);
  }
}

function configure(
  db: DatabaseSync,
  file: string,
  readOnly: boolean,
  busyTimeoutMillis: number,
): void {
  db.exec(
    `PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMillis))}`,
  );
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `${file} has schema version ${version}, newer than this td-monitoring understands (${SCHEMA_VERSION}); upgrade td-monitoring`,
    );
  }
  if (readOnly) return;

  // FULL makes a commit durable before the collector answers 200, so a
  // kill -9 (or a power cut) loses only requests not yet acknowledged.
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec(SCHEMA_SQL);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}

function prepareStatements(db: DatabaseSync) {
  const readingBigInts = (sql: string): StatementSync => {
    const statement = db.prepare(sql);
    statement.setReadBigInts(true);
    return statement;
  };
  const hasSamples = (table: string) =>
    `EXISTS (SELECT 1 FROM ${table} WHERE series_id = s.id AND time_ns BETWEEN ? AND ?)`;

  return {
    upsertSeries: db.prepare(
      `INSERT INTO series (metric, kind, unit, temporality, monotonic, labels)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (metric, kind, unit, temporality, monotonic, labels)
       DO UPDATE SET metric = excluded.metric
       RETURNING id`,
    ),
    insertNumber: db.prepare(
      "INSERT OR REPLACE INTO number_samples VALUES (?, ?, ?, ?, ?)",
    ),
    insertHistogram: db.prepare(
      "INSERT OR REPLACE INTO histogram_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    seriesOfMetric: db.prepare(
      "SELECT * FROM series WHERE metric = ? ORDER BY id",
    ),
    seriesInRange: db.prepare(
      `SELECT * FROM series s WHERE metric = ?
       AND (${hasSamples("number_samples")} OR ${hasSamples("histogram_samples")})
       ORDER BY id`,
    ),
    metricNames: db.prepare(
      "SELECT DISTINCT metric FROM series ORDER BY metric",
    ),
    numberSamples: readingBigInts(
      `SELECT time_ns, start_time_ns, value, int_value FROM number_samples
       WHERE series_id = ? AND time_ns BETWEEN ? AND ? ORDER BY time_ns`,
    ),
    histogramSamples: readingBigInts(
      `SELECT time_ns, start_time_ns, count, sum, bounds, bucket_counts, min, max
       FROM histogram_samples
       WHERE series_id = ? AND time_ns BETWEEN ? AND ? ORDER BY time_ns`,
    ),
    deleteNumbers: db.prepare("DELETE FROM number_samples WHERE time_ns < ?"),
    deleteHistograms: db.prepare(
      "DELETE FROM histogram_samples WHERE time_ns < ?",
    ),
    deleteEmptySeries: db.prepare(
      `DELETE FROM series AS s WHERE
       NOT EXISTS (SELECT 1 FROM number_samples WHERE series_id = s.id) AND
       NOT EXISTS (SELECT 1 FROM histogram_samples WHERE series_id = s.id)`,
    ),
  };
}

function isHistogram(kind: PointKind): boolean {
  return kind === "histogram" || kind === "exponential_histogram";
}

/** Labels as JSON with sorted keys, so one label set is one series. */
function canonicalLabels(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((key) => [key, labels[key]]);
  return JSON.stringify(Object.fromEntries(sorted));
}

/** Epoch millis to nanos, clamped to what a sample time can be. */
function millisToNanos(millis: number, endOfMilli: boolean): bigint {
  if (Number.isNaN(millis)) {
    throw new RangeError(
      `time range bound is NaN; expected epoch milliseconds`,
    );
  }
  if (millis <= 0) return 0n;
  if (!Number.isFinite(millis)) return MAX_NANOS;

  const nanos = BigInt(Math.floor(millis)) * NANOS_PER_MILLI;
  const bound = endOfMilli ? nanos + NANOS_PER_MILLI - 1n : nanos;
  return bound > MAX_NANOS ? MAX_NANOS : bound;
}

function nanosToMillis(nanos: bigint): number {
  return Number(nanos / NANOS_PER_MILLI);
}

function toStoredSeries(row: SeriesRow): StoredSeries {
  return {
    id: Number(row.id),
    metric: row.metric,
    kind: row.kind as PointKind,
    unit: row.unit,
    temporality: row.temporality as Temporality,
    monotonic: Number(row.monotonic) === 1,
    labels: JSON.parse(row.labels) as Record<string, string>,
  };
}

function toNumberSample(row: NumberRow): NumberSample {
  const common = {
    timeMillis: nanosToMillis(row.time_ns),
    startTimeMillis: nanosToMillis(row.start_time_ns),
    timeNanos: row.time_ns,
    startTimeNanos: row.start_time_ns,
  };
  if (row.int_value !== null) {
    return {
      ...common,
      value: Number(row.int_value),
      exactValue: row.int_value,
    };
  }
  return { ...common, value: row.value ?? NaN };
}

function toHistogramSample(row: HistogramRow): HistogramSample {
  return {
    timeMillis: nanosToMillis(row.time_ns),
    startTimeMillis: nanosToMillis(row.start_time_ns),
    timeNanos: row.time_ns,
    startTimeNanos: row.start_time_ns,
    count: Number(row.count),
    sum: row.sum ?? NaN,
    bounds: decodeBounds(row.bounds),
    bucketCounts: decodeCounts(row.bucket_counts).map(Number),
    ...(row.min === null ? {} : { min: row.min }),
    ...(row.max === null ? {} : { max: row.max }),
  };
}
