/**
 * A real Prometheus for tests (Debian's `prometheus` and `promtool`): started
 * on a free 127.0.0.1 port in a temporary directory, optionally with data
 * backfilled from an OpenMetrics text first, and stopped with everything it
 * wrote removed.
 *
 * @example
 * const prometheus = await startPrometheus({ openMetrics: "up 1 1700000000\n# EOF\n" });
 * try { await fetch(`${prometheus.url}/api/v1/query?query=up`) } finally { await prometheus.stop() }
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A running Prometheus. */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly directory: string;
  /** Stops the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** What to start Prometheus with. */
export interface StartPrometheusOptions {
  /** OpenMetrics text (ending in `# EOF`) backfilled with promtool before start. */
  readonly openMetrics?: string;
  /** Extra command-line flags. */
  readonly args?: readonly string[];
  /** How long to wait for /-/ready. Default 30000. */
  readonly readyTimeoutMillis?: number;
}

/** Whether the prometheus and promtool binaries are installed. */
export async function prometheusInstalled(): Promise<boolean> {
  try {
    await run("promtool", ["--version"]);
    await run("prometheus", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** Starts a Prometheus; rejects (after cleaning up) when it does not become ready. */
export async function startPrometheus(
  options: StartPrometheusOptions = {},
): Promise<PrometheusServer> {
  const directory = await mkdtemp(join(tmpdir(), "td-prometheus-"));
  const data = join(directory, "data");
  try {
    if (options.openMetrics !== undefined) {
      const input = join(directory, "backfill.om");
      await writeFile(input, options.openMetrics);
      await run("promtool", [
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        input,
        data,
      ]);
    }
    const config = join(directory, "prometheus.yml");
    await writeFile(config, "global:\n  scrape_interval: 1h\n");
    const port = await freePort();
    const child = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Backfilled blocks may be far in the past; keep them.
        "--storage.tsdb.retention.time=100y",
        "--web.enable-remote-write-receiver",
        ...(options.args ?? []),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const log = collect(child);
    const url = `http://127.0.0.1:${port}`;
    const server = {
      url,
      directory,
      stop: once(async () => {
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      }),
    };
    try {
      await waitReady(url, child, options.readyTimeoutMillis ?? 30_000, log);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

function collect(child: ChildProcess): () => string {
  let text = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  });
  return () => text;
}

async function waitReady(
  url: string,
  child: ChildProcess,
  timeoutMillis: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with ${child.exitCode}:\n${log()}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `prometheus at ${url} not ready within ${timeoutMillis} ms:\n${log()}`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= action());
}
