/**
 * A deterministic data set for the report, with figures computed by hand in
 * report.e2e.test.ts: a CPU ramp (a known trend), an event-loop delay that
 * follows it exactly (a known correlation) and ends above the optimization
 * threshold, memory with one spike, a disk filling 1% an hour, a disk I/O
 * counter that resets, network bursts, two document types with failures and
 * durations, much garbage collection, a gap in the app's own series, and
 * hostile labels. It comes as OTLP/JSON requests for the receiver and as OpenMetrics
 * for a Prometheus backfill, holding the same samples.
 */
import { findMetric } from "../../src/metrics/catalog.js";
import { sanitizePrometheusName } from "../../src/metrics/prometheus-name.js";

/** 2024-03-04T00:00:00Z: the report window is [T0, T0 + 6 h]. */
export const T0 = Date.UTC(2024, 2, 4);
export const HOUR = 3_600_000;
export const END = T0 + 6 * HOUR;
const INTERVAL = 300_000;
/** Sample indexes: every 5 min from T0 - 6 h (the previous period) to END. */
const INDEXES = Array.from({ length: 145 }, (_, k) => k - 72);

/** The hostile labels: they must come out as text. */
export const HOSTILE_ROUTE = "<script>alert(1)</script>";
export const HOSTILE_FEATURE = "<img src=x onerror=alert(2)>";

const hours = (i: number) => (i * INTERVAL) / HOUR;
/** CPU used: 0.2 before T0, then 0.2 + 0.05 per hour. */
export const cpuUsed = (i: number) => (i <= 0 ? 0.2 : 0.2 + 0.05 * hours(i));
/** Memory used: 0.55 and 0.6 in turn, 0.85 at 3 h into each period. */
const memoryUsed = (i: number) =>
  Math.abs(i) === 36 ? 0.85 : i % 2 === 0 ? 0.55 : 0.6;
/**
 * Network received, in bytes per second, for the interval ending at sample
 * i: 1000, but 3000, 5000 and 8000 in the 15-minute steps 8, 16 and 20 of
 * the window (steps count from 1 and hold samples 3s-3 to 3s), so every
 * step's rate is one of these whatever the step's edges.
 */
const BURSTS: Record<number, number> = { 8: 3000, 16: 5000, 20: 8000 };
export const receivedPerSecond = (i: number) =>
  i <= 0 ? 1000 : (BURSTS[Math.ceil(i / 3)] ?? 1000);

type Labels = Record<string, string>;

interface GaugeSeries {
  readonly kind: "gauge";
  readonly metric: string;
  readonly labels: Labels;
  /** Undefined: no sample at that index. */
  readonly value: (i: number) => number | undefined;
  /** Shifts sample times off step boundaries. */
  readonly offsetMillis?: number;
}

interface CounterSeries {
  readonly kind: "counter";
  readonly metric: string;
  readonly labels: Labels;
  /** Increase from the sample before. */
  readonly increment: (i: number) => number;
  /** The index where the producer restarted: its value counts from 0 again. */
  readonly resetAt?: number;
}

interface HistogramSeries {
  readonly kind: "histogram";
  readonly metric: string;
  readonly labels: Labels;
  readonly bounds: readonly number[];
  /** Per-bucket counts observed in each interval, and their sum. */
  readonly interval: {
    readonly counts: readonly number[];
    readonly sum: number;
  };
}

export type Series = GaugeSeries | CounterSeries | HistogramSeries;

const HTTP_BOUNDS = findMetric("http.server.request.duration")!.buckets!;
const bucketsWith = (placed: Record<number, number>) =>
  Array.from({ length: HTTP_BOUNDS.length + 1 }, (_, i) => placed[i] ?? 0);
const bucketOf = (bound: number) => HTTP_BOUNDS.indexOf(bound);

/** Per-bucket counts from counts by upper bound, for a metric's buckets. */
const bucketsByBound =
  (bounds: readonly number[]) => (byBound: Record<number, number>) =>
    bounds.map((bound) => byBound[bound] ?? 0).concat(0);
const DOCUMENT_BOUNDS = findMetric("td.document.processing.duration")!.buckets!;
const documentBuckets = bucketsByBound(DOCUMENT_BOUNDS);
const GC_BOUNDS = findMetric("v8js.gc.duration")!.buckets!;
const gcBuckets = bucketsByBound(GC_BOUNDS);

const route = (path: string, status: string) => ({
  "http.route": path,
  "http.request.method": "GET",
  "http.response.status_code": status,
});

/** Every series of the data set. */
export const SERIES: readonly Series[] = [
  {
    kind: "gauge",
    metric: "system.cpu.utilization",
    labels: { "system.cpu.state": "idle" },
    value: (i) => 1 - cpuUsed(i),
  },
  {
    kind: "gauge",
    metric: "system.cpu.utilization",
    labels: { "system.cpu.state": "user" },
    value: cpuUsed,
  },
  {
    kind: "gauge",
    metric: "nodejs.eventloop.delay.p99",
    labels: {},
    // 0.07 s before T0, then 0.07 to 0.16 s: a mean of 0.115 s, above 0.1 s.
    value: (i) => 0.01 + 0.3 * cpuUsed(i),
  },
  {
    kind: "gauge",
    metric: "system.memory.utilization",
    labels: { "system.memory.state": "used" },
    value: memoryUsed,
  },
  {
    kind: "gauge",
    metric: "system.filesystem.utilization",
    labels: { "system.filesystem.mountpoint": "/data" },
    value: (i) => 0.5 + 0.01 * hours(i),
  },
  {
    kind: "gauge",
    metric: "system.filesystem.utilization",
    labels: { "system.filesystem.mountpoint": "/" },
    value: () => 0.3,
  },
  {
    kind: "counter",
    metric: "system.disk.io",
    labels: { "disk.io.direction": "write" },
    increment: () => 300 * 1_048_576,
    resetAt: 36,
  },
  {
    kind: "counter",
    metric: "system.network.io",
    labels: { "system.device": "eth0", "network.io.direction": "receive" },
    increment: (i) => (INTERVAL / 1000) * receivedPerSecond(i),
  },
  {
    kind: "counter",
    metric: "system.network.io",
    labels: { "system.device": "eth0", "network.io.direction": "transmit" },
    increment: () => (INTERVAL / 1000) * 500,
  },
  {
    // Off the 15 s presence steps, and silent from T0 + 4 h 5 min to 4 h 25 min.
    kind: "gauge",
    metric: "process.uptime",
    labels: {},
    value: (i) => (i > 48 && i < 54 ? undefined : 1000 + i * 300),
    offsetMillis: 7000,
  },
  {
    kind: "histogram",
    metric: "http.server.request.duration",
    labels: route("/api/docs", "200"),
    bounds: HTTP_BOUNDS,
    interval: {
      counts: bucketsWith({
        [bucketOf(0.05)]: 50,
        [bucketOf(0.075)]: 45,
        [bucketOf(0.75)]: 5,
      }),
      sum: 7,
    },
  },
  {
    kind: "histogram",
    metric: "http.server.request.duration",
    labels: route(HOSTILE_ROUTE, "500"),
    bounds: HTTP_BOUNDS,
    interval: { counts: bucketsWith({ [bucketOf(0.1)]: 10 }), sum: 0.9 },
  },
  {
    kind: "counter",
    metric: "td.documents.processed",
    labels: { "td.document.type": "invoice", "td.document.outcome": "success" },
    increment: (i) => (i <= 0 ? 30 : 60),
  },
  {
    kind: "counter",
    metric: "td.documents.processed",
    labels: { "td.document.type": "invoice", "td.document.outcome": "failure" },
    increment: () => 3,
  },
  {
    kind: "counter",
    metric: "td.documents.processed",
    labels: { "td.document.type": "report", "td.document.outcome": "success" },
    increment: () => 20,
  },
  {
    kind: "counter",
    metric: "td.documents.processed",
    labels: { "td.document.type": "report", "td.document.outcome": "failure" },
    increment: () => 5,
  },
  {
    // Per 5 min: 40 invoices in (0.1, 0.25] s, 18 in (0.25, 0.5], 2 in (0.5, 1].
    kind: "histogram",
    metric: "td.document.processing.duration",
    labels: { "td.document.type": "invoice" },
    bounds: DOCUMENT_BOUNDS,
    interval: {
      counts: documentBuckets({ 0.25: 40, 0.5: 18, 1: 2 }),
      sum: 40 * 0.2 + 18 * 0.4 + 2 * 0.8,
    },
  },
  {
    // Per 5 min: 5 reports in (0.5, 1] s, 15 in (1, 2.5], 5 in (2.5, 5].
    kind: "histogram",
    metric: "td.document.processing.duration",
    labels: { "td.document.type": "report" },
    bounds: DOCUMENT_BOUNDS,
    interval: {
      counts: documentBuckets({ 1: 5, 2.5: 15, 5: 5 }),
      sum: 5 * 0.8 + 15 * 2 + 5 * 4,
    },
  },
  {
    // 15 s of major and 3 s of minor GC every 5 min: 6% of the time.
    kind: "histogram",
    metric: "v8js.gc.duration",
    labels: { "v8js.gc.type": "major" },
    bounds: GC_BOUNDS,
    interval: { counts: gcBuckets({ 0.5: 40 }), sum: 15 },
  },
  {
    kind: "histogram",
    metric: "v8js.gc.duration",
    labels: { "v8js.gc.type": "minor" },
    bounds: GC_BOUNDS,
    interval: { counts: gcBuckets({ 0.01: 400 }), sum: 3 },
  },
  {
    kind: "counter",
    metric: "td.users.new",
    labels: {},
    increment: (i) => (i <= 0 ? 1 : 2),
  },
  {
    kind: "counter",
    metric: "td.cache.lookups",
    labels: { "td.cache.name": "render", "td.cache.result": "hit" },
    increment: () => 30,
  },
  {
    kind: "counter",
    metric: "td.cache.lookups",
    labels: { "td.cache.name": "render", "td.cache.result": "miss" },
    increment: () => 70,
  },
  {
    kind: "gauge",
    metric: "td.queue.length",
    labels: { "td.queue.name": "render" },
    value: () => 4,
  },
  {
    kind: "gauge",
    metric: "td.users.active",
    labels: { "td.users.window": "5m" },
    value: (i) => (i <= 0 ? 20 : 25),
  },
  {
    kind: "gauge",
    metric: "td.users.active",
    labels: { "td.users.window": "24h" },
    value: () => 120,
  },
  {
    kind: "gauge",
    metric: "td.sessions.active",
    labels: { "service.instance.id": "a" },
    value: () => 7,
  },
  {
    kind: "gauge",
    metric: "td.sessions.active",
    labels: { "service.instance.id": "b" },
    value: (i) => (i <= 36 ? 3 : 5),
  },
  ...(
    [
      ["export", 12],
      ["preview", 30],
      [HOSTILE_FEATURE, 1],
    ] as const
  ).map(([name, n]): CounterSeries => ({
    kind: "counter",
    metric: "td.feature.usage",
    labels: { "td.feature.name": name },
    increment: () => n,
  })),
  {
    kind: "counter",
    metric: "td.errors",
    labels: { "error.type": "TimeoutError" },
    increment: () => 1,
  },
  {
    kind: "histogram",
    metric: "td.user.satisfaction",
    labels: {},
    bounds: [1, 2, 3, 4, 5],
    interval: { counts: [0, 1, 1, 4, 4, 0], sum: 41 },
  },
];

/** The resource of the app that sent the data set. */
export const RESOURCE = {
  "service.name": "td-generator",
  "service.instance.id": "instance-a",
};

interface Sample {
  readonly timeMillis: number;
  readonly startMillis: number;
  readonly value: number;
  readonly counts?: readonly number[];
}

const timeOf = (i: number) => T0 + i * INTERVAL;
const FIRST = INDEXES[0]!;

/** The samples of a series: cumulative for counters and histograms. */
export function samplesOf(series: Series): Sample[] {
  if (series.kind === "gauge") {
    return INDEXES.flatMap((i) => {
      const value = series.value(i);
      if (value === undefined) return [];
      const timeMillis = timeOf(i) + (series.offsetMillis ?? 0);
      return [{ timeMillis, startMillis: timeOf(FIRST), value }];
    });
  }
  if (series.kind === "counter") {
    let total = 0;
    let startMillis = timeOf(FIRST) - 60_000;
    return INDEXES.map((i) => {
      if (i === series.resetAt) {
        // Restarted just after the sample before: counts this interval from 0.
        total = 0;
        startMillis = timeOf(i - 1) + 1000;
      }
      if (i > FIRST) total += series.increment(i);
      return { timeMillis: timeOf(i), startMillis, value: total };
    });
  }
  return INDEXES.map((i) => {
    const n = i - FIRST;
    return {
      timeMillis: timeOf(i),
      startMillis: timeOf(FIRST) - 60_000,
      value: n * series.interval.sum,
      counts: series.interval.counts.map((c) => c * n),
    };
  });
}

const nanos = (millis: number) => `${BigInt(millis) * 1_000_000n}`;

function attributes(labels: Labels) {
  return Object.entries(labels).map(([key, value]) => ({
    key,
    value: { stringValue: value },
  }));
}

function otlpMetric(series: Series) {
  const metric = findMetric(series.metric)!;
  const points = samplesOf(series).map((s) => ({
    attributes: attributes(series.labels),
    startTimeUnixNano: nanos(s.startMillis),
    timeUnixNano: nanos(s.timeMillis),
    ...(series.kind === "histogram"
      ? {
          count: `${s.counts!.reduce((a, b) => a + b, 0)}`,
          sum: s.value,
          bucketCounts: s.counts!.map(String),
          explicitBounds: series.bounds,
        }
      : { asDouble: s.value }),
  }));
  const base = { name: metric.name, unit: metric.unit };
  if (series.kind === "gauge") {
    return metric.instrument.includes("updowncounter")
      ? {
          ...base,
          sum: {
            aggregationTemporality: 2,
            isMonotonic: false,
            dataPoints: points,
          },
        }
      : { ...base, gauge: { dataPoints: points } };
  }
  if (series.kind === "counter") {
    return {
      ...base,
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points },
    };
  }
  return {
    ...base,
    histogram: { aggregationTemporality: 2, dataPoints: points },
  };
}

/** The data set (or some of its series) as OTLP/JSON export requests, one per series. */
export function otlpRequests(selected: readonly Series[] = SERIES): object[] {
  return selected.map((series) => ({
    resourceMetrics: [
      {
        resource: { attributes: attributes(RESOURCE) },
        scopeMetrics: [
          {
            scope: { name: "report-dataset" },
            metrics: [otlpMetric(series)],
          },
        ],
      },
    ],
  }));
}

/**
 * The data set as OpenMetrics, named and labelled as the collector's
 * Prometheus translation names them (resource attributes promoted to
 * labels), for `promtool tsdb create-blocks-from openmetrics`.
 */
export function openMetrics(): string {
  const families = new Map<string, string[]>();
  for (const series of SERIES) {
    const metric = findMetric(series.metric)!;
    const name = metric.prometheusName;
    const family =
      metric.shape === "counter" ? name.replace(/_total$/, "") : name;
    const lines = families.get(family) ?? [`# TYPE ${family} ${metric.shape}`];
    families.set(family, lines);
    const labels = {
      "service.instance.id": RESOURCE["service.instance.id"],
      ...series.labels,
    };
    for (const s of samplesOf(series)) {
      const at = s.timeMillis / 1000;
      if (series.kind !== "histogram") {
        lines.push(`${name}${labelText(labels)} ${s.value} ${at}`);
        continue;
      }
      let cumulative = 0;
      s.counts!.forEach((count, i) => {
        cumulative += count;
        const le =
          series.bounds[i] === undefined ? "+Inf" : String(series.bounds[i]);
        lines.push(
          `${name}_bucket${labelText({ ...labels, le })} ${cumulative} ${at}`,
        );
      });
      lines.push(`${name}_count${labelText(labels)} ${cumulative} ${at}`);
      lines.push(`${name}_sum${labelText(labels)} ${s.value} ${at}`);
    }
  }
  return [...[...families.values()].flat(), "# EOF", ""].join("\n");
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([key, value]) =>
      `${key === "le" ? key : sanitizePrometheusName(key)}=${JSON.stringify(value)}`,
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}
