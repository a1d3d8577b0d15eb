/**
 * Ingestion: points per second into the embedded store over OTLP/HTTP, the
 * requests serialized by the SDK exporter's own serializers (protobuf and
 * JSON) from real collections, sent one at a time as the exporter sends them
 * to a running `td-monitor collector`. Direct `EmbeddedDatabase.ingest` of
 * the same points is the ceiling; the decode and convert steps are timed
 * apart to say where the time goes.
 */
import {
  JsonMetricsSerializer,
  ProtobufMetricsSerializer,
} from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { decodeExportRequest } from "../dist/receiver/decode.js";
import { toIngestPoints } from "../dist/receiver/points.js";
import { EmbeddedDatabase } from "../dist/store/embedded/database.js";
import { makeTemp, rmTemp, startCollector } from "./lib/collector.mjs";
import { interleave, median, millisSince } from "./lib/stats.mjs";
import { withRatios } from "./lib/results.mjs";

// One request's worth of series, like a service with a few dozen routes.
const COUNTERS = 400;
const GAUGES = 400;
const HISTOGRAMS = 200;
export const POINTS_PER_REQUEST = COUNTERS + GAUGES + HISTOGRAMS;

class CollectingReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/** `count` collections of one provider: each a fresh timestamp, so every request adds new samples. */
export async function collectRequests(count) {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      "service.name": "bench",
      "host.name": "bench-host",
    }),
    readers: [reader],
  });
  const meter = provider.getMeter("bench");
  const counter = meter.createCounter("td.documents.processed");
  const gauge = meter.createGauge("td.queue.length");
  const histogram = meter.createHistogram("http.server.request.duration", {
    unit: "s",
  });
  const collections = [];
  for (let c = 0; c < count; c++) {
    for (let i = 0; i < COUNTERS; i++)
      counter.add(1 + c, { "td.document.type": `type-${i}` });
    for (let i = 0; i < GAUGES; i++)
      gauge.record(i + c, { "td.queue.name": `queue-${i}` });
    for (let i = 0; i < HISTOGRAMS; i++)
      histogram.record(0.001 * (i + c), { "http.route": `/route/${i}` });
    const { resourceMetrics } = await reader.collect();
    collections.push(resourceMetrics);
    // The next collection must carry a later time (nanosecond stamps from ms clocks).
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await provider.shutdown();
  return collections;
}

const ENCODINGS = {
  protobuf: {
    serializer: ProtobufMetricsSerializer,
    type: "application/x-protobuf",
  },
  json: { serializer: JsonMetricsSerializer, type: "application/json" },
};

async function postAll(url, bodies, contentType) {
  const start = process.hrtime.bigint();
  for (const body of bodies) {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": contentType },
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`collector answered ${response.status}`);
  }
  return millisSince(start);
}

function directIngest(pointSets) {
  const dir = makeTemp("ingest");
  const db = EmbeddedDatabase.open(dir);
  try {
    const start = process.hrtime.bigint();
    for (const points of pointSets) db.ingest(points);
    return millisSince(start);
  } finally {
    db.close();
    rmTemp(dir);
  }
}

/** Microseconds per point of decoding and converting one encoding. */
function decodeCost(bodies, encoding) {
  const start = process.hrtime.bigint();
  for (const body of bodies)
    toIngestPoints(decodeExportRequest(body, encoding));
  return (millisSince(start) * 1000) / (bodies.length * POINTS_PER_REQUEST);
}

export async function run({ quick = false, requests, rounds } = {}) {
  const perRound = requests ?? (quick ? 15 : 60);
  const roundCount = rounds ?? (quick ? 3 : 5);
  // Fresh samples for every round and encoding, so none replaces another.
  const names = ["protobuf", "json", "direct ingest"];
  const collections = await collectRequests(
    perRound * roundCount * names.length,
  );
  const batches = new Map(names.map((n, i) => [n, i]));
  const slice = (name, round) => {
    const from = (round * names.length + batches.get(name)) * perRound;
    return collections.slice(from, from + perRound);
  };
  const collector = await startCollector();
  const decodeMicros = { protobuf: [], json: [] };
  try {
    const measured = await interleave(
      names,
      roundCount,
      async (name, round) => {
        const requestsOfRound = slice(name, round);
        if (name === "direct ingest") {
          const body = requestsOfRound.map((rm) =>
            ProtobufMetricsSerializer.serializeRequest(rm),
          );
          const points = body.map(
            (b) => toIngestPoints(decodeExportRequest(b, "protobuf")).points,
          );
          return directIngest(points);
        }
        const { serializer, type } = ENCODINGS[name];
        const bodies = requestsOfRound.map((rm) =>
          serializer.serializeRequest(rm),
        );
        decodeMicros[name].push(decodeCost(bodies, name));
        return postAll(collector.url, bodies, type);
      },
    );
    const rows = [];
    for (const [name, millis] of measured) {
      rows.push({
        case:
          name === "direct ingest"
            ? "EmbeddedDatabase.ingest (no HTTP, no decoding)"
            : `OTLP/HTTP ${name} → collector`,
        measure: "points/s",
        value: (perRound * POINTS_PER_REQUEST) / (median(millis) / 1000),
        unit: "points/s",
      });
    }
    for (const encoding of ["protobuf", "json"]) {
      rows.push({
        case: `decode + convert, ${encoding} (in process)`,
        measure: "µs/point",
        value: median(decodeMicros[encoding]),
        unit: "µs",
      });
    }
    return {
      id: "ingestion",
      title: "Ingestion",
      baseline: "OTLP/HTTP protobuf → collector",
      rows: withRatios(rows, "OTLP/HTTP protobuf → collector"),
      notes: [
        `${perRound} requests of ${POINTS_PER_REQUEST} points (${COUNTERS} counter, ${GAUGES} gauge, ${HISTOGRAMS} histogram points) per round and encoding, serialized by the SDK's ProtobufMetricsSerializer / JsonMetricsSerializer from real collections, sent one after another (as the exporter does); ${roundCount} rounds, interleaved; medians. Every request adds new samples (fresh timestamps).`,
        "The collector commits each request with synchronous=FULL (durable before it answers 200); so does the direct ingest, one transaction per request.",
      ],
    };
  } finally {
    await collector.stop();
  }
}
