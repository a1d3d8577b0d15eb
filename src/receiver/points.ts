/**
 * Decoded OTLP metrics to the store's points, refusing per point what the
 * store cannot keep (with the reason, for the response's partial_success)
 * and skipping points flagged as having no recorded value.
 */
import type {
  IngestPoint,
  SeriesKey,
  Temporality,
} from "../store/embedded/samples.js";
import { exponentialToExplicit } from "./exponential.js";
import type {
  Attributes,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  NumberDataPoint,
  ResourceMetrics,
  TemporalityCode,
} from "./request.js";

/** What a request holds, sorted into points to store and points refused. */
export interface Conversion {
  readonly points: IngestPoint[];
  /** Points refused, each with a reason in `reasons`. */
  readonly rejected: number;
  /** One line per refused point, naming the point and the metric. */
  readonly reasons: string[];
  /** Points flagged "no recorded value": valid, and deliberately not stored. */
  readonly noValue: number;
}

/** OTLP's DataPointFlags.NO_RECORDED_VALUE bit. */
const NO_RECORDED_VALUE = 1;
const MAX_TIME_NANOS = 2n ** 63n - 1n;
const MAX_COUNT = 2n ** 63n - 1n;
const TEMPORALITIES: Record<TemporalityCode, Temporality> = {
  0: "unspecified",
  1: "delta",
  2: "cumulative",
};

/** A point that cannot be stored; the message says why. */
class PointRefusal extends Error {}

/** Sorts every point of a request into stored, refused or flagged. */
export function toIngestPoints(resources: ResourceMetrics[]): Conversion {
  const result = {
    points: [] as IngestPoint[],
    rejected: 0,
    reasons: [] as string[],
    noValue: 0,
  };
  for (const { resource, metrics } of resources) {
    for (const metric of metrics) convertMetric(metric, resource, result);
  }
  return result;
}

type MutableConversion = {
  points: IngestPoint[];
  rejected: number;
  reasons: string[];
  noValue: number;
};

interface AnyPoint {
  readonly path: string;
  readonly attributes: Attributes;
  readonly flags: number;
}

function convertMetric(
  metric: Metric,
  resource: Attributes,
  result: MutableConversion,
): void {
  const { data } = metric;
  if (!data) return;

  const points: readonly AnyPoint[] = data.points;
  for (const point of points) {
    if ((point.flags & NO_RECORDED_VALUE) !== 0) {
      result.noValue += 1;
      continue;
    }
    try {
      result.points.push(convertPoint(metric, resource, point));
    } catch (error) {
      if (!(error instanceof PointRefusal)) throw error;
      result.rejected += 1;
      result.reasons.push(
        `${point.path} (metric "${metric.name}"): ${error.message}`,
      );
    }
  }
}

function convertPoint(
  metric: Metric,
  resource: Attributes,
  point: AnyPoint,
): IngestPoint {
  const data = metric.data!;
  if (metric.name === "") throw new PointRefusal("the metric has no name");
  if (data.kind === "summary") {
    throw new PointRefusal(
      "summary points are not stored; export this metric as a histogram",
    );
  }

  const temporality =
    data.kind === "gauge" ? "unspecified" : TEMPORALITIES[data.temporality];
  const series: SeriesKey = {
    metric: metric.name,
    kind: data.kind,
    unit: metric.unit,
    temporality,
    // Sums say so; histogram counts only grow; gauges never are.
    monotonic: data.kind === "sum" ? data.monotonic : data.kind !== "gauge",
    labels: { ...resource, ...point.attributes },
  };

  if (data.kind === "gauge" || data.kind === "sum") {
    return numberPoint(series, point as NumberDataPoint);
  }
  if (data.kind === "histogram") {
    return histogramPoint(series, point as HistogramDataPoint);
  }
  return exponentialPoint(series, point as ExponentialHistogramDataPoint);
}

function numberPoint(series: SeriesKey, point: NumberDataPoint): IngestPoint {
  if (point.value === undefined) {
    throw new PointRefusal("has neither asDouble nor asInt");
  }
  return { type: "number", series, ...times(point), value: point.value };
}

function histogramPoint(
  series: SeriesKey,
  point: HistogramDataPoint,
): IngestPoint {
  const { explicitBounds: bounds, count } = point;
  checkBounds(bounds);
  const bucketCounts =
    bounds.length === 0 && point.bucketCounts.length === 0
      ? [count]
      : point.bucketCounts;
  if (bucketCounts.length !== bounds.length + 1) {
    throw new PointRefusal(
      `has ${bucketCounts.length} bucketCounts for ${bounds.length} explicitBounds; expected ${bounds.length + 1}`,
    );
  }
  checkCount(
    count,
    bucketCounts.reduce((a, b) => a + b, 0n),
  );

  return {
    type: "histogram",
    series,
    ...times(point),
    count,
    sum: point.sum ?? NaN,
    bounds,
    bucketCounts,
    ...minMax(point),
  };
}

function exponentialPoint(
  series: SeriesKey,
  point: ExponentialHistogramDataPoint,
): IngestPoint {
  const { scale, zeroThreshold } = point;
  if (scale < -10 || scale > 20) {
    throw new PointRefusal(`scale ${scale} is outside [-10, 20]`);
  }
  if (!(zeroThreshold >= 0 && Number.isFinite(zeroThreshold))) {
    throw new PointRefusal(
      `zeroThreshold ${zeroThreshold} is not a finite number >= 0`,
    );
  }
  const { bounds, bucketCounts } = exponentialToExplicit(point);
  checkCount(
    point.count,
    bucketCounts.reduce((a, b) => a + b, 0n),
  );

  return {
    type: "histogram",
    series,
    ...times(point),
    count: point.count,
    sum: point.sum ?? NaN,
    bounds,
    bucketCounts,
    ...minMax(point),
  };
}

function checkBounds(bounds: readonly number[]): void {
  bounds.forEach((bound, index) => {
    const previous = index === 0 ? -Infinity : bounds[index - 1]!;
    if (!Number.isFinite(bound) || bound <= previous) {
      throw new PointRefusal(
        `explicitBounds[${index}] = ${bound}: bounds must be finite and strictly increasing`,
      );
    }
  });
}

function checkCount(count: bigint, bucketTotal: bigint): void {
  if (count > MAX_COUNT) throw new PointRefusal(`count ${count} is too large`);
  if (bucketTotal !== count) {
    throw new PointRefusal(
      `bucket counts add up to ${bucketTotal} but count is ${count}`,
    );
  }
}

function times(point: {
  readonly timeUnixNano: bigint;
  readonly startTimeUnixNano: bigint;
}): { timeNanos: bigint; startTimeNanos: bigint } {
  const { timeUnixNano, startTimeUnixNano } = point;
  if (timeUnixNano === 0n) {
    throw new PointRefusal("timeUnixNano is missing or 0");
  }
  for (const [name, value] of [
    ["timeUnixNano", timeUnixNano],
    ["startTimeUnixNano", startTimeUnixNano],
  ] as const) {
    if (value > MAX_TIME_NANOS) {
      throw new PointRefusal(`${name} ${value} is after the year 2262`);
    }
  }
  return { timeNanos: timeUnixNano, startTimeNanos: startTimeUnixNano };
}

function minMax(point: { min?: number; max?: number }): {
  min?: number;
  max?: number;
} {
  return {
    ...(point.min === undefined ? {} : { min: point.min }),
    ...(point.max === undefined ? {} : { max: point.max }),
  };
}
