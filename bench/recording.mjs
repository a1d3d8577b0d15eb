/**
 * Recording cost: nanoseconds per counter add and histogram record through
 * our app meters, the raw OpenTelemetry SDK and prom-client, with tinybench.
 * Every task records BATCH values per call, so the timer's own cost is
 * spread thin; tasks of one round run back to back, rounds repeat and the
 * median of the rounds is kept.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import client from "prom-client";
import { Bench } from "tinybench";
import { createAppMetrics } from "../dist/index.js";
import { buildViews } from "../dist/metrics/views.js";
import { median } from "./lib/stats.mjs";
import { withRatios } from "./lib/results.mjs";

const BATCH = 1000;
// A few attribute values in turn, as a service sees a handful of types.
const TYPES = ["invoice", "contract", "letter", "report"];
const BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

// A reader that never fires: the SDK only aggregates into storage when a
// reader is registered, which is what a real app pays.
function otelProvider(views) {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 2 ** 31 - 1,
  });
  return new MeterProvider({ readers: [reader], views });
}

function ours() {
  const provider = otelProvider(buildViews());
  const app = createAppMetrics({ meterProvider: provider });
  return {
    provider,
    counter: (i) => app.cacheLookup(TYPES[i & 3], (i & 1) === 0),
    histogram: (i) => app.satisfaction(1 + (i & 3)),
    document: (i) =>
      app.documentProcessed({
        type: TYPES[i & 3],
        outcome: "success",
        durationSeconds: 0.01 * (i & 7),
      }),
  };
}

function rawOtel() {
  const provider = otelProvider([]);
  const meter = provider.getMeter("bench");
  const counter = meter.createCounter("bench.cache.lookups");
  const histogram = meter.createHistogram("bench.satisfaction", {
    advice: { explicitBucketBoundaries: [1, 2, 3, 4, 5] },
  });
  const documents = meter.createCounter("bench.documents");
  const duration = meter.createHistogram("bench.duration", {
    unit: "s",
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  return {
    provider,
    counter: (i) =>
      counter.add(1, {
        "td.cache.name": TYPES[i & 3],
        "td.cache.result": (i & 1) === 0 ? "hit" : "miss",
      }),
    histogram: (i) => histogram.record(1 + (i & 3)),
    document: (i) => {
      const attributes = {
        "td.document.type": TYPES[i & 3],
        "td.document.outcome": "success",
      };
      documents.add(1, attributes);
      duration.record(0.01 * (i & 7), attributes);
    },
  };
}

function promClient() {
  const registry = new client.Registry();
  const counter = new client.Counter({
    name: "bench_cache_lookups_total",
    help: "h",
    labelNames: ["cache", "result"],
    registers: [registry],
  });
  const histogram = new client.Histogram({
    name: "bench_satisfaction",
    help: "h",
    buckets: [1, 2, 3, 4, 5],
    registers: [registry],
  });
  const documents = new client.Counter({
    name: "bench_documents_total",
    help: "h",
    labelNames: ["type", "outcome"],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: "bench_duration_seconds",
    help: "h",
    labelNames: ["type", "outcome"],
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    provider: { shutdown: async () => registry.clear() },
    counter: (i) =>
      counter.inc({
        cache: TYPES[i & 3],
        result: (i & 1) === 0 ? "hit" : "miss",
      }),
    histogram: (i) => histogram.observe(1 + (i & 3)),
    document: (i) => {
      const labels = { type: TYPES[i & 3], outcome: "success" };
      documents.inc(labels);
      duration.observe(labels, 0.01 * (i & 7));
    },
  };
}

const OPERATIONS = {
  "counter add (2 attributes)": "counter",
  "histogram record (no attributes)": "histogram",
  "document: counter add + histogram record (2 attributes)": "document",
};

function batched(fn) {
  return () => {
    for (let i = 0; i < BATCH; i++) fn(i);
  };
}

async function oneRound(libraries, timeMillis) {
  const bench = new Bench({ time: timeMillis, warmupTime: timeMillis / 4 });
  for (const [library, ops] of Object.entries(libraries)) {
    for (const [operation, key] of Object.entries(OPERATIONS)) {
      bench.add(`${library}|${operation}`, batched(ops[key]));
    }
  }
  await bench.run();
  return bench.tasks.map((task) => ({
    name: task.name,
    nanos: (task.result.latency.p50 * 1e6) / BATCH,
  }));
}

/** Runs the benchmark; `timeMillis` and `rounds` shrink it for tests. */
export async function run({ quick = false, timeMillis, rounds } = {}) {
  const time = timeMillis ?? (quick ? 150 : 600);
  const roundCount = rounds ?? (quick ? 3 : 7);
  const libraries = {
    "td-monitoring meters": ours(),
    "OpenTelemetry SDK": rawOtel(),
    "prom-client": promClient(),
  };
  const samples = new Map();
  try {
    for (let round = 0; round < roundCount; round++) {
      for (const { name, nanos } of await oneRound(libraries, time)) {
        samples.set(name, [...(samples.get(name) ?? []), nanos]);
      }
    }
  } finally {
    for (const lib of Object.values(libraries)) await lib.provider.shutdown();
  }
  const rows = [...samples].map(([name, values]) => {
    const [library, operation] = name.split("|");
    return {
      case: library,
      measure: operation,
      value: median(values),
      unit: "ns/op",
    };
  });
  return {
    id: "recording",
    title: "Recording cost",
    baseline: "prom-client",
    rows: withRatios(rows, "prom-client"),
    notes: [
      `tinybench, ${BATCH} operations per timed call, ${time} ms per task and round, ${roundCount} rounds; the value is the median over rounds of each round's median, divided by ${BATCH}.`,
      "Our meters and the raw SDK record on a MeterProvider with one (never firing) periodic reader, cumulative temporality; ours with the catalog's views. Attribute values rotate over four document types.",
    ],
  };
}
