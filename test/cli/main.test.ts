/**
 * The program around the commands: how a failure is reported, as text on
 * stderr and, with --json, as a JSON error object on stdout.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");

interface Failure {
  code: number;
  stdout: string;
  stderr: string;
}

async function fail(args: string[]): Promise<Failure> {
  const outcome = await run("node", [MAIN, ...args]).then(
    () => undefined,
    (error: Failure) => error,
  );
  if (outcome === undefined) throw new Error(`${args.join(" ")} succeeded`);
  return outcome;
}

describe("td-monitor failing with --json", () => {
  it.each([
    [
      ["stats", "nosuch", "--json"],
      "UnknownMetricError",
      /unknown metric "nosuch"/,
    ],
    [
      ["status", "--json", "--store", "prometheus:http://127.0.0.1:1"],
      "StoreUnavailableError",
      /cannot reach http:\/\/127\.0\.0\.1:1/,
    ],
    [["stats", "--json"], "CommanderError", /missing required argument/],
    [
      ["retention", "--store", "embedded:x", "--json"],
      "CommanderError",
      /unknown option '--store'/,
    ],
    [
      ["report", "--format", "html", "--json"],
      "UsageError",
      /--json prints the JSON report, and --format html asks for another/,
    ],
    [
      ["report", "--since", "30d", "--step", "1s", "--json"],
      "UsageError",
      /--step 1s cuts the window into 2,592,000 steps, over the 10,000 a report can draw; use 260s or more/,
    ],
    [
      ["report", "--format", "pdf", "--json"],
      "UsageError",
      /--format "pdf" is not a format/,
    ],
  ])(
    "%j prints a JSON error on stdout and exits 1",
    async (args, kind, message) => {
      const { code, stdout, stderr } = await fail(args);
      expect(code).toBe(1);
      const printed = JSON.parse(stdout);
      expect(printed).toEqual({
        error: { message: expect.stringMatching(message), kind },
      });
      expect(stderr).toMatch(message);
    },
  );

  it("does not repeat commander's 'error: ' inside the JSON message", async () => {
    const { stdout } = await fail(["retention", "--store", "x", "--json"]);
    expect(JSON.parse(stdout).error.message).toBe("unknown option '--store'");
  });

  it("keeps stdout empty without --json", async () => {
    const { code, stdout } = await fail(["stats", "nosuch"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
  });
});

describe("td-monitor writing to a reader that went away", () => {
  // Regression: `status --watch | head -1` ended in an unhandled EPIPE
  // error with a stack trace and exit 1.
  it("ends quietly with exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "td-cli-epipe-"));
    try {
      EmbeddedDatabase.open(dir).close();
      const child = spawn("node", [
        MAIN,
        "status",
        "--watch",
        "--interval",
        "1s",
        "--store",
        `embedded:${dir}`,
      ]);
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)));
      await new Promise((resolve) => child.stdout.once("data", resolve));
      child.stdout.destroy(); // as head does after its line
      const code = await new Promise((resolve) => child.once("exit", resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
