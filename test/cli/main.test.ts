/**
 * The program around the commands: how a failure is reported, as text on
 * stderr and, with --json, as a JSON error object on stdout.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

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
