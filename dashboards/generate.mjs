// Writes the Grafana dashboards in dashboards/grafana/ from the panel lists
// below, so that every dashboard shares one layout, one set of variables and
// one way of writing queries:
//
//   node dashboards/generate.mjs
//
// Metric names are the Prometheus names of the catalog (src/metrics/catalog.ts,
// `prometheusName`); test/dashboards/dashboards.test.ts fails when a query
// names anything else or when the committed JSON differs from this output.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "prettier";

/** Grafana's dashboard JSON schema version these files are written in. */
export const SCHEMA_VERSION = 41;

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const RATE = "$__rate_interval";
const RANGE = "$__range";

/** A selector of `name` limited to the chosen services and instances. */
function m(name, ...matchers) {
  const all = ['job=~"$job"', 'instance=~"$instance"', ...matchers];
  return `${name}{${all.join(", ")}}`;
}

function quantile(q, bucket, by = []) {
  const labels = ["le", ...by].join(", ");
  return `histogram_quantile(${q}, sum by (${labels}) (rate(${bucket}[${RATE}])))`;
}

function target(expr, legendFormat = "__auto", extra = {}) {
  return { expr, legendFormat, ...extra };
}

function thresholds(steps) {
  return {
    mode: "absolute",
    steps: [
      { color: "green", value: null },
      ...steps.map(([value, color]) => ({ color, value })),
    ],
  };
}

function timeseries(title, description, targets, options = {}) {
  const { unit = "short", min, max, stack = false, steps = [] } = options;
  return {
    type: "timeseries",
    title,
    description,
    targets,
    w: options.w ?? 12,
    h: options.h ?? 8,
    fieldConfig: {
      defaults: {
        unit,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        color: { mode: "palette-classic" },
        thresholds: thresholds(steps),
        custom: {
          drawStyle: "line",
          lineWidth: 1,
          fillOpacity: stack ? 30 : 10,
          showPoints: "never",
          spanNulls: false,
          stacking: { mode: stack ? "normal" : "none", group: "A" },
          thresholdsStyle: { mode: steps.length > 0 ? "line" : "off" },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: "list", placement: "bottom", showLegend: true },
      tooltip: { mode: "multi", sort: "desc" },
    },
  };
}

function stat(title, description, expr, options = {}) {
  const { unit = "short", steps = [], legendFormat = "__auto" } = options;
  return {
    type: "stat",
    title,
    description,
    targets: [target(expr, legendFormat)],
    w: options.w ?? 6,
    h: options.h ?? 4,
    fieldConfig: {
      defaults: {
        unit,
        ...(options.decimals === undefined
          ? {}
          : { decimals: options.decimals }),
        color: { mode: "thresholds" },
        thresholds: thresholds(steps),
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "value",
      graphMode: "area",
      justifyMode: "auto",
      orientation: "auto",
      textMode: "auto",
    },
  };
}

function barGauge(title, description, expr, options = {}) {
  const { unit = "short", steps = [], legendFormat = "__auto" } = options;
  return {
    type: "bargauge",
    title,
    description,
    targets: [
      target(expr, legendFormat, {
        instant: true,
        range: false,
        ...(options.heatmap ? { format: "heatmap" } : {}),
      }),
    ],
    w: options.w ?? 8,
    h: options.h ?? 8,
    fieldConfig: {
      defaults: {
        unit,
        ...(options.min === undefined ? {} : { min: options.min }),
        ...(options.max === undefined ? {} : { max: options.max }),
        color: { mode: steps.length > 0 ? "thresholds" : "palette-classic" },
        thresholds: thresholds(steps),
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      orientation: "horizontal",
      displayMode: "gradient",
      showUnfilled: true,
    },
  };
}

function table(title, description, expr, options = {}) {
  return {
    type: "table",
    title,
    description,
    targets: [
      target(expr, "__auto", { format: "table", instant: true, range: false }),
    ],
    w: options.w ?? 12,
    h: options.h ?? 8,
    fieldConfig: {
      defaults: { unit: options.unit ?? "short" },
      overrides: [],
    },
    options: { showHeader: true, cellHeight: "sm" },
    transformations: [
      {
        id: "organize",
        options: { excludeByName: { Time: true, __name__: true } },
      },
    ],
  };
}

function heatmap(title, description, bucket, unit) {
  return {
    type: "heatmap",
    title,
    description,
    targets: [
      target(`sum by (le) (increase(${bucket}[${RATE}]))`, "{{le}}", {
        format: "heatmap",
      }),
    ],
    w: 12,
    h: 8,
    fieldConfig: { defaults: {}, overrides: [] },
    options: {
      calculate: false,
      cellGap: 1,
      color: { mode: "scheme", scheme: "Oranges", steps: 64 },
      yAxis: { axisPlacement: "left", unit },
      rowsFrame: { layout: "auto" },
      tooltip: { mode: "single", yHistogram: true },
      legend: { show: true },
    },
  };
}

function stateTimeline(title, description, expr) {
  return {
    type: "state-timeline",
    title,
    description,
    targets: [target(expr, "{{alertname}} ({{severity}})")],
    w: 24,
    h: 8,
    fieldConfig: {
      defaults: {
        color: { mode: "thresholds" },
        thresholds: thresholds([[1, "red"]]),
        mappings: [
          {
            type: "value",
            options: { 1: { text: "firing", color: "red" } },
          },
        ],
      },
      overrides: [],
    },
    options: {
      showValue: "never",
      mergeValues: true,
      rowHeight: 0.8,
      legend: { displayMode: "list", placement: "bottom", showLegend: false },
      tooltip: { mode: "single", sort: "none" },
    },
  };
}

function row(title) {
  return { type: "row", title };
}

// Grafana's grid is 24 columns wide; panels flow left to right and wrap.
function layout(items) {
  const panels = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let id = 1;
  for (const item of items) {
    if (item.type === "row") {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
      panels.push({
        id: id++,
        type: "row",
        title: item.title,
        collapsed: false,
        gridPos: { h: 1, w: 24, x: 0, y },
        panels: [],
      });
      y += 1;
      continue;
    }
    const { w, h, targets, ...rest } = item;
    if (x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    panels.push({
      id: id++,
      ...rest,
      datasource: DATASOURCE,
      gridPos: { h, w, x, y },
      targets: targets.map((t, i) => ({
        refId: String.fromCharCode(65 + i),
        datasource: DATASOURCE,
        editorMode: "code",
        range: true,
        ...t,
      })),
    });
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return panels;
}

function queryVariable(name, label, query) {
  return {
    type: "query",
    name,
    label,
    datasource: DATASOURCE,
    definition: query,
    query: {
      qryType: 1,
      query,
      refId: "PrometheusVariableQueryEditor-VariableQuery",
    },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { text: ["All"], value: ["$__all"] },
    options: [],
    regex: "",
    sort: 1,
    hide: 0,
  };
}

const VARIABLES = [
  {
    type: "datasource",
    name: "datasource",
    label: "Data source",
    query: "prometheus",
    current: {},
    options: [],
    refresh: 1,
    regex: "",
    hide: 0,
  },
  // process.uptime comes from every instrumented process, so it lists them all.
  queryVariable("job", "Service", "label_values(process_uptime_seconds, job)"),
  queryVariable(
    "instance",
    "Instance",
    'label_values(process_uptime_seconds{job=~"$job"}, instance)',
  ),
];

function dashboard({ uid, title, description, area, panels }) {
  return {
    id: null,
    uid,
    title,
    description,
    tags: ["td-monitoring", area],
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: "",
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    links: [
      {
        title: "td-monitoring",
        type: "dashboards",
        tags: ["td-monitoring"],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: "external link",
        tooltip: "",
        url: "",
        targetBlank: false,
      },
    ],
    templating: { list: VARIABLES },
    panels: layout(panels),
  };
}

// ---------------------------------------------------------------------------

const HTTP_COUNT = "http_server_request_duration_seconds_count";
const HTTP_BUCKET = "http_server_request_duration_seconds_bucket";
const HTTP_SUM = "http_server_request_duration_seconds_sum";
const DOC_BUCKET = "td_document_processing_duration_seconds_bucket";
const SIZE_BUCKET = "td_document_size_bytes_bucket";
const PERCENT_HIGH = [
  [0.8, "yellow"],
  [0.9, "red"],
];

const system = dashboard({
  uid: "td-system",
  title: "TD Generator / System",
  area: "system",
  description:
    "Host CPU, memory, disks and network, and the Node.js process: event loop, heap and garbage collection.",
  panels: [
    row("Host"),
    stat(
      "CPU busy",
      "Share of CPU time not idle, across all logical CPUs.",
      `1 - avg(${m("system_cpu_utilization_ratio", 'system_cpu_state="idle"')})`,
      {
        unit: "percentunit",
        steps: [
          [0.85, "yellow"],
          [0.95, "red"],
        ],
      },
    ),
    stat(
      "Memory used",
      "Share of host memory in use.",
      `avg(${m("system_memory_utilization_ratio", 'system_memory_state="used"')})`,
      { unit: "percentunit", steps: PERCENT_HIGH },
    ),
    stat(
      "Fullest filesystem",
      "Utilization of the fullest mounted filesystem.",
      `max(${m("system_filesystem_utilization_ratio")})`,
      {
        unit: "percentunit",
        steps: [
          [0.85, "yellow"],
          [0.95, "red"],
        ],
      },
    ),
    stat(
      "Uptime",
      "Time since the most recently started instance started.",
      `min(${m("process_uptime_seconds")})`,
      { unit: "dtdurations" },
    ),
    timeseries(
      "CPU by state",
      "Share of CPU time in each state, averaged over logical CPUs.",
      [
        target(
          `avg by (system_cpu_state) (${m("system_cpu_utilization_ratio")})`,
          "{{system_cpu_state}}",
        ),
      ],
      { unit: "percentunit", stack: true, min: 0, max: 1 },
    ),
    timeseries(
      "CPU time by state",
      "CPU seconds per second in each state: the number of cores busy in it.",
      [
        target(
          `sum by (system_cpu_state) (rate(${m("system_cpu_time_seconds_total")}[${RATE}]))`,
          "{{system_cpu_state}}",
        ),
      ],
      { unit: "short", stack: true, min: 0 },
    ),
    timeseries(
      "Memory by state",
      "Bytes of host memory in each state.",
      [
        target(
          `sum by (system_memory_state) (${m("system_memory_usage_bytes")})`,
          "{{system_memory_state}}",
        ),
      ],
      { unit: "bytes", stack: true, min: 0 },
    ),
    timeseries(
      "Memory used by host",
      "Share of memory in use on each host.",
      [
        target(
          `avg by (host_name) (${m("system_memory_utilization_ratio", 'system_memory_state="used"')})`,
          "{{host_name}}",
        ),
      ],
      { unit: "percentunit", min: 0, max: 1, steps: PERCENT_HIGH },
    ),
    row("Disks"),
    barGauge(
      "Filesystem utilization",
      "Share of each mounted filesystem in use.",
      `max by (system_filesystem_mountpoint) (${m("system_filesystem_utilization_ratio")})`,
      {
        unit: "percentunit",
        min: 0,
        max: 1,
        legendFormat: "{{system_filesystem_mountpoint}}",
        steps: [
          [0.85, "yellow"],
          [0.95, "red"],
        ],
      },
    ),
    timeseries(
      "Filesystem free",
      "Bytes free on each mounted filesystem.",
      [
        target(
          `sum by (system_filesystem_mountpoint) (${m("system_filesystem_usage_bytes", 'system_filesystem_state="free"')})`,
          "{{system_filesystem_mountpoint}}",
        ),
      ],
      { unit: "bytes", min: 0, w: 8 },
    ),
    table(
      "Filesystem size",
      "Total size of each mounted filesystem.",
      `max by (system_device, system_filesystem_mountpoint, system_filesystem_type) (${m("system_filesystem_limit_bytes")})`,
      { unit: "bytes", w: 8 },
    ),
    timeseries(
      "Disk throughput",
      "Bytes read and written per second by each block device.",
      [
        target(
          `sum by (system_device, disk_io_direction) (rate(${m("system_disk_io_bytes_total")}[${RATE}]))`,
          "{{system_device}} {{disk_io_direction}}",
        ),
      ],
      { unit: "Bps", min: 0 },
    ),
    timeseries(
      "Disk operations",
      "Read and write operations per second by each block device.",
      [
        target(
          `sum by (system_device, disk_io_direction) (rate(${m("system_disk_operations_total")}[${RATE}]))`,
          "{{system_device}} {{disk_io_direction}}",
        ),
      ],
      { unit: "iops", min: 0 },
    ),
    row("Network"),
    timeseries(
      "Network throughput",
      "Bytes received and transmitted per second by each interface.",
      [
        target(
          `sum by (system_device, network_io_direction) (rate(${m("system_network_io_bytes_total")}[${RATE}]))`,
          "{{system_device}} {{network_io_direction}}",
        ),
      ],
      { unit: "Bps", min: 0 },
    ),
    timeseries(
      "Network errors and drops",
      "Errors and dropped packets per second, all interfaces.",
      [
        target(
          `sum by (network_io_direction) (rate(${m("system_network_errors_total")}[${RATE}]))`,
          "errors {{network_io_direction}}",
        ),
        target(
          `sum by (network_io_direction) (rate(${m("system_network_dropped_total")}[${RATE}]))`,
          "dropped {{network_io_direction}}",
        ),
      ],
      { unit: "short", min: 0 },
    ),
    row("Node.js process"),
    timeseries(
      "Process CPU",
      "Share of one CPU the process used, by state.",
      [
        target(
          `sum by (instance, process_cpu_state) (${m("process_cpu_utilization_ratio")})`,
          "{{instance}} {{process_cpu_state}}",
        ),
      ],
      { unit: "percentunit", min: 0, w: 8 },
    ),
    timeseries(
      "Resident memory",
      "Resident set size of each process.",
      [
        target(
          `sum by (instance) (${m("process_memory_usage_bytes")})`,
          "{{instance}}",
        ),
      ],
      { unit: "bytes", min: 0, w: 8 },
    ),
    timeseries(
      "V8 heap",
      "Bytes used in all V8 heap spaces, against their total size.",
      [
        target(
          `sum by (instance) (${m("v8js_memory_heap_used_bytes")})`,
          "used {{instance}}",
        ),
        target(
          `sum by (instance) (${m("v8js_memory_heap_limit_bytes")})`,
          "size {{instance}}",
        ),
      ],
      { unit: "bytes", min: 0, w: 8 },
    ),
    timeseries(
      "Event-loop delay",
      "Event-loop delay since the last observation: 99th percentile, mean and largest.",
      [
        target(
          `max by (instance) (${m("nodejs_eventloop_delay_p99_seconds")})`,
          "p99 {{instance}}",
        ),
        target(
          `max by (instance) (${m("nodejs_eventloop_delay_mean_seconds")})`,
          "mean {{instance}}",
        ),
        target(
          `max by (instance) (${m("nodejs_eventloop_delay_max_seconds")})`,
          "max {{instance}}",
        ),
      ],
      { unit: "s", min: 0, w: 8 },
    ),
    timeseries(
      "Event-loop utilization",
      "Share of time the event loop was busy.",
      [
        target(
          `max by (instance) (${m("nodejs_eventloop_utilization_ratio")})`,
          "{{instance}}",
        ),
      ],
      { unit: "percentunit", min: 0, max: 1, w: 8, steps: PERCENT_HIGH },
    ),
    timeseries(
      "Garbage collection",
      "Share of time spent in garbage collection, by kind, and the 99th percentile pause.",
      [
        target(
          `sum by (v8js_gc_type) (rate(${m("v8js_gc_duration_seconds_sum")}[${RATE}]))`,
          "time share {{v8js_gc_type}}",
        ),
        target(
          quantile(0.99, m("v8js_gc_duration_seconds_bucket")),
          "p99 pause (s)",
        ),
      ],
      { unit: "short", min: 0, w: 8 },
    ),
  ],
});

const api = dashboard({
  uid: "td-api",
  title: "TD Generator / API",
  area: "api",
  description:
    "HTTP server traffic, errors and latency by route and status, from http.server.request.duration.",
  panels: [
    row("Overview"),
    stat(
      "Requests per second",
      "HTTP requests answered per second.",
      `sum(rate(${m(HTTP_COUNT)}[${RATE}]))`,
      { unit: "reqps" },
    ),
    stat(
      "Server errors",
      "Share of requests answered with a 5xx status (ApiErrorRateHigh warns at 2%).",
      `sum(rate(${m(HTTP_COUNT, 'http_response_status_code=~"5.."')}[${RATE}])) / sum(rate(${m(HTTP_COUNT)}[${RATE}]))`,
      {
        unit: "percentunit",
        steps: [
          [0.02, "yellow"],
          [0.1, "red"],
        ],
      },
    ),
    stat(
      "p95 latency",
      "95th percentile of request duration (ApiLatencyHigh warns above 1 s).",
      quantile(0.95, m(HTTP_BUCKET)),
      {
        unit: "s",
        steps: [
          [1, "yellow"],
          [2.5, "red"],
        ],
      },
    ),
    stat(
      "In flight",
      "HTTP requests being served now.",
      `sum(${m("http_server_active_requests")})`,
    ),
    row("Traffic"),
    timeseries(
      "Requests by status",
      "Requests per second by response status code.",
      [
        target(
          `sum by (http_response_status_code) (rate(${m(HTTP_COUNT)}[${RATE}]))`,
          "{{http_response_status_code}}",
        ),
      ],
      { unit: "reqps", stack: true, min: 0 },
    ),
    timeseries(
      "Requests by route",
      "Requests per second by method and route.",
      [
        target(
          `sum by (http_request_method, http_route) (rate(${m(HTTP_COUNT)}[${RATE}]))`,
          "{{http_request_method}} {{http_route}}",
        ),
      ],
      { unit: "reqps", min: 0 },
    ),
    timeseries(
      "Server error ratio by route",
      "Share of each route's requests answered with a 5xx status.",
      [
        target(
          `sum by (http_route) (rate(${m(HTTP_COUNT, 'http_response_status_code=~"5.."')}[${RATE}])) / sum by (http_route) (rate(${m(HTTP_COUNT)}[${RATE}]))`,
          "{{http_route}}",
        ),
      ],
      {
        unit: "percentunit",
        min: 0,
        steps: [
          [0.02, "yellow"],
          [0.1, "red"],
        ],
      },
    ),
    timeseries(
      "Errors by type",
      "Failed requests per second by error.type (exception class or status code).",
      [
        target(
          `sum by (error_type) (rate(${m(HTTP_COUNT, 'error_type!=""')}[${RATE}]))`,
          "{{error_type}}",
        ),
      ],
      { unit: "reqps", min: 0 },
    ),
    timeseries(
      "In-flight requests",
      "HTTP requests being served, by method.",
      [
        target(
          `sum by (http_request_method) (${m("http_server_active_requests")})`,
          "{{http_request_method}}",
        ),
      ],
      { unit: "short", min: 0 },
    ),
    table(
      "Busiest routes",
      "Requests per route over the dashboard's time range.",
      `topk(10, sum by (http_request_method, http_route) (increase(${m(HTTP_COUNT)}[${RANGE}])))`,
    ),
    row("Latency"),
    timeseries(
      "Latency percentiles",
      "50th, 95th and 99th percentiles of request duration, from the histogram buckets.",
      [
        target(quantile(0.5, m(HTTP_BUCKET)), "p50"),
        target(quantile(0.95, m(HTTP_BUCKET)), "p95"),
        target(quantile(0.99, m(HTTP_BUCKET)), "p99"),
        target(
          `sum(rate(${m(HTTP_SUM)}[${RATE}])) / sum(rate(${m(HTTP_COUNT)}[${RATE}]))`,
          "mean",
        ),
      ],
      {
        unit: "s",
        min: 0,
        steps: [
          [1, "yellow"],
          [2.5, "red"],
        ],
      },
    ),
    timeseries(
      "p95 latency by route",
      "95th percentile of request duration per route.",
      [
        target(
          quantile(0.95, m(HTTP_BUCKET), ["http_route"]),
          "{{http_route}}",
        ),
      ],
      { unit: "s", min: 0 },
    ),
    heatmap(
      "Latency distribution",
      "Requests per latency bucket.",
      m(HTTP_BUCKET),
      "s",
    ),
    timeseries(
      "Requests under 500 ms",
      "Share of requests that took at most 500 ms.",
      [
        target(
          `sum(rate(${m(HTTP_BUCKET, 'le="0.5"')}[${RATE}])) / sum(rate(${m(HTTP_COUNT)}[${RATE}]))`,
          "under 500 ms",
        ),
      ],
      { unit: "percentunit", min: 0, max: 1 },
    ),
    table(
      "Slowest routes",
      "95th percentile duration per route over the dashboard's time range.",
      `topk(10, histogram_quantile(0.95, sum by (le, http_route) (rate(${m(HTTP_BUCKET)}[${RANGE}]))))`,
      { unit: "s", w: 24 },
    ),
  ],
});

const documents = dashboard({
  uid: "td-documents",
  title: "TD Generator / Documents",
  area: "documents",
  description:
    "Document generation: throughput, failures, processing time, sizes and queues.",
  panels: [
    row("Overview"),
    stat(
      "Documents processed",
      "Documents processed over the dashboard's time range.",
      `sum(increase(${m("td_documents_processed_total")}[${RANGE}]))`,
      { decimals: 0 },
    ),
    stat(
      "Failure ratio",
      "Share of documents whose processing failed over the time range (DocumentFailuresHigh warns at 5%).",
      `sum(rate(${m("td_documents_processed_total", 'td_document_outcome="failure"')}[${RANGE}])) / sum(rate(${m("td_documents_processed_total")}[${RANGE}]))`,
      {
        unit: "percentunit",
        steps: [
          [0.05, "yellow"],
          [0.2, "red"],
        ],
      },
    ),
    stat(
      "p95 processing time",
      "95th percentile of the time to process one document (DocumentProcessingSlow warns above 30 s).",
      quantile(0.95, m(DOC_BUCKET)),
      {
        unit: "s",
        steps: [
          [30, "yellow"],
          [60, "red"],
        ],
      },
    ),
    stat(
      "Jobs queued",
      "Jobs waiting in all queues now.",
      `sum(${m("td_queue_length")})`,
    ),
    row("Throughput"),
    timeseries(
      "Documents by type",
      "Documents processed per second by type.",
      [
        target(
          `sum by (td_document_type) (rate(${m("td_documents_processed_total")}[${RATE}]))`,
          "{{td_document_type}}",
        ),
      ],
      { unit: "ops", stack: true, min: 0 },
    ),
    timeseries(
      "Documents by outcome",
      "Documents processed per second by outcome.",
      [
        target(
          `sum by (td_document_outcome) (rate(${m("td_documents_processed_total")}[${RATE}]))`,
          "{{td_document_outcome}}",
        ),
      ],
      { unit: "ops", stack: true, min: 0 },
    ),
    timeseries(
      "Failure ratio by type",
      "Share of each type's documents that failed.",
      [
        target(
          `sum by (td_document_type) (rate(${m("td_documents_processed_total", 'td_document_outcome="failure"')}[${RATE}])) / sum by (td_document_type) (rate(${m("td_documents_processed_total")}[${RATE}]))`,
          "{{td_document_type}}",
        ),
      ],
      {
        unit: "percentunit",
        min: 0,
        steps: [
          [0.05, "yellow"],
          [0.2, "red"],
        ],
      },
    ),
    timeseries(
      "Queue length",
      "Jobs waiting in each queue.",
      [
        target(
          `sum by (td_queue_name) (${m("td_queue_length")})`,
          "{{td_queue_name}}",
        ),
      ],
      { unit: "short", min: 0 },
    ),
    row("Processing time"),
    timeseries(
      "Processing time percentiles",
      "50th, 95th and 99th percentiles of the time to process one document.",
      [
        target(quantile(0.5, m(DOC_BUCKET)), "p50"),
        target(quantile(0.95, m(DOC_BUCKET)), "p95"),
        target(quantile(0.99, m(DOC_BUCKET)), "p99"),
      ],
      {
        unit: "s",
        min: 0,
        steps: [
          [30, "yellow"],
          [60, "red"],
        ],
      },
    ),
    timeseries(
      "p95 processing time by type",
      "95th percentile of processing time per document type.",
      [
        target(
          quantile(0.95, m(DOC_BUCKET), ["td_document_type"]),
          "{{td_document_type}}",
        ),
      ],
      { unit: "s", min: 0 },
    ),
    heatmap(
      "Processing time distribution",
      "Documents per processing-time bucket.",
      m(DOC_BUCKET),
      "s",
    ),
    row("Sizes"),
    timeseries(
      "Document size percentiles",
      "Median and 95th percentile size of generated documents.",
      [
        target(quantile(0.5, m(SIZE_BUCKET)), "p50"),
        target(quantile(0.95, m(SIZE_BUCKET)), "p95"),
      ],
      { unit: "bytes", min: 0 },
    ),
    timeseries(
      "Mean size by type",
      "Mean size of generated documents per type.",
      [
        target(
          `sum by (td_document_type) (rate(${m("td_document_size_bytes_sum")}[${RATE}])) / sum by (td_document_type) (rate(${m("td_document_size_bytes_count")}[${RATE}]))`,
          "{{td_document_type}}",
        ),
      ],
      { unit: "bytes", min: 0 },
    ),
    timeseries(
      "Bytes generated",
      "Bytes of documents generated per second.",
      [
        target(
          `sum(rate(${m("td_document_size_bytes_sum")}[${RATE}]))`,
          "bytes/s",
        ),
      ],
      { unit: "Bps", min: 0, w: 24 },
    ),
  ],
});

const users = dashboard({
  uid: "td-users",
  title: "TD Generator / Users",
  area: "users",
  description:
    "Active users, sessions, new users and satisfaction. User ids never reach the metrics: distinct users are counted in each process.",
  panels: [
    row("Overview"),
    stat(
      "Active users",
      "Distinct users per window (5 minutes, hour, day), summed over instances: a user served by two instances counts twice.",
      `sum by (td_users_window) (${m("td_users_active")})`,
      { legendFormat: "{{td_users_window}}", decimals: 0 },
    ),
    stat(
      "Open sessions",
      "User sessions open now.",
      `sum(${m("td_sessions_active")})`,
      { decimals: 0 },
    ),
    stat(
      "New users",
      "Users seen for the first time over the dashboard's time range.",
      `sum(increase(${m("td_users_new_total")}[${RANGE}]))`,
      { decimals: 0 },
    ),
    stat(
      "Mean satisfaction",
      "Mean satisfaction score (1 worst, 5 best) over the time range.",
      `sum(increase(${m("td_user_satisfaction_sum")}[${RANGE}])) / sum(increase(${m("td_user_satisfaction_count")}[${RANGE}]))`,
      {
        decimals: 2,
        steps: [
          [0, "red"],
          [3, "yellow"],
          [4, "green"],
        ],
      },
    ),
    row("Activity"),
    timeseries(
      "Active users",
      "Distinct users per window, summed over instances.",
      [
        target(
          `sum by (td_users_window) (${m("td_users_active")})`,
          "{{td_users_window}}",
        ),
      ],
      { unit: "short", min: 0 },
    ),
    timeseries(
      "Open sessions",
      "User sessions open, per instance.",
      [
        target(
          `sum by (instance) (${m("td_sessions_active")})`,
          "{{instance}}",
        ),
      ],
      { unit: "short", min: 0, stack: true },
    ),
    timeseries(
      "New users per hour",
      "Users seen for the first time, as an hourly rate.",
      [
        target(
          `3600 * sum(rate(${m("td_users_new_total")}[${RATE}]))`,
          "new users / h",
        ),
      ],
      { unit: "short", min: 0, w: 24 },
    ),
    row("Satisfaction"),
    timeseries(
      "Mean satisfaction",
      "Mean satisfaction score over time.",
      [
        target(
          `sum(rate(${m("td_user_satisfaction_sum")}[${RATE}])) / sum(rate(${m("td_user_satisfaction_count")}[${RATE}]))`,
          "mean score",
        ),
      ],
      { unit: "short", min: 1, max: 5, w: 8 },
    ),
    barGauge(
      "Score distribution",
      "Responses per score over the time range (Grafana turns the cumulative buckets into counts).",
      `sum by (le) (increase(${m("td_user_satisfaction_bucket")}[${RANGE}]))`,
      { legendFormat: "{{le}}", heatmap: true },
    ),
    timeseries(
      "Responses",
      "Satisfaction responses per hour.",
      [
        target(
          `3600 * sum(rate(${m("td_user_satisfaction_count")}[${RATE}]))`,
          "responses / h",
        ),
      ],
      { unit: "short", min: 0, w: 8 },
    ),
  ],
});

const business = dashboard({
  uid: "td-business",
  title: "TD Generator / Business",
  area: "business",
  description:
    "Output, feature adoption, cache efficiency and application errors.",
  panels: [
    row("Overview"),
    stat(
      "Documents in the last day",
      "Documents processed in the last 24 hours.",
      `sum(increase(${m("td_documents_processed_total")}[1d]))`,
      { decimals: 0 },
    ),
    stat(
      "Successful documents",
      "Share of documents processed without failure over the time range.",
      `1 - sum(rate(${m("td_documents_processed_total", 'td_document_outcome="failure"')}[${RANGE}])) / sum(rate(${m("td_documents_processed_total")}[${RANGE}]))`,
      {
        unit: "percentunit",
        steps: [
          [0, "red"],
          [0.8, "yellow"],
          [0.95, "green"],
        ],
      },
    ),
    stat(
      "Cache hit ratio",
      "Share of cache lookups that hit over the time range (CacheHitRatioLow below 50%).",
      `sum(rate(${m("td_cache_lookups_total", 'td_cache_result="hit"')}[${RANGE}])) / sum(rate(${m("td_cache_lookups_total")}[${RANGE}]))`,
      {
        unit: "percentunit",
        steps: [
          [0, "red"],
          [0.5, "yellow"],
          [0.6, "green"],
        ],
      },
    ),
    stat(
      "Application errors",
      "Application errors over the time range.",
      `sum(increase(${m("td_errors_total")}[${RANGE}]))`,
      { decimals: 0, steps: [[1, "yellow"]] },
    ),
    row("Output"),
    timeseries(
      "Documents per hour by type",
      "Documents processed in the preceding hour, by type.",
      [
        target(
          `sum by (td_document_type) (increase(${m("td_documents_processed_total")}[1h]))`,
          "{{td_document_type}}",
        ),
      ],
      { unit: "short", min: 0, stack: true },
    ),
    timeseries(
      "Errors per 1000 documents",
      "Application errors per thousand documents processed.",
      [
        target(
          `1000 * sum(rate(${m("td_errors_total")}[${RATE}])) / sum(rate(${m("td_documents_processed_total")}[${RATE}]))`,
          "errors / 1000 documents",
        ),
      ],
      { unit: "short", min: 0 },
    ),
    row("Features"),
    barGauge(
      "Most used features",
      "Uses of the ten most used features over the time range.",
      `topk(10, sum by (td_feature_name) (increase(${m("td_feature_usage_total")}[${RANGE}])))`,
      { legendFormat: "{{td_feature_name}}", w: 12 },
    ),
    timeseries(
      "Feature usage",
      "Uses per second of each feature.",
      [
        target(
          `sum by (td_feature_name) (rate(${m("td_feature_usage_total")}[${RATE}]))`,
          "{{td_feature_name}}",
        ),
      ],
      { unit: "ops", min: 0 },
    ),
    row("Cache and errors"),
    timeseries(
      "Cache hit ratio by cache",
      "Share of lookups that hit, per cache.",
      [
        target(
          `sum by (td_cache_name) (rate(${m("td_cache_lookups_total", 'td_cache_result="hit"')}[${RATE}])) / sum by (td_cache_name) (rate(${m("td_cache_lookups_total")}[${RATE}]))`,
          "{{td_cache_name}}",
        ),
      ],
      { unit: "percentunit", min: 0, max: 1 },
    ),
    timeseries(
      "Cache lookups",
      "Lookups per second by cache and result.",
      [
        target(
          `sum by (td_cache_name, td_cache_result) (rate(${m("td_cache_lookups_total")}[${RATE}]))`,
          "{{td_cache_name}} {{td_cache_result}}",
        ),
      ],
      { unit: "ops", min: 0 },
    ),
    timeseries(
      "Application errors by type",
      "Application errors per second by error.type.",
      [
        target(
          `sum by (error_type) (rate(${m("td_errors_total")}[${RATE}]))`,
          "{{error_type}}",
        ),
      ],
      { unit: "short", min: 0, w: 24 },
    ),
  ],
});

// ALERTS is the series Prometheus writes for the rules it evaluates (load
// rules that name catalog metrics); td-monitor's own evaluator keeps its
// history in data/monitoring/alerts/ instead.
const alerts = dashboard({
  uid: "td-alerts",
  title: "TD Generator / Alerts",
  area: "alerts",
  description:
    "Alerts Prometheus evaluates (its ALERTS series), and the signals behind td-monitoring's default rules with their thresholds.",
  panels: [
    row("Alerts"),
    stat(
      "Firing",
      "Alerts firing now.",
      'count(ALERTS{alertstate="firing"}) or vector(0)',
      { w: 8, steps: [[1, "red"]] },
    ),
    stat(
      "Critical firing",
      "Critical alerts firing now.",
      'count(ALERTS{alertstate="firing", severity="critical"}) or vector(0)',
      { w: 8, steps: [[1, "red"]] },
    ),
    stat(
      "Pending",
      "Alerts whose condition holds but whose `for` has not passed yet.",
      'count(ALERTS{alertstate="pending"}) or vector(0)',
      { w: 8, steps: [[1, "yellow"]] },
    ),
    stateTimeline(
      "Alert timeline",
      "When each alert fired.",
      'max by (alertname, severity) (ALERTS{alertstate="firing"})',
    ),
    table(
      "Firing now",
      "Every firing alert with its labels.",
      'ALERTS{alertstate="firing"}',
      { w: 24 },
    ),
    row("Signals behind the default rules"),
    timeseries(
      "CPU idle (HostCpuBusy)",
      "Idle share of CPU per host; the rule warns below 15% and is critical below 5%.",
      [
        target(
          `avg by (host_name) (${m("system_cpu_utilization_ratio", 'system_cpu_state="idle"')})`,
          "{{host_name}}",
        ),
      ],
      { unit: "percentunit", min: 0, max: 1, w: 8 },
    ),
    timeseries(
      "Memory used (HostMemoryHigh)",
      "Used share of memory per host; warns above 90%, critical above 95%.",
      [
        target(
          `avg by (host_name) (${m("system_memory_utilization_ratio", 'system_memory_state="used"')})`,
          "{{host_name}}",
        ),
      ],
      {
        unit: "percentunit",
        min: 0,
        max: 1,
        w: 8,
        steps: [
          [0.9, "yellow"],
          [0.95, "red"],
        ],
      },
    ),
    timeseries(
      "Disk full (DiskUsageHigh)",
      "Used share of each filesystem; warns above 85%, critical above 95%.",
      [
        target(
          `max by (host_name, system_filesystem_mountpoint) (${m("system_filesystem_utilization_ratio")})`,
          "{{host_name}} {{system_filesystem_mountpoint}}",
        ),
      ],
      {
        unit: "percentunit",
        min: 0,
        max: 1,
        w: 8,
        steps: [
          [0.85, "yellow"],
          [0.95, "red"],
        ],
      },
    ),
    timeseries(
      "p95 latency (ApiLatencyHigh)",
      "95th percentile request duration per service; warns above 1 s, critical above 2.5 s.",
      [target(quantile(0.95, m(HTTP_BUCKET), ["job"]), "{{job}}")],
      {
        unit: "s",
        min: 0,
        w: 8,
        steps: [
          [1, "yellow"],
          [2.5, "red"],
        ],
      },
    ),
    timeseries(
      "Server errors (ApiErrorRateHigh)",
      "Share of 5xx responses per service; warns above 2%, critical above 10%.",
      [
        target(
          `sum by (job) (rate(${m(HTTP_COUNT, 'http_response_status_code=~"5.."')}[${RATE}])) / sum by (job) (rate(${m(HTTP_COUNT)}[${RATE}]))`,
          "{{job}}",
        ),
      ],
      {
        unit: "percentunit",
        min: 0,
        w: 8,
        steps: [
          [0.02, "yellow"],
          [0.1, "red"],
        ],
      },
    ),
    timeseries(
      "Document failures (DocumentFailuresHigh)",
      "Share of failed documents per type over 15 minutes; warns above 5%, critical above 20%.",
      [
        target(
          `sum by (td_document_type) (rate(${m("td_documents_processed_total", 'td_document_outcome="failure"')}[15m])) / sum by (td_document_type) (rate(${m("td_documents_processed_total")}[15m]))`,
          "{{td_document_type}}",
        ),
      ],
      {
        unit: "percentunit",
        min: 0,
        w: 8,
        steps: [
          [0.05, "yellow"],
          [0.2, "red"],
        ],
      },
    ),
    timeseries(
      "Queue growth (QueueGrowing)",
      "Jobs per second each queue grows by, fitted over 15 minutes; warns above 0.5.",
      [
        target(
          `deriv(sum by (td_queue_name) (${m("td_queue_length")})[15m:1m])`,
          "{{td_queue_name}}",
        ),
      ],
      { unit: "short", w: 8, steps: [[0.5, "yellow"]] },
    ),
    timeseries(
      "Cache hit ratio (CacheHitRatioLow)",
      "Share of lookups that hit per cache over 15 minutes; the rule fires below 50%.",
      [
        target(
          `sum by (td_cache_name) (rate(${m("td_cache_lookups_total", 'td_cache_result="hit"')}[15m])) / sum by (td_cache_name) (rate(${m("td_cache_lookups_total")}[15m]))`,
          "{{td_cache_name}}",
        ),
      ],
      { unit: "percentunit", min: 0, max: 1, w: 8 },
    ),
    timeseries(
      "Instances reporting (InstanceNotReporting)",
      "Instances that sent process.uptime in the last 3 minutes, per service.",
      [
        target(
          `count by (job) (count_over_time(${m("process_uptime_seconds")}[3m]))`,
          "{{job}}",
        ),
      ],
      { unit: "short", min: 0, w: 8 },
    ),
  ],
});

/** Every dashboard, keyed by file name. */
export const dashboards = {
  "system.json": system,
  "api.json": api,
  "documents.json": documents,
  "users.json": users,
  "business.json": business,
  "alerts.json": alerts,
};

/** The text each dashboard file holds: JSON as Prettier writes it. */
export async function renderDashboard(model) {
  return format(JSON.stringify(model), { parser: "json" });
}

// `--check` writes nothing and fails when a committed file differs, so that
// a hand edit of the JSON cannot drift from this source.
const isMain = process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  const check = process.argv.includes("--check");
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "grafana");
  mkdirSync(outDir, { recursive: true });
  const stale = [];
  for (const [file, model] of Object.entries(dashboards)) {
    const path = join(outDir, file);
    const text = await renderDashboard(model);
    if (!check) writeFileSync(path, text);
    else if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
      stale.push(path);
    }
  }
  if (stale.length > 0) {
    console.error(
      `out of date (run node dashboards/generate.mjs): ${stale.join(", ")}`,
    );
    process.exit(1);
  }
  const verb = check ? "checked" : "wrote";
  console.log(
    `${verb} ${Object.keys(dashboards).length} dashboards in ${outDir}`,
  );
}
