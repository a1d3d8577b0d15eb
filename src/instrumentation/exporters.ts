/**
 * The metric readers the configuration asks for: OTLP/HTTP (protobuf or
 * JSON) and the console on a periodic reader, Prometheus as a pull endpoint.
 */
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { diag } from "@opentelemetry/api";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OtlpJsonExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OtlpProtobufExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import {
  ConsoleMetricExporter,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import {
  redactUrl,
  type MonitoringConfig,
  type OtlpConfig,
  type TemporalityPreference,
} from "./config.js";

/** The readers, and what else must be closed when they are. */
export interface Readers {
  readonly readers: IMetricReader[];
  /**
   * Fails every export still in flight and any later one. For shutdown,
   * once the bound is reached: the SDK's own export timers hold the process
   * open until their export settles, so the export must settle now.
   */
  abortExports(): void;
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
  const sockets = new ExportSockets();
  for (const name of config.exporters) {
    if (name === "otlp") {
      const exporter = createOtlpExporter(config.otlp, sockets);
      readers.push(periodicReader(exporter, config));
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
    abortExports: () => sockets.abort(),
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

const TEMPORALITY: Record<
  TemporalityPreference,
  AggregationTemporalityPreference
> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

// The variables already read by `readMonitoringConfig`. The exporters would
// read them again and warn a second time about the same bad value, so they
// are hidden while an exporter is built; their values reach it explicitly.
const OTLP_VARIABLES = [
  "ENDPOINT",
  "HEADERS",
  "TIMEOUT",
  "COMPRESSION",
  "PROTOCOL",
].flatMap((suffix) => [
  `OTEL_EXPORTER_OTLP_${suffix}`,
  `OTEL_EXPORTER_OTLP_METRICS_${suffix}`,
]);

/** An OTLP/HTTP exporter for the configured protocol. */
export function createOtlpExporter(
  otlp: OtlpConfig,
  sockets = new ExportSockets(),
): PushMetricExporter {
  const options = {
    url: otlp.url,
    headers: { ...otlp.headers },
    timeoutMillis: otlp.timeoutMillis,
    compression: otlp.compression,
    temporalityPreference: TEMPORALITY[otlp.temporality],
    httpAgentOptions: (protocol: string) => sockets.createAgent(protocol),
  } as ConstructorParameters<typeof OtlpJsonExporter>[0];
  diag.debug(
    `td-monitoring: exporting ${otlp.protocol} to ${redactUrl(otlp.url)}`,
  );
  return withHiddenVariables(OTLP_VARIABLES, () =>
    otlp.protocol === "http/json"
      ? new OtlpJsonExporter(options)
      : new OtlpProtobufExporter(options),
  );
}

function withHiddenVariables<T>(names: readonly string[], build: () => T): T {
  const saved = new Map<string, string>();
  for (const name of names) {
    const value = process.env[name];
    if (value === undefined) continue;
    saved.set(name, value);
    delete process.env[name];
  }
  try {
    return build();
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

/**
 * The exporter's connections. Its sockets do not hold the process open: an
 * export in flight must not delay the app's exit beyond the shutdown bound,
 * which a referenced timer enforces instead (see `shutdown.ts`). Once
 * aborted, open sockets are destroyed and new ones fail at once.
 */
export class ExportSockets {
  private readonly open = new Set<Duplex>();
  private aborted = false;

  /** An agent for the exporter's `httpAgentOptions` factory. */
  createAgent(protocol: string): http.Agent {
    const Agent = protocol === "https:" ? https.Agent : http.Agent;
    const agent = new Agent({ keepAlive: true });
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof createConnection>) => {
      const socket = createConnection(...args);
      if (socket) this.track(socket);
      return socket;
    };
    return agent;
  }

  abort(): void {
    this.aborted = true;
    if (this.open.size > 0) {
      diag.debug(`td-monitoring: abandoning ${this.open.size} export(s)`);
    }
    for (const socket of this.open) socket.destroy(abortError());
  }

  private track(socket: Duplex): void {
    (socket as Duplex & { unref?: () => void }).unref?.();
    if (this.aborted) {
      socket.destroy(abortError());
      return;
    }
    this.open.add(socket);
    socket.once("close", () => this.open.delete(socket));
  }
}

// Carries no network error code, so the exporter does not retry it.
function abortError(): Error {
  return new Error("td-monitoring: export abandoned at shutdown");
}

function prometheusReader(
  { prometheus }: MonitoringConfig,
  ignoredServers: WeakSet<object>,
): { reader: PrometheusExporter; close: () => Promise<void> } {
  // The exporter's own server would keep the app from exiting and would
  // listen on every interface; ours is unreferenced and on 127.0.0.1 unless
  // OTEL_EXPORTER_PROMETHEUS_HOST says otherwise.
  const reader = new PrometheusExporter({ preventServerStart: true });
  const server = http.createServer((request, response) => {
    if (new URL(request.url ?? "/", "http://x").pathname === "/metrics") {
      reader.getMetricsRequestHandler(request, response);
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
