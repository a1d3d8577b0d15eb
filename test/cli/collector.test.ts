/**
 * `td-monitor collector` and `td-monitor retention` as real child processes
 * of the built CLI (`npx tsc -p tsconfig.build.json` first; `npm test` does).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import type { NumberSample } from "../../src/store/embedded/samples.js";
import { post, readAll, request } from "../receiver/harness.js";

const CLI = path.resolve("dist/cli/main.js");

let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) {
    throw new Error(
      `${CLI} is missing; run npx tsc -p tsconfig.build.json first`,
    );
  }
});
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "td-collector-"));
});
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null)
      child.kill("SIGKILL");
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts a collector on a free port and resolves with its metrics URL. */
async function startCollector(
  ...extra: string[]
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "collector",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--json",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (!line.startsWith("{")) continue; // a log line
    const event = JSON.parse(line) as { event: string; url: string };
    if (event.event === "listening") return { child, url: event.url };
  }
  throw new Error(`collector exited before listening (code ${child.exitCode})`);
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode);
  }
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
}

// Recent times, so the collector's retention pass keeps them.
const NOW_NANOS = BigInt(Date.now()) * 1_000_000n;

/** A request of 20 gauge points, all carrying the request number. */
function batch(n: number) {
  const dataPoints = Array.from({ length: 20 }, (_, i) => ({
    timeUnixNano: String(
      NOW_NANOS - 86_400_000_000_000n + BigInt(n * 100 + i) * 1_000_000n,
    ),
    asInt: String(n),
  }));
  return request([{ name: "ingest.batch", gauge: { dataPoints } }]);
}

describe("td-monitor collector", () => {
  it("loses nothing acknowledged to kill -9 in the middle of ingest, and the database opens", async () => {
    const { child, url } = await startCollector();
    const acknowledged = new Set<number>();
    let next = 0;
    let killed = false;

    const sender = async () => {
      while (!killed) {
        const n = next++;
        try {
          const answer = await post(url, batch(n), {
            encoding: n % 2 ? "protobuf" : "json",
          });
          if (answer.status === 200) acknowledged.add(n);
        } catch {
          return; // the collector is gone; this request was in flight
        }
        if (acknowledged.size >= 40 && !killed) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    await exited(child);
    expect(next).toBeGreaterThan(acknowledged.size); // some were in flight

    // A restart opens the same database cleanly.
    const restarted = await startCollector();
    restarted.child.kill("SIGTERM");
    expect(await exited(restarted.child)).toBe(0);

    const raw = new DatabaseSync(path.join(dataDir, "metrics", "series.db"));
    expect(raw.prepare("PRAGMA integrity_check").get()).toEqual({
      integrity_check: "ok",
    });
    raw.close();
    const db = EmbeddedDatabase.open(dataDir, { readOnly: true });
    const samples = readAll(db, "ingest.batch")[0]!.samples as NumberSample[];
    db.close();
    const perRequest = new Map<number, number>();
    for (const sample of samples) {
      perRequest.set(sample.value, (perRequest.get(sample.value) ?? 0) + 1);
    }
    for (const n of acknowledged) expect(perRequest.get(n)).toBe(20);
    // A request is stored whole or not at all.
    expect([...perRequest.values()].every((count) => count === 20)).toBe(true);
  });

  it("stops cleanly on SIGTERM after storing what it received", async () => {
    const { child, url } = await startCollector();
    expect((await post(url, batch(1))).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);

    const db = EmbeddedDatabase.open(dataDir, { readOnly: true });
    expect(readAll(db, "ingest.batch")[0]!.samples).toHaveLength(20);
    db.close();
  });

  it("names a bad --listen and exits non-zero without a stack trace", () => {
    const result = runCli([
      "collector",
      "--listen",
      "localhost",
      "--data-dir",
      dataDir,
    ]);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'td-monitor: --listen "localhost": expected host:port, e.g. 127.0.0.1:4318 (port 0 picks a free one)\n',
    );
  });

  it("says the address is in use when another collector listens there", async () => {
    const { url } = await startCollector();
    const { port } = new URL(url);

    const result = runCli([
      "collector",
      "--listen",
      `127.0.0.1:${port}`,
      "--data-dir",
      dataDir,
    ]);

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^td-monitor: cannot listen on 127\.0\.0\.1:\d+: address already in use; is another collector running\? choose another with --listen\n$/,
    );
  });
});

describe("td-monitor retention", () => {
  it("deletes raw points older than the limit from TD_MONITORING_RETENTION", () => {
    const db = EmbeddedDatabase.open(dataDir);
    const now = BigInt(Date.now()) * 1_000_000n;
    const day = 86_400_000_000_000n;
    const series = {
      metric: "td.queue.length",
      kind: "gauge" as const,
      unit: "{job}",
      temporality: "unspecified" as const,
      monotonic: false,
      labels: {},
    };
    db.ingest(
      [now - 3n * day, now - day / 2n].map((timeNanos, i) => ({
        type: "number" as const,
        series,
        timeNanos,
        startTimeNanos: 0n,
        value: i,
      })),
    );
    db.close();

    const result = runCli(["retention", "--data-dir", dataDir, "--json"], {
      TD_MONITORING_RETENTION: "1d",
    });

    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ samples: 1, series: 0 });
    const reader = EmbeddedDatabase.open(dataDir, { readOnly: true });
    expect(
      readAll(reader, "td.queue.length")[0]!.samples.map(
        (s) => (s as NumberSample).value,
      ),
    ).toEqual([1]);
    reader.close();
  });

  it("names a bad --max-age and exits non-zero", () => {
    const result = runCli([
      "retention",
      "--data-dir",
      dataDir,
      "--max-age",
      "fortnight",
    ]);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'td-monitor: --max-age "fortnight": expected a positive duration such as 15d, 36h, 90m, 30s or 2w\n',
    );
  });
});
