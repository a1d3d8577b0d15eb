/** Small statistics and process helpers shared by the benchmarks. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `measure(variant)` for every variant, round after round, rotating the
 * order each round so that no variant always runs first (when the machine is
 * warm or busy); returns each variant's measurements in round order.
 */
export async function interleave(variants, rounds, measure) {
  const results = new Map(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const order = variants.map(
      (_, i) => variants[(i + round) % variants.length],
    );
    for (const variant of order)
      results.get(variant).push(await measure(variant, round));
  }
  return results;
}

/** Milliseconds since an hrtime.bigint() stamp. */
export function millisSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The peak resident set of a live process, in MiB, from /proc (Linux). */
export function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * Starts a child and resolves once a line of its standard output passes
 * `ready` (with that line), or rejects with its stderr when it exits or takes
 * longer than `timeoutMillis`.
 */
export function spawnUntil(
  command,
  args,
  { env, ready, timeoutMillis = 20_000, cwd },
) {
  const child = spawn(command, args, {
    env,
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${args.join(" ")} not ready in ${timeoutMillis} ms: ${stderr}`,
        ),
      );
    }, timeoutMillis);
    const onData = (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop();
      for (const line of lines) {
        if (!ready(line)) continue;
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.stdout.resume();
        resolve({ child, line, stderr: () => stderr });
        return;
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${args.join(" ")} exited (${code ?? signal}) before ready: ${stderr}`,
        ),
      );
    });
  });
}

/** Sends SIGTERM, then SIGKILL after `graceMillis`; resolves when the child is gone. */
export function stopChild(child, graceMillis = 5000) {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMillis);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
