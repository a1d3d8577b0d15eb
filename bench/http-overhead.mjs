/**
 * HTTP overhead: one server (node:http and Express) under autocannon on
 * loopback, with nothing, with td-monitoring/register, with the OpenTelemetry
 * auto-instrumentations register and with prom-client. Variants run
 * interleaved, a fresh server per run; medians of the rounds.
 */
import path from "node:path";
import autocannon from "autocannon";
import { ROOT, startCollector } from "./lib/collector.mjs";
import {
  interleave,
  median,
  peakRssMiB,
  spawnUntil,
  stopChild,
} from "./lib/stats.mjs";
import { withRatios } from "./lib/results.mjs";

const SERVER = path.join(ROOT, "bench/apps/server.cjs");
const EXPORT_INTERVAL_MILLIS = 2000;
const CONNECTIONS = 10;

/** How each variant starts the server: node flags and environment. */
function variants(collector) {
  const otlp = {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf",
    OTEL_METRIC_EXPORT_INTERVAL: String(EXPORT_INTERVAL_MILLIS),
    OTEL_SERVICE_NAME: "bench",
  };
  return {
    none: { args: [], env: {} },
    "td-monitoring/register": {
      args: ["--require", "td-monitoring/register"],
      env: otlp,
    },
    "OTel auto-instrumentations": {
      args: ["--require", "@opentelemetry/auto-instrumentations-node/register"],
      env: {
        ...otlp,
        OTEL_METRICS_EXPORTER: "otlp",
        // Metrics only, like ours: no spans exported, no log records.
        OTEL_TRACES_EXPORTER: "none",
        OTEL_LOGS_EXPORTER: "none",
        // The cloud detectors would ask metadata servers off this host.
        OTEL_NODE_RESOURCE_DETECTORS: "env,host,os,process",
      },
    },
    "prom-client": { args: [], env: { BENCH_PROM: "1" }, scrape: true },
  };
}

async function startServer(variant, framework) {
  const env = {
    ...process.env,
    ...variant.env,
    BENCH_FRAMEWORK: framework,
    NODE_ENV: "production",
  };
  const { child, line } = await spawnUntil(
    process.execPath,
    [...variant.args, SERVER],
    { env, cwd: ROOT, ready: (l) => l.startsWith("listening ") },
  );
  return { child, port: Number(line.split(" ")[1]) };
}

function load(url, durationSeconds) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationSeconds,
  });
}

// prom-client is scraped as Prometheus would, at the OTLP export interval.
function scrapeEvery(port) {
  const timer = setInterval(() => {
    fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => {},
    );
  }, EXPORT_INTERVAL_MILLIS);
  return () => clearInterval(timer);
}

async function measureOnce(variant, framework, options) {
  const server = await startServer(variant, framework);
  const url = `http://127.0.0.1:${server.port}/hello/42`;
  const stopScraping = variant.scrape ? scrapeEvery(server.port) : () => {};
  try {
    if (options.warmupSeconds > 0) await load(url, options.warmupSeconds);
    const result = await load(url, options.durationSeconds);
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      rss: peakRssMiB(server.child.pid),
      errors: result.errors + result.non2xx,
    };
  } finally {
    stopScraping();
    await stopChild(server.child);
  }
}

function rowsOf(framework, measured) {
  const rows = [];
  for (const [name, runs] of measured) {
    const label = `${framework}: ${name}`;
    rows.push(
      {
        case: label,
        measure: "requests/s",
        value: median(runs.map((r) => r.rps)),
        unit: "req/s",
      },
      {
        case: label,
        measure: "p99 latency",
        value: median(runs.map((r) => r.p99)),
        unit: "ms",
      },
      {
        case: label,
        measure: "peak RSS",
        value: median(runs.map((r) => r.rss)),
        unit: "MiB",
      },
    );
  }
  return withRatios(rows, `${framework}: none`);
}

/**
 * Runs the benchmark; `quick` shortens runs and rounds, and `rounds`,
 * `durationSeconds` and `warmupSeconds` (0: none) override either mode's.
 */
export async function run({ quick = false, ...overrides } = {}) {
  const modes = {
    quick: { rounds: 2, durationSeconds: 4, warmupSeconds: 1 },
    full: { rounds: 5, durationSeconds: 10, warmupSeconds: 2 },
  };
  const options = { ...modes[quick ? "quick" : "full"] };
  for (const key of Object.keys(options))
    if (overrides[key] !== undefined) options[key] = overrides[key];
  const collector = await startCollector();
  try {
    const all = variants(collector);
    const names = Object.keys(all);
    const rows = [];
    let errors = 0;
    for (const framework of ["plain", "express"]) {
      const measured = await interleave(names, options.rounds, (name) =>
        measureOnce(all[name], framework, options),
      );
      for (const runs of measured.values())
        errors += runs.reduce((n, r) => n + r.errors, 0);
      rows.push(...rowsOf(framework, measured));
    }
    return {
      id: "http-overhead",
      title: "HTTP overhead",
      baseline: "the same server with nothing (per framework)",
      rows,
      notes: [
        `autocannon, ${CONNECTIONS} connections on loopback, ${options.durationSeconds} s per run after ${options.warmupSeconds} s of warm-up; ${options.rounds} rounds, variants interleaved (order rotated each round), a fresh server per run; medians of the rounds. Load generator and server share the machine's cores.`,
        `OTLP variants export every ${EXPORT_INTERVAL_MILLIS / 1000} s (OTEL_METRIC_EXPORT_INTERVAL) over http/protobuf to a real \`td-monitor collector\`; prom-client (default metrics plus a latency histogram) is scraped over HTTP every ${EXPORT_INTERVAL_MILLIS / 1000} s.`,
        "auto-instrumentations: the package's register with its default instrumentations, OTEL_TRACES_EXPORTER=none and OTEL_LOGS_EXPORTER=none (metrics only, as ours), resource detectors env,host,os,process.",
        `p99 in whole milliseconds (autocannon's resolution). Peak RSS is the server's VmHWM. Failed or non-2xx responses over all runs: ${errors}.`,
      ],
    };
  } finally {
    await collector.stop();
  }
}
