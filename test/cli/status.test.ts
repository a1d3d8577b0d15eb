import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { register } from "../../src/cli/commands/status.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { END, loadEmbedded } from "../query/cases.js";
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
      /API p95 latency\s+153\.6 ms/,
      /Errors\s+10 %/,
      /Documents\s+0\.2 document\/s/,
      /Active \(24h\)\s+300 user/,
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

  it("refuses a bad --interval, naming the flag", async () => {
    await expect(status(["--watch", "--interval", "often"])).rejects.toThrow(
      /--interval "often" is not a duration; expected e\.g\. 30s/,
    );
  });
});
