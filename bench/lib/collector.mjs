/**
 * The embedded `td-monitor collector` as the benchmarks' OTLP sink: a real
 * child process on a free loopback port, storing into a temporary directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnUntil, stopChild } from "./stats.mjs";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = path.join(ROOT, "dist/cli/main.js");

/** A temporary directory the caller removes with `rmTemp`. */
export function makeTemp(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), `td-bench-${prefix}-`));
}

export function rmTemp(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Starts a collector; `stop()` ends it and removes its data directory. */
export async function startCollector() {
  const dataDir = makeTemp("collector");
  const { child, line } = await spawnUntil(
    process.execPath,
    [
      CLI,
      "collector",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--json",
    ],
    { env: process.env, ready: (l) => l.includes('"listening"') },
  );
  const { url } = JSON.parse(line);
  return {
    url,
    endpoint: url.replace(/\/v1\/metrics$/, ""),
    dataDir,
    async stop() {
      await stopChild(child);
      rmTemp(dataDir);
    },
  };
}
