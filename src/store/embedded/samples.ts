/**
 * The raw series the embedded store keeps and hands to the query maths:
 * OTLP points as they arrived, one series per metric and attribute set.
 */
import type { AttributeFilter } from "../../query/model.js";

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
  readonly value: number;
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
}

/** The samples of one series in a time range, oldest first. */
export interface SeriesSamples {
  readonly series: StoredSeries;
  readonly samples: ReadonlyArray<NumberSample | HistogramSample>;
}

/** Which series and time range to read. */
export interface SeriesSelector {
  readonly metric: string;
  readonly filters: readonly AttributeFilter[];
  readonly startMillis: number;
  readonly endMillis: number;
}
