/**
 * The parts of the end-to-end pipeline, each started as a real process on
 * loopback ports: Prometheus (remote-write receiver, alerting rules),
 * Alertmanager, `td-monitor collector`, otelcol-td with the shipped config,
 * the demo service under `--import td-monitoring/register`, the alert
 * evaluator and the demo's load generator.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { findCollector, repoRoot, waitFor } from "../collector/harness.js";
import { startProcess, type Process } from "./processes.js";

const run = promisify(execFile);

export const CLI = join(repoRoot, "dist", "cli", "main.js");
const SERVICE = join(repoRoot, "examples", "td-generator-service");

/** What the test needs and did not find; empty when everything is there. */
export async function missingPrerequisites(): Promise<{
  otelcol: string | undefined;
  missing: string[];
}> {
  const missing: string[] = [];
  const bin = findCollector();
  const otelcol = bin !== undefined && existsSync(bin) ? bin : undefined;
  if (otelcol === undefined) {
    missing.push(
      "otelcol-td (run otel-collector/build.sh, or set OTELCOL_BIN)",
    );
  }
  for (const command of ["prometheus", "prometheus-alertmanager"]) {
    try {
      await run(command, ["--version"]);
    } catch {
      missing.push(`${command} (Debian package)`);
    }
  }
  if (!existsSync(CLI)) missing.push(`${CLI} (npm run build)`);
  return { otelcol, missing };
}

/** A process the test may stop and start again on the same port and data. */
export interface Restartable {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

async function waitHttpOk(
  url: string,
  process: Process,
  timeoutMillis: number,
): Promise<void> {
  await waitFor(
    `${process.name} at ${url}`,
    async () => {
      if (process.child.exitCode !== null) {
        throw new Error(`${process.name} exited ${process.child.exitCode}`);
      }
      return (await fetch(url)).ok ? true : undefined;
    },
    timeoutMillis,
    () => process.output().slice(-4000),
  );
}

function restartable(url: string, launch: () => Promise<Process>): Restartable {
  let current: Process | undefined;
  let lastOutput = "";
  return {
    url,
    async start() {
      current = await launch();
    },
    async stop() {
      await current?.stop();
      lastOutput = current?.output() ?? lastOutput;
      current = undefined;
    },
    output: () => current?.output() ?? lastOutput,
  };
}

/**
 * Prometheus with its remote-write receiver, evaluating `rulesFile` every
 * 5 s; its TSDB stays in `directory` across restarts.
 */
export async function prometheus(
  directory: string,
  port: number,
  rulesFile: string,
): Promise<Restartable> {
  await mkdir(directory, { recursive: true });
  const config = join(directory, "prometheus.yml");
  // No scrape targets: every series arrives by remote write.
  await writeFile(
    config,
    [
      "global:",
      "  scrape_interval: 1h",
      "  evaluation_interval: 5s",
      "rule_files:",
      `  - ${JSON.stringify(rulesFile)}`,
      "",
    ].join("\n"),
  );
  const url = `http://127.0.0.1:${port}`;
  return restartable(url, async () => {
    const child = startProcess(
      "prometheus",
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(directory, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
      ],
      { cwd: directory, env: process.env },
    );
    await waitHttpOk(`${url}/-/ready`, child, 30_000);
    return child;
  });
}

/** Alertmanager routing everything to a receiver that sends nothing. */
export async function alertmanager(
  directory: string,
  port: number,
): Promise<Restartable> {
  await mkdir(directory, { recursive: true });
  const config = join(directory, "alertmanager.yml");
  await writeFile(
    config,
    "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
  );
  const url = `http://127.0.0.1:${port}`;
  return restartable(url, async () => {
    const child = startProcess(
      "alertmanager",
      "prometheus-alertmanager",
      [
        `--config.file=${config}`,
        `--storage.path=${join(directory, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // A single instance: no gossip port.
        "--cluster.listen-address=",
      ],
      { cwd: directory, env: process.env },
    );
    await waitHttpOk(`${url}/-/ready`, child, 30_000);
    return child;
  });
}

/** `td-monitor collector` storing in `dataDir`. */
export function tdMonitorCollector(dataDir: string, port: number): Restartable {
  return restartable(`http://127.0.0.1:${port}`, async () => {
    const child = startProcess(
      "td-monitor collector",
      process.execPath,
      [
        CLI,
        "collector",
        "--listen",
        `127.0.0.1:${port}`,
        "--data-dir",
        dataDir,
        "--log-interval",
        "10s",
      ],
      { cwd: repoRoot, env: process.env },
    );
    await child.waitForOutput(/receiving OTLP\/HTTP metrics/, 30_000);
    return child;
  });
}

/**
 * otelcol-td with otel-collector/config.yaml as shipped, every endpoint and
 * path moved by the environment variables its README documents.
 */
export function otelcol(
  bin: string,
  env: Record<string, string>,
  workDir: string,
): Restartable {
  const health = env.TD_OTELCOL_HEALTH_ENDPOINT;
  if (health === undefined) {
    throw new Error("BUG: TD_OTELCOL_HEALTH_ENDPOINT not set");
  }
  return restartable(`http://${health}`, async () => {
    const child = startProcess(
      "otelcol-td",
      bin,
      ["--config", join(repoRoot, "otel-collector", "config.yaml")],
      { cwd: workDir, env: { ...process.env, ...env } },
    );
    await waitHttpOk(`http://${health}/`, child, 30_000);
    return child;
  });
}

/** The demo service, instrumented by the register entry only. */
export async function demoService(
  env: Record<string, string>,
): Promise<{ url: string; process: Process }> {
  // OTEL_* of the shell running the tests must not reach the service.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")),
  );
  const child = startProcess(
    "td-generator-service",
    process.execPath,
    ["--import", "td-monitoring/register", "server.mjs"],
    { cwd: SERVICE, env: { ...base, PORT: "0", ...env } },
  );
  const [, url] = await child.waitForOutput(
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    30_000,
  );
  if (url === undefined) throw new Error("BUG: no URL in the match");
  return { url, process: child };
}

/** `td-monitor alerts evaluate --every`, reading from `store`. */
export function alertEvaluator(options: {
  rulesFile: string;
  store: string;
  dataDir: string;
  every: string;
  env: Record<string, string>;
}): Process {
  return startProcess(
    "td-monitor alerts evaluate",
    process.execPath,
    [
      CLI,
      "alerts",
      "evaluate",
      "--rules",
      options.rulesFile,
      "--store",
      options.store,
      "--every",
      options.every,
      "--data-dir",
      options.dataDir,
    ],
    { cwd: repoRoot, env: { ...process.env, ...options.env } },
  );
}

/** Per phase of the demo's load: its name, requests completed and non-2xx answers. */
export interface LoadResult {
  readonly phase: string;
  readonly requests: number;
  readonly errors: number;
}

/**
 * The demo's own load generator (examples/td-generator-service/load.mjs:
 * warm-up, steady, incident, recovery) in a process of its own, so that
 * autocannon does not compete with the test's event loop.
 */
export function demoLoad(baseUrl: string, durationSeconds: number) {
  const script = [
    `import { runLoad } from ${JSON.stringify(join(SERVICE, "load.mjs"))};`,
    `const results = await runLoad({ baseUrl: ${JSON.stringify(baseUrl)}, durationSeconds: ${durationSeconds} });`,
    "console.log('LOAD ' + JSON.stringify(results));",
  ].join("\n");
  const child = startProcess(
    "load",
    process.execPath,
    ["--input-type=module", "-e", script],
    { cwd: SERVICE, env: process.env },
  );
  return {
    process: child,
    async results(timeoutMillis: number): Promise<LoadResult[]> {
      const [, json] = await child.waitForOutput(
        /LOAD (\[.*\])/,
        timeoutMillis,
      );
      return JSON.parse(json ?? "[]") as LoadResult[];
    },
  };
}

/** Runs the CLI to completion and returns its stdout. */
export async function cli(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
