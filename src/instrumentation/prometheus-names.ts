/**
 * Names for the app's own Prometheus endpoint. The JS Prometheus exporter
 * only appends `_total`; the collector's translation also spells out the
 * unit (`http_server_request_duration_seconds`). Scraping the app and going
 * through the collector must give the same names, or the dashboards and
 * rules, which use the collector's, would find nothing.
 */
import {
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import {
  prometheusName,
  type PrometheusShape,
} from "../metrics/prometheus-name.js";

function shapeOf(metric: MetricData): PrometheusShape {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return "histogram";
  if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
    return "histogram";
  }
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) {
    return "counter";
  }
  return "gauge";
}

/** The same collection with every metric renamed as the collector would name it. */
export function withPrometheusNames(
  resourceMetrics: ResourceMetrics,
): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const { name, unit } = metric.descriptor;
        const renamed = prometheusName(name, unit, shapeOf(metric));
        return {
          ...metric,
          descriptor: { ...metric.descriptor, name: renamed },
        };
      }),
    })),
  };
}
