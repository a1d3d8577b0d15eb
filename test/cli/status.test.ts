import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { register } from "../../src/cli/commands/status.js";
import {
  emptyState,
  writeState,
  type AlertRecord,
} from "../../src/alerts/state-file.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { END, loadEmbedded, type Fixture } from "../query/cases.js";
import { EXPECTED_STATUS, STATUS_FIXTURES } from "../query/status-fixtures.js";

const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const AT = new Date(END).toISOString();
let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "td-cli-status-"));
  const db = EmbeddedDatabase.open(directory);
  loadEmbedded(db, STATUS_FIXTURES);
  db.close();
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

const userGauge = (
  metric: string,
  service: string,
  labels: Record<string, string>,
  last: number,
): Fixture => ({
  kind: "gauge",
  metric,
  labels: { "service.name": service, ...labels },
  temporality: "unspecified",
  values: [0, 0, 0, 0, 0, last, last],
});

/** Two apps with 7 and 54 distinct users: status showed "Active (5m) 30.5 user". */
const TWO_APPS: readonly Fixture[] = [
  ["24h", 300, 900],
  ["5m", 7, 54],
  ["1h", 40, 120],
].flatMap(([window, a, b]) => [
  userGauge(
    "td.users.active",
    "a",
    { "td.users.window": `${window}` },
    Number(a),
  ),
  userGauge(
    "td.users.active",
    "b",
    { "td.users.window": `${window}` },
    Number(b),
  ),
]);

function dataDirWith(fixtures: readonly Fixture[]): string {
  const dir = mkdtempSync(join(tmpdir(), "td-cli-status-"));
  const db = EmbeddedDatabase.open(dir);
  loadEmbedded(db, fixtures);
  db.close();
  return dir;
}

async function status(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let out = "";
  const write = vi
    .spyOn(process.stdout, "write")
    .mockImplementation(
      (chunk: string | Uint8Array) => ((out += String(chunk)), true),
    );
  try {
    await program.parseAsync(
      ["status", "--at", AT, "--store", `embedded:${directory}`, ...args],
      {
        from: "user",
      },
    );
  } finally {
    write.mockRestore();
  }
  return out;
}

describe("td-monitor status", () => {
  it("prints the status as JSON", async () => {
    const printed = JSON.parse(await status(["--json"]));
    expect(printed.system.disk).toEqual(EXPECTED_STATUS.system.disk);
    expect(printed.system.cpu.usedPercent).toBeCloseTo(25, 9);
    expect(printed.application.latencyP95Seconds).toBeCloseTo(0.1536, 12);
    expect(printed.application.errorRatePercent).toBeCloseTo(10, 9);
    expect(printed.users).toEqual(EXPECTED_STATUS.users);
  });

  it("prints every figure with its unit, without colour off a terminal", async () => {
    const text = await status([]);
    for (const line of [
      /CPU\s+25 %/,
      /Memory\s+50 %/,
      /Disk \/data\s+25 %/,
      /Network\s+in 10 B\/s, out 20 B\/s/,
      /API p95 latency\s+154 ms/,
      /Errors\s+10 %/,
      /Documents\s+0\.2 documents\/s/,
      /Active \(24h\)\s+300 users/,
      /critical 0, warning 0, info 0/,
    ]) {
      expect(text).toMatch(line);
    }
    expect(text).not.toContain("\u001b[");
  });

  it("refreshes with --watch, one JSON document a line", async () => {
    const child = spawn(
      "node",
      [
        MAIN,
        "status",
        "--watch",
        "--interval",
        "1s",
        "--json",
        "--at",
        AT,
        "--store",
        `embedded:${directory}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let out = "";
    try {
      await new Promise<void>((resolve, reject) => {
        void exited.then(() =>
          reject(new Error(`status --watch exited early: ${out}`)),
        );
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.split("\n").length > 2) resolve();
        });
      });
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    const [first, second] = out
      .split("\n")
      .map((line) => line && JSON.parse(line));
    expect(first.users).toEqual(second.users);
  });

  it("adds active users across apps and lists windows 5m, 1h, 24h", async () => {
    const dir = dataDirWith(TWO_APPS);
    try {
      const text = await status(["--store", `embedded:${dir}`]);
      const lines = text.split("\n").filter((l) => l.includes("Active ("));
      expect(lines.map((l) => l.trim().split(/\s{2,}/))).toEqual([
        ["Active (5m)", "61 users"],
        ["Active (1h)", "160 users"],
        ["Active (24h)", "1,200 users"],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bad --interval, naming the flag", async () => {
    await expect(status(["--watch", "--interval", "often"])).rejects.toThrow(
      /--interval "often" is not a duration; expected e\.g\. 30s/,
    );
  });
});

/** The built CLI in `cwd`, without the store or data directory of the environment. */
function cli(
  cwd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.TD_MONITORING_STORE;
  delete env.TD_MONITORING_DATA_DIR;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd, env },
      (error, stdout, stderr) =>
        resolve({
          code:
            error === null ? 0 : Number((error as { code?: number }).code ?? 1),
          stdout,
          stderr,
        }),
    );
  });
}

describe("td-monitor status --at", () => {
  const at = (time: string) => Date.parse(`2026-12-04T${time}Z`);
  const alert = (
    id: string,
    severity: AlertRecord["severity"],
    fired: string,
    resolved?: string,
  ): AlertRecord => ({
    id,
    rule: id,
    seriesKey: id,
    labels: { alertname: id },
    severity,
    state: resolved === undefined ? "firing" : "resolved",
    message: `${id} is high`,
    value: 1,
    threshold: 0.5,
    peakValue: 1,
    startedAtMillis: at(fired) - 2_000,
    firedAtMillis: at(fired),
    ...(resolved === undefined ? {} : { resolvedAtMillis: at(resolved) }),
    receivers: [],
    lastEvaluationMillis: at(resolved ?? "05:30:00"),
    notifications: [],
    delivered: {},
  });

  it("counts the alerts of --store embedded:DIR firing at that time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "td-cli-status-at-"));
    // Elsewhere, so that data/monitoring of the working directory is empty.
    const cwd = mkdtempSync(join(tmpdir(), "td-cli-status-cwd-"));
    try {
      EmbeddedDatabase.open(dir).close();
      await writeState(join(dir, "alerts"), {
        ...emptyState(),
        alerts: Object.fromEntries(
          [
            // The demo's alerts: fired at 04:59:02, resolved at 04:59:22.
            alert("ApiErrorRateHigh", "critical", "04:59:02", "04:59:22"),
            alert("QueueBacklog", "warning", "04:59:02", "04:59:22"),
            alert("ApiLatencyHigh", "warning", "04:59:02", "04:59:22"),
            alert("DocumentFailuresHigh", "warning", "04:59:02", "04:59:22"),
            // Fired before and never resolved: firing then too.
            alert("DiskFilling", "info", "04:00:00"),
            // Entirely before, and entirely after, 04:59:05: not firing then.
            alert("CpuHigh", "critical", "04:50:00", "04:55:00"),
            alert("MemoryHigh", "warning", "05:00:00", "05:10:00"),
            alert("Later", "info", "05:20:00"),
          ].map((a) => [a.id, a]),
        ),
      });
      const store = ["--store", `embedded:${dir}`];
      const json = await cli(cwd, [
        "status",
        ...store,
        "--at",
        "2026-12-04T04:59:05Z",
        "--json",
      ]);
      expect(json.stderr).toBe("");
      expect(JSON.parse(json.stdout).alerts).toEqual({
        info: 1,
        warning: 3,
        critical: 1,
      });
      const text = await cli(cwd, [
        "status",
        ...store,
        "--at",
        "2026-12-04T04:59:05Z",
      ]);
      expect(text.stdout).toMatch(/critical 1, warning 3, info 1/);
      // At 05:05 only DiskFilling and MemoryHigh fire; at 05:25, DiskFilling and Later.
      const later = await cli(cwd, [
        "status",
        ...store,
        "--at",
        "2026-12-04T05:05:00Z",
        "--json",
      ]);
      expect(JSON.parse(later.stdout).alerts).toEqual({
        info: 1,
        warning: 1,
        critical: 0,
      });
      const last = await cli(cwd, [
        "status",
        ...store,
        "--at",
        "2026-12-04T05:25:00Z",
        "--json",
      ]);
      expect(JSON.parse(last.stdout).alerts).toEqual({
        info: 2,
        warning: 0,
        critical: 0,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
