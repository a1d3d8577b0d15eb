/**
 * The metric readers the configuration asks for: OTLP/HTTP (protobuf or
 * JSON) and the console on a periodic reader, Prometheus as a pull endpoint.
 */
import http from "node:http";
import { diag } from "@opentelemetry/api";
import type * as PrometheusModule from "@opentelemetry/exporter-prometheus";
import { withPrometheusNames } from "./prometheus-names.js";
import {
  ConsoleMetricExporter,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import type { MonitoringConfig } from "./config.js";
import { loadPackage } from "./load.js";
import { createOtlpExporter } from "./otlp-exporter.js";

/** The readers, and what else must be closed when they are. */
export interface Readers {
  readonly readers: IMetricReader[];
  /**
   * Fails every export still in flight or waiting to retry, and any later
   * one. For shutdown, once the bound is reached: the SDK's own export
   * timers hold the process open until their export settles, so the export
   * must settle now.
   * @returns how many exports were abandoned
   */
  abortExports(): number;
  /**
   * For the export at exit: a collector that cannot be reached (refused, no
   * route) is tried once more, not retried with backoff until the bound.
   */
  beginFinalFlush(): void;
  /** Closes what the readers opened beside themselves (the Prometheus server). */
  close(): Promise<void>;
}

/**
 * Builds the readers of `config.exporters`. `ignoredServers` receives the
 * Prometheus endpoint's server, whose scrapes are not app traffic.
 */
export function buildReaders(
  config: MonitoringConfig,
  ignoredServers: WeakSet<object>,
): Readers {
  const readers: IMetricReader[] = [];
  const closers: Array<() => Promise<void>> = [];
  const aborts: Array<() => number> = [];
  const finalFlushes: Array<() => void> = [];
  for (const name of config.exporters) {
    if (name === "otlp") {
      const otlp = createOtlpExporter(config.otlp);
      readers.push(periodicReader(otlp.exporter, config));
      aborts.push(otlp.abort);
      finalFlushes.push(otlp.beginFinalFlush);
    } else if (name === "console") {
      readers.push(periodicReader(new ConsoleMetricExporter(), config));
    } else {
      const { reader, close } = prometheusReader(config, ignoredServers);
      readers.push(reader);
      closers.push(close);
    }
  }
  return {
    readers,
    abortExports: () => aborts.reduce((sum, abort) => sum + abort(), 0),
    beginFinalFlush: () => {
      for (const begin of finalFlushes) begin();
    },
    close: async () => {
      await Promise.all(closers.map((close) => close()));
    },
  };
}

function periodicReader(
  exporter: PushMetricExporter,
  { exportIntervalMillis, exportTimeoutMillis }: MonitoringConfig,
): PeriodicExportingMetricReader {
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis,
    exportTimeoutMillis,
  });
}

function prometheusReader(
  { prometheus }: MonitoringConfig,
  ignoredServers: WeakSet<object>,
): { reader: IMetricReader; close: () => Promise<void> } {
  const { PrometheusExporter, PrometheusSerializer } = loadPackage<
    typeof PrometheusModule
  >("@opentelemetry/exporter-prometheus");
  // The exporter's own server would keep the app from exiting and would
  // listen on every interface; ours is unreferenced and on 127.0.0.1 unless
  // OTEL_EXPORTER_PROMETHEUS_HOST says otherwise.
  const reader = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const server = http.createServer((request, response) => {
    if (new URL(request.url ?? "/", "http://x").pathname === "/metrics") {
      void serveScrape(reader, serializer, response);
    } else {
      response.writeHead(404).end("td-monitoring serves /metrics only\n");
    }
  });
  ignoredServers.add(server);
  server.on("error", (error) =>
    diag.warn(
      `td-monitoring: Prometheus endpoint on ${prometheus.host}:${prometheus.port} failed`,
      error,
    ),
  );
  server.listen(prometheus.port, prometheus.host).unref();
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return { reader, close };
}

// A scrape collects, renames as the collector would, and serializes.
async function serveScrape(
  reader: PrometheusModule.PrometheusExporter,
  serializer: PrometheusModule.PrometheusSerializer,
  response: http.ServerResponse,
): Promise<void> {
  try {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) {
      diag.warn("td-monitoring: some metrics failed to collect", ...errors);
    }
    const body = serializer.serialize(withPrometheusNames(resourceMetrics));
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    response.end(body);
  } catch (error) {
    response.writeHead(500, { "content-type": "text/plain" });
    response.end(
      `# td-monitoring failed to collect metrics: ${String(error)}\n`,
    );
  }
}
