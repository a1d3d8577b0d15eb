import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { register } from "../../src/cli/commands/status.js";
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
