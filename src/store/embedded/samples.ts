/**
 * The raw series the embedded store keeps and hands to the query maths:
 * OTLP points as they arrived, one series per metric and attribute set.
 */
import type { AttributeFilter } from "../../query/model.js";
import type { HistogramPoint, NumberPoint } from "../../query/series.js";

/** The OTLP data kinds. */
export type PointKind =
  "gauge" | "sum" | "histogram" | "exponential_histogram" | "summary";

/** OTLP aggregation temporality of sums and histograms. */
export type Temporality = "cumulative" | "delta" | "unspecified";

/** One series: a metric, its kind, unit, temporality, and resource plus point attributes. */
export interface StoredSeries {
  readonly id: number;
  readonly metric: string;
  readonly kind: PointKind;
  readonly unit: string;
  readonly temporality: Temporality;
  readonly monotonic: boolean;
  /** Resource attributes and point attributes, merged (point wins). */
  readonly labels: Readonly<Record<string, string>>;
}

/** A gauge or sum sample. */
export interface NumberSample {
  readonly timeMillis: number;
  /** Start of the accumulation; moves when the producing process restarts. */
  readonly startTimeMillis: number;
  /** The value; NaN and ±Infinity are kept as sent. */
  readonly value: number;
  /** The sample time to the nanosecond, as OTLP sent it. */
  readonly timeNanos: bigint;
  readonly startTimeNanos: bigint;
  /** For int64 points, the exact value (`value` rounds beyond 2^53). */
  readonly exactValue?: bigint;
}

/** An explicit-bucket histogram sample. */
export interface HistogramSample {
  readonly timeMillis: number;
  readonly startTimeMillis: number;
  readonly count: number;
  readonly sum: number;
  /** Upper bounds; the last bucket (+Inf) has no bound. */
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts, `bounds.length + 1` of them. */
  readonly bucketCounts: readonly number[];
  readonly min?: number;
  readonly max?: number;
  /** The sample time to the nanosecond, as OTLP sent it. */
  readonly timeNanos: bigint;
  readonly startTimeNanos: bigint;
}

/** The samples of one series in a time range, oldest first. */
export interface SeriesSamples {
  readonly series: StoredSeries;
  readonly samples: ReadonlyArray<NumberSample | HistogramSample>;
}

/** The points of one series in a time range for the query maths, oldest first. */
export interface SeriesPoints {
  readonly series: StoredSeries;
  readonly points: ReadonlyArray<NumberPoint | HistogramPoint>;
}

/** Which series and time range to read. */
export interface SeriesSelector {
  readonly metric: string;
  readonly filters: readonly AttributeFilter[];
  readonly startMillis: number;
  readonly endMillis: number;
}

/** What identifies a series on ingest: everything but its id. */
export type SeriesKey = Omit<StoredSeries, "id">;

/** A gauge or sum point on its way into the store. */
export interface NumberPointInput {
  readonly type: "number";
  readonly series: SeriesKey;
  readonly timeNanos: bigint;
  readonly startTimeNanos: bigint;
  /** A double, or an exact int64 as a bigint. */
  readonly value: number | bigint;
}

/** A histogram point (explicit buckets) on its way into the store. */
export interface HistogramPointInput {
  readonly type: "histogram";
  readonly series: SeriesKey;
  readonly timeNanos: bigint;
  readonly startTimeNanos: bigint;
  readonly count: bigint;
  /** NaN when the producer sent no sum. */
  readonly sum: number;
  readonly bounds: readonly number[];
  /** Per-bucket counts, `bounds.length + 1` of them. */
  readonly bucketCounts: readonly bigint[];
  readonly min?: number;
  readonly max?: number;
}

/** A point the receiver hands to the store. */
export type IngestPoint = NumberPointInput | HistogramPointInput;
