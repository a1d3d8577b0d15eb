/**
 * Synthetic series written straight into an embedded store with
 * `EmbeddedDatabase.ingest`, shaped as the receiver stores OTLP points:
 * gauges (temporality "unspecified"), cumulative sums and cumulative
 * explicit-bucket histograms, with the catalog's units and buckets.
 */
import { findMetric } from "../../dist/metrics/catalog.js";
import { EmbeddedDatabase } from "../../dist/store/embedded/database.js";

const NANOS_PER_MILLI = 1_000_000n;
const RESOURCE = { "service.name": "bench", "host.name": "bench-host" };
const CHUNK_POINTS = 20_000;

/** The series key of a catalog metric with extra labels. */
export function seriesKey(metricName, labels) {
  const metric = findMetric(metricName);
  if (metric === undefined)
    throw new Error(`not in the catalog: ${metricName}`);
  const histogram = metric.instrument === "histogram";
  const sum = /counter/.test(metric.instrument);
  return {
    metric: metric.name,
    kind: histogram ? "histogram" : sum ? "sum" : "gauge",
    unit: metric.unit,
    temporality: histogram || sum ? "cumulative" : "unspecified",
    monotonic: sum && !/updowncounter/.test(metric.instrument),
    labels: { ...RESOURCE, ...labels },
    buckets: metric.buckets,
  };
}

// A deterministic wobble, so runs compare like with like.
function wave(i, seriesIndex) {
  return 0.5 + 0.4 * Math.sin((i + seriesIndex * 7) / 50);
}

function pointAt(series, seriesIndex, i, timeNanos, startNanos) {
  const { buckets, ...key } = series;
  const w = wave(i, seriesIndex);
  if (key.kind === "gauge") {
    return {
      type: "number",
      series: key,
      timeNanos,
      startTimeNanos: startNanos,
      value: series.scale * w,
    };
  }
  if (key.kind === "sum") {
    return {
      type: "number",
      series: key,
      timeNanos,
      startTimeNanos: startNanos,
      value: Math.round(series.scale * i * (1 + w)),
    };
  }
  const bounds = buckets ?? [0.1, 1];
  // Ten observations per step, spread over the buckets.
  const perBucket = bounds.map((_, b) => (b % 3 === 0 ? 2 : 1));
  const total = perBucket.reduce((a, b) => a + b, 0) + 1;
  const bucketCounts = [...perBucket, 1].map((c) => BigInt(c * (i + 1)));
  return {
    type: "histogram",
    series: key,
    timeNanos,
    startTimeNanos: startNanos,
    count: BigInt(total * (i + 1)),
    sum: 0.05 * total * (i + 1) * (1 + w),
    bounds,
    bucketCounts,
  };
}

/**
 * Writes `steps` samples per series, `stepMillis` apart and ending at
 * `endMillis`, into `<dataDir>`; returns the number of points.
 * `series`: [{ metric, labels, scale }].
 */
export function writeDataset(
  dataDir,
  { series, steps, stepMillis, endMillis },
) {
  const keyed = series.map((s) => ({
    ...seriesKey(s.metric, s.labels),
    scale: s.scale ?? 1,
  }));
  const firstMillis = endMillis - (steps - 1) * stepMillis;
  const startNanos = BigInt(firstMillis - stepMillis) * NANOS_PER_MILLI;
  const db = EmbeddedDatabase.open(dataDir);
  let written = 0;
  try {
    let chunk = [];
    for (let i = 0; i < steps; i++) {
      const timeNanos = BigInt(firstMillis + i * stepMillis) * NANOS_PER_MILLI;
      for (let s = 0; s < keyed.length; s++)
        chunk.push(pointAt(keyed[s], s, i, timeNanos, startNanos));
      if (chunk.length >= CHUNK_POINTS) {
        written += db.ingest(chunk).samples;
        chunk = [];
      }
    }
    written += db.ingest(chunk).samples;
  } finally {
    db.close();
  }
  return written;
}

/** `count` series of one metric, told apart by one label. */
export function manySeries(metric, label, count, scale = 1) {
  return Array.from({ length: count }, (_, i) => ({
    metric,
    labels: { [label]: `${label}-${i}` },
    scale,
  }));
}

/** Fifty series across the metrics the report reads. */
export function reportSeries() {
  const some = (metric, label, values, scale) =>
    values.map((v) => ({ metric, labels: label ? { [label]: v } : {}, scale }));
  return [
    ...some(
      "system.cpu.utilization",
      "system.cpu.state",
      ["idle", "user", "system"],
      0.5,
    ),
    ...some(
      "system.memory.utilization",
      "system.memory.state",
      ["used", "free"],
      0.8,
    ),
    ...some(
      "system.filesystem.utilization",
      "system.filesystem.mountpoint",
      ["/", "/data"],
      0.6,
    ),
    ...some(
      "system.network.io",
      "network.io.direction",
      ["receive", "transmit"],
      1e5,
    ),
    ...some("system.disk.io", "disk.io.direction", ["read", "write"], 1e5),
    ...some("process.uptime", null, [""], 1e4),
    ...some("process.memory.usage", null, [""], 1e8),
    ...some("nodejs.eventloop.delay.p99", null, [""], 0.02),
    ...some("nodejs.eventloop.utilization", null, [""], 0.3),
    ...some("http.server.active_requests", null, [""], 5),
    ...some("td.sessions.active", null, [""], 20),
    ...some(
      "http.server.request.duration",
      "http.route",
      Array.from({ length: 10 }, (_, i) => `/api/r${i}`),
      1,
    ),
    ...["invoice", "contract", "letter", "report"].flatMap((type) =>
      ["success", "failure"].map((outcome) => ({
        metric: "td.documents.processed",
        labels: { "td.document.type": type, "td.document.outcome": outcome },
        scale: outcome === "success" ? 3 : 0.1,
      })),
    ),
    ...["templates", "fonts"].flatMap((cache) =>
      ["hit", "miss"].map((result) => ({
        metric: "td.cache.lookups",
        labels: { "td.cache.name": cache, "td.cache.result": result },
        scale: result === "hit" ? 9 : 1,
      })),
    ),
    ...some(
      "td.queue.length",
      "td.queue.name",
      ["render", "email", "pdf", "upload", "index"],
      10,
    ),
    ...some("td.users.active", "td.users.window", ["5m", "1h", "24h"], 100),
    ...some(
      "td.errors",
      "error.type",
      ["TimeoutError", "TypeError", "500"],
      0.1,
    ),
  ];
}
