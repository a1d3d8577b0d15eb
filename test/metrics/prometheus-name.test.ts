import { describe, expect, it } from "vitest";
import { catalog, findMetric } from "../../src/metrics/catalog.js";
import { prometheusName } from "../../src/metrics/prometheus-name.js";

describe("prometheusName", () => {
  // Cases N1–N3 from the field, plus the shapes the catalog relies on.
  it.each([
    [
      "http.server.requests",
      "{request}",
      "counter",
      "http_server_requests_total",
    ],
    [
      "http.server.request.duration",
      "s",
      "histogram",
      "http_server_request_duration_seconds",
    ],
    ["foo", "ms", "counter", "foo_milliseconds_total"],
    ["system.cpu.utilization", "1", "gauge", "system_cpu_utilization_ratio"],
    ["td.user.satisfaction", "1", "histogram", "td_user_satisfaction"],
    ["system.filesystem.usage", "By", "gauge", "system_filesystem_usage_bytes"],
    ["system.network.io", "By", "counter", "system_network_io_bytes_total"],
    ["td.throughput", "By/s", "gauge", "td_throughput_bytes_per_second"],
    ["process.uptime", "s", "gauge", "process_uptime_seconds"],
    ["requests_total", "", "counter", "requests_total"],
    ["latency.seconds", "s", "gauge", "latency_seconds"],
    ["2xx.count", "", "gauge", "_2xx_count"],
  ] as const)("%s [%s] as %s is %s", (name, unit, shape, expected) => {
    expect(prometheusName(name, unit, shape)).toBe(expected);
  });
});

describe("catalog", () => {
  it("gives every metric a unique OpenTelemetry and Prometheus name", () => {
    const names = catalog.map((m) => m.name);
    const promNames = catalog.map((m) => m.prometheusName);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(promNames).size).toBe(promNames.length);
  });

  it("finds a metric by OpenTelemetry name, Prometheus name and alias", () => {
    const latency = findMetric("http.server.request.duration");
    expect(latency?.prometheusName).toBe(
      "http_server_request_duration_seconds",
    );
    expect(findMetric("http_server_request_duration_seconds")).toBe(latency);
    expect(findMetric("api_latency")).toBe(latency);
    expect(findMetric("cpu")?.name).toBe("system.cpu.utilization");
    expect(findMetric("no.such.metric")).toBeUndefined();
  });

  it("uses the HTTP conventions' second-scale buckets for request duration (Q4)", () => {
    expect(findMetric("http.server.request.duration")?.buckets).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
  });

  it("gives histograms buckets and only histograms", () => {
    for (const metric of catalog) {
      expect(metric.buckets !== undefined, metric.name).toBe(
        metric.instrument === "histogram",
      );
    }
  });
});
