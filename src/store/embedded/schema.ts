/**
 * The series database's tables. A series row names a metric, its kind, unit,
 * temporality and merged labels; samples live in one table per sample shape,
 * keyed by series and time so a retried request replaces rather than doubles.
 */

/** The schema version this code writes, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

/**
 * The schema, idempotent. Times are integer nanoseconds since the epoch.
 *
 * Numbers: an int64 point keeps its exact value in `int_value`; a double
 * keeps `value`. SQLite stores NaN as NULL, so a row with neither is NaN.
 * Histograms keep bounds as float64 and counts as uint64 blobs, little endian.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  metric TEXT NOT NULL,
  kind TEXT NOT NULL,
  unit TEXT NOT NULL,
  temporality TEXT NOT NULL,
  monotonic INTEGER NOT NULL,
  labels TEXT NOT NULL,
  UNIQUE (metric, kind, unit, temporality, monotonic, labels)
);

CREATE TABLE IF NOT EXISTS number_samples (
  series_id INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  start_time_ns INTEGER NOT NULL,
  value REAL,
  int_value INTEGER,
  PRIMARY KEY (series_id, time_ns)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS number_samples_time ON number_samples (time_ns);

CREATE TABLE IF NOT EXISTS histogram_samples (
  series_id INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  start_time_ns INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL,
  bounds BLOB NOT NULL,
  bucket_counts BLOB NOT NULL,
  min REAL,
  max REAL,
  PRIMARY KEY (series_id, time_ns)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS histogram_samples_time ON histogram_samples (time_ns);
`;
