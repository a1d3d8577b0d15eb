/**
 * One OTLP/JSON export request holding a point of every catalog metric, as
 * the SDK would send it: cumulative sums and histograms, gauges, and one
 * counter in delta temporality to exercise the collector's conversion.
 */
import type { CatalogMetric } from "../../src/metrics/catalog.js";

type AnyValue = { stringValue: string } | { intValue: string };
interface KeyValue {
  key: string;
  value: AnyValue;
}

export const SMOKE_RESOURCE = {
  "service.name": "td-smoke",
  "service.instance.id": "smoke-1",
  "host.name": "smoke-host",
} as const;

/** Counter values and gauge readings the test looks for in Prometheus. */
export const SMOKE_VALUES = {
  documentsProcessed: 7,
  queueLength: 3,
  featureUsesDelta: 4,
} as const;

/** The metric sent in delta temporality. */
export const DELTA_METRIC = "td.feature.usage";

function attribute(key: string, value: string | number): KeyValue {
  return typeof value === "number"
    ? { key, value: { intValue: String(value) } }
    : { key, value: { stringValue: value } };
}

const attributeValues: Record<string, string | number> = {
  "http.request.method": "GET",
  "http.route": "/documents/:id",
  "http.response.status_code": 200,
  "url.scheme": "http",
  "td.document.type": "invoice",
  "td.document.outcome": "success",
  "td.queue.name": "render",
  "td.users.window": "5m",
};

function attributesOf(metric: CatalogMetric): KeyValue[] {
  // error.type is only set on failures; leave it off as the SDK would.
  return metric.attributes
    .filter((key) => key !== "error.type" || metric.name === "td.errors")
    .map((key) => attribute(key, attributeValues[key] ?? "smoke"));
}

function valueOf(metric: CatalogMetric): number {
  if (metric.name === "td.documents.processed") {
    return SMOKE_VALUES.documentsProcessed;
  }
  if (metric.name === "td.queue.length") return SMOKE_VALUES.queueLength;
  if (metric.name === DELTA_METRIC) return SMOKE_VALUES.featureUsesDelta;
  return metric.unit === "1" ? 0.5 : 2;
}

const CUMULATIVE = 2;
const DELTA = 1;

function otlpMetric(
  metric: CatalogMetric,
  startNanos: string,
  nowNanos: string,
  value = valueOf(metric),
) {
  const point = {
    attributes: attributesOf(metric),
    startTimeUnixNano: startNanos,
    timeUnixNano: nowNanos,
  };
  const head = {
    name: metric.name,
    unit: metric.unit,
    description: metric.description,
  };
  switch (metric.instrument) {
    case "counter":
    case "observable_counter":
    case "updowncounter":
    case "observable_updowncounter":
      return {
        ...head,
        sum: {
          aggregationTemporality:
            metric.name === DELTA_METRIC ? DELTA : CUMULATIVE,
          isMonotonic: metric.monotonic,
          dataPoints: [{ ...point, asDouble: value }],
        },
      };
    case "gauge":
    case "observable_gauge":
      return {
        ...head,
        gauge: { dataPoints: [{ ...point, asDouble: value }] },
      };
    case "histogram": {
      const bounds = metric.buckets ?? [];
      // One observation in every bucket, +Inf included.
      const bucketCounts = [...bounds, Infinity].map(() => "1");
      return {
        ...head,
        histogram: {
          aggregationTemporality: CUMULATIVE,
          dataPoints: [
            {
              ...point,
              count: String(bucketCounts.length),
              sum: bounds.reduce((a, b) => a + b, 0),
              bucketCounts,
              explicitBounds: bounds,
            },
          ],
        },
      };
    }
  }
}

/** How exportRequest fills in points. */
export interface ExportOptions {
  /** Start of sums and histograms; a later reading of a series keeps it. */
  startMillis?: number;
  /** One value for every sum and gauge point instead of the usual ones. */
  value?: number;
}

/** An ExportMetricsServiceRequest in OTLP/JSON with every metric given. */
export function exportRequest(
  metrics: readonly CatalogMetric[],
  { startMillis = Date.now() - 60_000, value }: ExportOptions = {},
): unknown {
  const nowNanos = `${BigInt(Date.now()) * 1_000_000n}`;
  const startNanos = `${BigInt(startMillis) * 1_000_000n}`;
  const resource = Object.entries(SMOKE_RESOURCE).map(([k, v]) =>
    attribute(k, v),
  );
  return {
    resourceMetrics: [
      {
        resource: { attributes: resource },
        scopeMetrics: [
          {
            scope: { name: "td-monitoring-smoke", version: "0.0.0" },
            metrics: metrics.map((m) =>
              otlpMetric(m, startNanos, nowNanos, value),
            ),
          },
        ],
      },
    ],
  };
}
