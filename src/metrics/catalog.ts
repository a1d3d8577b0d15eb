/**
 * The catalog: every metric td-monitoring emits, with its instrument, unit,
 * allowed attributes, buckets and Prometheus name. Meters, views, alert
 * rules, dashboards and reports name metrics only through it, so a metric
 * that is not here does not exist for the rest of the project.
 *
 * Names follow the OpenTelemetry semantic conventions where one exists and
 * live under `td.` otherwise.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/
 */
import { prometheusName, type PrometheusShape } from "./prometheus-name.js";

/** The OpenTelemetry instrument that records a metric. */
export type Instrument =
  | "counter"
  | "updowncounter"
  | "histogram"
  | "gauge"
  | "observable_counter"
  | "observable_updowncounter"
  | "observable_gauge";

/** Who records the metric: the register entry, or the app through `metrics`. */
export type MetricSource = "host" | "runtime" | "http" | "app";

/** One catalog entry. */
export interface MetricDefinition {
  /** The OpenTelemetry name, e.g. `http.server.request.duration`. */
  readonly name: string;
  readonly instrument: Instrument;
  /** UCUM unit, as the semantic conventions give it. */
  readonly unit: string;
  readonly description: string;
  /** Attribute keys kept on the series; any other key is dropped by a view. */
  readonly attributes: readonly string[];
  /** Explicit bucket boundaries, for histograms. */
  readonly buckets?: readonly number[];
  readonly source: MetricSource;
  /** Short names accepted wherever a metric is named (`cpu`, `api_latency`). */
  readonly aliases?: readonly string[];
  /** The series a view keeps per metric before overflowing into one series. */
  readonly cardinalityLimit?: number;
  /**
   * Attributes whose series are parts of one whole (CPU states, memory used
   * and free, heap spaces): statistics pooled across them mean nothing, so
   * readers break the metric down by these unless told otherwise.
   *
   * @example ["system.cpu.state"] // `stats cpu`: one row per state, not a 20 % mean
   */
  readonly defaultGroupBy?: readonly string[];
}

/** A catalog entry with its derived Prometheus name. */
export interface CatalogMetric extends MetricDefinition {
  /** The name after the collector's translation (histograms: the base name). */
  readonly prometheusName: string;
  /** Whether its points form a monotonic counter (rate and increase apply). */
  readonly monotonic: boolean;
  readonly shape: PrometheusShape;
}

/** The HTTP semantic conventions' boundaries for request durations, in seconds. */
export const HTTP_DURATION_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const;

const HTTP_SERVER_ATTRIBUTES = [
  "http.request.method",
  "http.route",
  "http.response.status_code",
  "url.scheme",
  "error.type",
] as const;

const DOCUMENT_DURATION_BUCKETS_SECONDS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
] as const;

// 1 KiB to 64 MiB, by fours.
const DOCUMENT_SIZE_BUCKETS_BYTES = [
  1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;

const definitions: readonly MetricDefinition[] = [
  // Host
  {
    name: "system.cpu.time",
    instrument: "observable_counter",
    unit: "s",
    description: "Seconds each logical CPU spent in each state.",
    attributes: ["system.cpu.state", "system.cpu.logical_number"],
    source: "host",
  },
  {
    name: "system.cpu.utilization",
    instrument: "observable_gauge",
    unit: "1",
    description:
      "Fraction of CPU time in each state since the last observation, across all logical CPUs (per CPU when asked).",
    attributes: ["system.cpu.state", "system.cpu.logical_number"],
    source: "host",
    aliases: ["cpu"],
    defaultGroupBy: ["system.cpu.state"],
  },
  {
    name: "system.memory.usage",
    instrument: "observable_updowncounter",
    unit: "By",
    description: "Bytes of host memory in use and free.",
    attributes: ["system.memory.state"],
    source: "host",
    defaultGroupBy: ["system.memory.state"],
  },
  {
    name: "system.memory.utilization",
    instrument: "observable_gauge",
    unit: "1",
    description: "Fraction of host memory in use and free.",
    attributes: ["system.memory.state"],
    source: "host",
    aliases: ["memory"],
    defaultGroupBy: ["system.memory.state"],
  },
  {
    name: "system.network.io",
    instrument: "observable_counter",
    unit: "By",
    description: "Bytes received and transmitted per network interface.",
    attributes: ["system.device", "network.io.direction"],
    source: "host",
    aliases: ["network"],
    defaultGroupBy: ["network.io.direction"],
  },
  {
    name: "system.network.errors",
    instrument: "observable_counter",
    unit: "{error}",
    description: "Receive and transmit errors per network interface.",
    attributes: ["system.device", "network.io.direction"],
    source: "host",
  },
  {
    name: "system.network.dropped",
    instrument: "observable_counter",
    unit: "{packet}",
    description:
      "Packets dropped on receive and transmit per network interface.",
    attributes: ["system.device", "network.io.direction"],
    source: "host",
  },
  {
    name: "system.filesystem.usage",
    instrument: "observable_updowncounter",
    unit: "By",
    description: "Bytes used, free and reserved per mounted filesystem.",
    attributes: [
      "system.device",
      "system.filesystem.mountpoint",
      "system.filesystem.type",
      "system.filesystem.state",
    ],
    source: "host",
    defaultGroupBy: ["system.filesystem.mountpoint", "system.filesystem.state"],
  },
  {
    name: "system.filesystem.utilization",
    instrument: "observable_gauge",
    unit: "1",
    description: "Fraction of each mounted filesystem in use.",
    attributes: [
      "system.device",
      "system.filesystem.mountpoint",
      "system.filesystem.type",
    ],
    source: "host",
    aliases: ["disk"],
    defaultGroupBy: ["system.filesystem.mountpoint"],
  },
  {
    name: "system.filesystem.limit",
    instrument: "observable_updowncounter",
    unit: "By",
    description: "Total size in bytes of each mounted filesystem.",
    attributes: [
      "system.device",
      "system.filesystem.mountpoint",
      "system.filesystem.type",
    ],
    source: "host",
    defaultGroupBy: ["system.filesystem.mountpoint"],
  },
  {
    name: "system.disk.io",
    instrument: "observable_counter",
    unit: "By",
    description: "Bytes read from and written to each block device.",
    attributes: ["system.device", "disk.io.direction"],
    source: "host",
    aliases: ["disk_io"],
  },
  {
    name: "system.disk.operations",
    instrument: "observable_counter",
    unit: "{operation}",
    description: "Read and write operations completed by each block device.",
    attributes: ["system.device", "disk.io.direction"],
    source: "host",
  },

  // Node runtime
  {
    name: "process.uptime",
    instrument: "observable_gauge",
    unit: "s",
    description: "Seconds since the process started.",
    attributes: [],
    source: "runtime",
    aliases: ["uptime"],
  },
  {
    name: "process.memory.usage",
    instrument: "observable_updowncounter",
    unit: "By",
    description: "Resident set size of the process in bytes.",
    attributes: [],
    source: "runtime",
  },
  {
    name: "process.cpu.utilization",
    instrument: "observable_gauge",
    unit: "1",
    description:
      "Fraction of one CPU the process used since the last observation, by state.",
    attributes: ["process.cpu.state"],
    source: "runtime",
    defaultGroupBy: ["process.cpu.state"],
  },
  {
    name: "nodejs.eventloop.delay.p99",
    instrument: "observable_gauge",
    unit: "s",
    description:
      "99th percentile of event-loop delay since the last observation.",
    attributes: [],
    source: "runtime",
    aliases: ["eventloop_delay"],
  },
  {
    name: "nodejs.eventloop.delay.mean",
    instrument: "observable_gauge",
    unit: "s",
    description: "Mean event-loop delay since the last observation.",
    attributes: [],
    source: "runtime",
  },
  {
    name: "nodejs.eventloop.delay.max",
    instrument: "observable_gauge",
    unit: "s",
    description: "Largest event-loop delay since the last observation.",
    attributes: [],
    source: "runtime",
  },
  {
    name: "nodejs.eventloop.utilization",
    instrument: "observable_gauge",
    unit: "1",
    description:
      "Fraction of time the event loop was busy since the last observation.",
    attributes: [],
    source: "runtime",
    aliases: ["eventloop_utilization"],
  },
  {
    name: "v8js.memory.heap.used",
    instrument: "observable_updowncounter",
    unit: "By",
    description: "Bytes used in each V8 heap space.",
    attributes: ["v8js.heap.space.name"],
    source: "runtime",
    aliases: ["heap"],
    defaultGroupBy: ["v8js.heap.space.name"],
  },
  {
    name: "v8js.memory.heap.limit",
    instrument: "observable_updowncounter",
    unit: "By",
    description: "Size in bytes of each V8 heap space.",
    attributes: ["v8js.heap.space.name"],
    source: "runtime",
    defaultGroupBy: ["v8js.heap.space.name"],
  },
  {
    name: "v8js.gc.duration",
    instrument: "histogram",
    unit: "s",
    description: "Duration of garbage collections by kind.",
    attributes: ["v8js.gc.type"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    source: "runtime",
    aliases: ["gc"],
  },

  // HTTP server
  {
    name: "http.server.request.duration",
    instrument: "histogram",
    unit: "s",
    description:
      "Duration of HTTP server requests, by method, route and status.",
    attributes: HTTP_SERVER_ATTRIBUTES,
    buckets: HTTP_DURATION_BUCKETS_SECONDS,
    source: "http",
    aliases: ["api_latency", "latency"],
    cardinalityLimit: 2000,
  },
  {
    name: "http.server.active_requests",
    instrument: "observable_updowncounter",
    unit: "{request}",
    description: "HTTP server requests in flight.",
    attributes: ["http.request.method", "url.scheme"],
    source: "http",
    aliases: ["active_requests"],
  },

  // TD Generator
  {
    name: "td.documents.processed",
    instrument: "counter",
    unit: "{document}",
    description: "Documents processed, by document type and outcome.",
    attributes: ["td.document.type", "td.document.outcome"],
    source: "app",
    aliases: ["documents"],
  },
  {
    name: "td.document.processing.duration",
    instrument: "histogram",
    unit: "s",
    description: "Time to process one document, by type and outcome.",
    attributes: ["td.document.type", "td.document.outcome"],
    buckets: DOCUMENT_DURATION_BUCKETS_SECONDS,
    source: "app",
    aliases: ["document_duration"],
  },
  {
    name: "td.document.size",
    instrument: "histogram",
    unit: "By",
    description: "Size of generated documents in bytes, by type.",
    attributes: ["td.document.type"],
    buckets: DOCUMENT_SIZE_BUCKETS_BYTES,
    source: "app",
    aliases: ["document_size"],
  },
  {
    name: "td.queue.length",
    instrument: "gauge",
    unit: "{job}",
    description: "Jobs waiting in each queue.",
    attributes: ["td.queue.name"],
    source: "app",
    aliases: ["queue"],
  },
  {
    name: "td.cache.lookups",
    instrument: "counter",
    unit: "{lookup}",
    description: "Cache lookups, by cache and result (hit or miss).",
    attributes: ["td.cache.name", "td.cache.result"],
    source: "app",
    aliases: ["cache"],
  },
  {
    name: "td.errors",
    instrument: "counter",
    unit: "{error}",
    description: "Application errors, by error type.",
    attributes: ["error.type"],
    source: "app",
    aliases: ["errors"],
    cardinalityLimit: 200,
  },
  {
    name: "td.users.active",
    instrument: "observable_gauge",
    unit: "{user}",
    description:
      "Distinct users seen in the last 5 minutes, hour and day, counted in process.",
    attributes: ["td.users.window"],
    source: "app",
    aliases: ["users", "active_users"],
  },
  {
    name: "td.sessions.active",
    instrument: "updowncounter",
    unit: "{session}",
    description: "User sessions open now.",
    attributes: [],
    source: "app",
    aliases: ["sessions"],
  },
  {
    name: "td.users.new",
    instrument: "counter",
    unit: "{user}",
    description: "Users seen for the first time.",
    attributes: [],
    source: "app",
    aliases: ["new_users"],
  },
  {
    name: "td.feature.usage",
    instrument: "counter",
    unit: "{use}",
    description:
      "Uses of each feature (names outside the allow-list count as `other`).",
    attributes: ["td.feature.name"],
    source: "app",
    aliases: ["features"],
  },
  {
    name: "td.user.satisfaction",
    instrument: "histogram",
    unit: "1",
    description: "User satisfaction scores, from 1 (worst) to 5 (best).",
    attributes: [],
    buckets: [1, 2, 3, 4, 5],
    source: "app",
    aliases: ["satisfaction"],
  },
];

function shapeOf(instrument: Instrument): PrometheusShape {
  if (instrument === "histogram") return "histogram";
  if (instrument === "counter" || instrument === "observable_counter") {
    return "counter";
  }
  return "gauge";
}

function toCatalogMetric(definition: MetricDefinition): CatalogMetric {
  const shape = shapeOf(definition.instrument);
  return {
    ...definition,
    shape,
    monotonic: shape === "counter",
    prometheusName: prometheusName(definition.name, definition.unit, shape),
  };
}

/** Every metric td-monitoring emits, in catalog order. */
export const catalog: readonly CatalogMetric[] =
  definitions.map(toCatalogMetric);

const byAnyName = new Map<string, CatalogMetric>();
for (const metric of catalog) {
  byAnyName.set(metric.name, metric);
  byAnyName.set(metric.prometheusName, metric);
  for (const alias of metric.aliases ?? []) byAnyName.set(alias, metric);
}

/**
 * The catalog metric named by its OpenTelemetry name, Prometheus name or
 * alias, or undefined.
 */
export function findMetric(name: string): CatalogMetric | undefined {
  return byAnyName.get(name);
}

/** Every name a metric may be called by, for suggestions in error messages. */
export function knownMetricNames(): string[] {
  return [...byAnyName.keys()];
}

/**
 * The catalog entry of a metric this project emits; throws when the name is
 * missing, which is a bug in the caller, never bad input.
 */
export function requireMetric(name: string): CatalogMetric {
  const metric = findMetric(name);
  if (metric === undefined)
    throw new Error(`BUG: ${name} is not in the catalog`);
  return metric;
}

/** The options every instrument of a catalog metric is created with. */
export function instrumentOptions(metric: CatalogMetric) {
  return {
    unit: metric.unit,
    description: metric.description,
    ...(metric.buckets === undefined
      ? {}
      : { advice: { explicitBucketBoundaries: [...metric.buckets] } }),
  };
}
