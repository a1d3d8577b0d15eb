/**
 * What the collector tests start and stop: the built otelcol-td, a real
 * Prometheus and a stand-in for td-monitor's OTLP endpoint, all on loopback
 * ports the kernel hands out.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const repoRoot = join(import.meta.dirname, "..", "..");

/**
 * The collector binary: $OTELCOL_BIN, else the one build.sh built and still
 * matches the manifest; undefined when there is none.
 */
export function findCollector(): string | undefined {
  const fromEnv = process.env.OTELCOL_BIN;
  if (fromEnv) return fromEnv;
  const script = join(repoRoot, "otel-collector", "build.sh");
  const result = spawnSync("bash", [script, "--print-path"], {
    encoding: "utf8",
  });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The Prometheus server binary, from PATH or Debian's location. */
export function findPrometheus(): string | undefined {
  const which = spawnSync("bash", ["-c", "command -v prometheus"], {
    encoding: "utf8",
  });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  return existsSync("/usr/bin/prometheus") ? "/usr/bin/prometheus" : undefined;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") {
    throw new Error("BUG: no port from listen(0)");
  }
  return address.port;
}

/** A child process whose output is kept for failure messages. */
export interface Running {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function start(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Running {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    // The tail is what explains a failure; bound it all the same.
    output = (output + chunk.toString("utf8")).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve()),
  );
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Polls `check` until it returns a value, or throws after `timeoutMillis`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMillis: number,
  explain: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `timed out after ${timeoutMillis} ms waiting for ${what}` +
      (lastError ? ` (last error: ${String(lastError)})` : "") +
      `\n${explain()}`,
  );
}

/** One request as td-monitor's OTLP endpoint would have received it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body after gzip, if it was compressed. */
  body: Buffer;
}

/**
 * Stands in for `td-monitor collector`: accepts OTLP/HTTP on /v1/metrics
 * and answers 200, or 503 while `failing` is set.
 */
export async function startOtlpSink(port = 0) {
  const requests: ReceivedRequest[] = [];
  const state = { failing: false, rejected: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (state.failing) {
        state.rejected += 1;
        res.writeHead(503, { "retry-after": "1" }).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const gzip = req.headers["content-encoding"] === "gzip";
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: gzip ? gunzipSync(raw) : raw,
      });
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(port, "127.0.0.1", resolve),
  );
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("BUG: sink has no port");
  }
  return {
    port: address.port,
    requests,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts otelcol-td with the given configs and waits until its health check
 * answers on the port `env.TD_OTELCOL_HEALTH_ENDPOINT` names.
 */
export async function startCollector(
  bin: string,
  configs: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Running> {
  const health = options.env.TD_OTELCOL_HEALTH_ENDPOINT;
  if (!health) throw new Error("BUG: TD_OTELCOL_HEALTH_ENDPOINT not set");
  const running = start(
    bin,
    configs.flatMap((c) => ["--config", c]),
    options,
  );
  try {
    await waitFor(
      "the collector's health check",
      async () => ((await fetch(`http://${health}/`)).ok ? true : undefined),
      20_000,
      () => running.output().slice(-4000),
    );
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/** Loopback addresses for every port the configs open. */
export async function collectorPorts() {
  const [http, grpc, health, telemetry] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  return {
    otlpUrl: `http://127.0.0.1:${http}/v1/metrics`,
    env: {
      TD_OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
      TD_OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
      TD_OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      TD_OTELCOL_TELEMETRY_PORT: String(telemetry),
    },
  };
}

/** Posts an OTLP/JSON export request and returns the HTTP status. */
export async function sendOtlpJson(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}
