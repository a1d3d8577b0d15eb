/**
 * The lean read the query maths uses: per sample only the time in
 * milliseconds and the value (for histograms the count, sum and buckets),
 * computed by SQLite. The full samples of `readSeries` also carry exact
 * nanosecond times and int64 values as BigInts, which the maths never reads;
 * leaving them out and taking rows as arrays more than halves the cost of a
 * read (see BENCHMARKS.md, Evaluation).
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { HistogramPoint, NumberPoint } from "../../query/series.js";

/** Reads one series' points in [from, to] (nanoseconds), oldest first. */
export type PointReader<P> = (
  seriesId: number,
  from: bigint,
  to: bigint,
) => P[];

export interface PointReaders {
  readonly numbers: PointReader<NumberPoint>;
  readonly histograms: PointReader<HistogramPoint>;
}

// Integer division keeps times exact (epoch ms fit a double); an int64
// value becomes the nearest double, as Number() would make it. A row with
// neither value is NaN, which SQLite stores as NULL.
const NUMBER_POINTS_SQL = `
  SELECT time_ns / 1000000 AS time_ms,
         COALESCE(value, CAST(int_value AS REAL)) AS value
  FROM number_samples
  WHERE series_id = ? AND time_ns BETWEEN ? AND ?
  ORDER BY time_ns`;

const HISTOGRAM_POINTS_SQL = `
  SELECT time_ns / 1000000 AS time_ms, CAST(count AS REAL) AS count, sum,
         bounds, bucket_counts
  FROM histogram_samples
  WHERE series_id = ? AND time_ns BETWEEN ? AND ?
  ORDER BY time_ns`;

type Row = readonly unknown[];

/** Prepares the two point readers on a connection. */
export function preparePointReaders(db: DatabaseSync): PointReaders {
  const numbers = arrayRows(db.prepare(NUMBER_POINTS_SQL));
  const histograms = arrayRows(db.prepare(HISTOGRAM_POINTS_SQL));
  return {
    numbers: (id, from, to) => numbers(id, from, to).map(toNumberPoint),
    histograms: (id, from, to) =>
      histograms(id, from, to).map(toHistogramPoint),
  };
}

/**
 * A statement's rows as arrays of column values. Node 22.16 and later hand
 * out arrays themselves, with no object per row; on 22.15, which we still
 * support, each row object's values are taken in column order.
 */
export function arrayRows(
  statement: StatementSync,
): (...params: SQLInputValue[]) => Row[] {
  if (typeof statement.setReturnArrays === "function") {
    statement.setReturnArrays(true);
    return (...params) => statement.all(...params) as unknown as Row[];
  }
  return (...params) =>
    statement.all(...params).map((row) => Object.values(row));
}

function toNumberPoint(row: Row): NumberPoint {
  return {
    timeMillis: row[0] as number,
    value: (row[1] as number | null) ?? NaN,
  };
}

function toHistogramPoint(row: Row): HistogramPoint {
  return {
    timeMillis: row[0] as number,
    count: row[1] as number,
    sum: (row[2] as number | null) ?? NaN,
    bounds: decodeBounds(row[3] as Uint8Array),
    bucketCounts: decodeCounts(row[4] as Uint8Array).map(Number),
  };
}

/** A histogram's bounds from their blob (float64, little endian). */
export function decodeBounds(blob: Uint8Array): number[] {
  // slice() copies into a fresh, aligned buffer for the typed-array view.
  return [...new Float64Array(blob.slice().buffer)];
}

/** A histogram's bucket counts from their blob (uint64, little endian). */
export function decodeCounts(blob: Uint8Array): bigint[] {
  return [...new BigUint64Array(blob.slice().buffer)];
}
