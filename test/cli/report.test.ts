/**
 * `td-monitor report` as a user runs it (the built CLI in a child process)
 * over the deterministic data set in an embedded data directory.
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costModel, parseCompare } from "../../src/cli/commands/report.js";
import type { Report } from "../../src/report/types.js";
import { END, T0 } from "../report/dataset.js";
import { loadDataSet } from "../report/sample-report.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");

let dataDir: string;
const window = () => [
  "report",
  "--store",
  `embedded:${dataDir}`,
  "--since",
  new Date(T0).toISOString(),
  "--until",
  new Date(END).toISOString(),
  "--step",
  "15m",
];

function report(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [MAIN, ...window(), ...args], {
    env: { ...process.env, ...env },
  });
}

beforeAll(async () => {
  dataDir = await loadDataSet();
});

afterAll(() => {
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe("td-monitor report", () => {
  it("prints the text report", async () => {
    const { stdout } = await report([]);
    expect(stdout).toMatch(/CPU used\s+35\.0%\s+48\.5%\s+50\.0%/);
    expect(stdout).toContain("No alert history.");
    expect(stdout).toContain("No cost model set");
  });

  it("writes HTML under the data directory's reports, named by time", async () => {
    const { stdout, stderr } = await report(["--format", "html"]);
    expect(stderr).toBe(""); // no progress bar outside a terminal
    const file = join(dataDir, "reports", "report-2024-03-04T06-00-00Z.html");
    expect(stdout.trim()).toBe(file);
    expect(readFileSync(file, "utf8")).toMatch(/^<!doctype html>/);
  });

  it("prints JSON with the cost model from the environment", async () => {
    const { stdout } = await report(["--json"], {
      TD_MONITORING_COST_PER_INSTANCE_HOUR: "0.12",
    });
    const json = JSON.parse(stdout) as Report;
    // 20100 s up at 0.12 an hour.
    expect(json.business.cost.total.value).toBeCloseTo(0.67, 9);
    expect(json.window.start).toBe(new Date(T0).toISOString());
  });

  it("compares with nothing for --compare NONE", async () => {
    const out = join(dataDir, "none.json");
    await report(["--compare", "NONE", "--format", "json", "--out", out]);
    const json = JSON.parse(readFileSync(out, "utf8")) as Report;
    expect(json.previousWindow).toBeNull();
    expect(json.business.documents.previous.value).toBeNull();
  });

  it("shows its progress by section on a terminal, on stderr only", async () => {
    // util-linux's `script` gives the command a terminal; stdout goes to a
    // file, so what the terminal shows is stderr alone.
    const out = join(dataDir, "progress.md");
    const command = [process.execPath, MAIN, ...window(), "--format", "md"]
      .map((arg) => `'${arg}'`)
      .join(" ");
    const { stdout: terminal } = await run("script", [
      "-qec",
      `${command} --out - > '${out}'`,
      "/dev/null",
    ]);

    expect(terminal).toContain("0/9 system");
    expect(terminal).toContain("9/9 done");
    const markdown = readFileSync(out, "utf8");
    expect(markdown).toMatch(/^# td-monitoring report\n/);
    expect(markdown).not.toContain("9/9");
  });

  it("fails with a message for a bad flag", async () => {
    await expect(report(["--format", "pdf"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        '--format "pdf" is not a format; expected text, md, html or json',
      ),
    });
  });
});

describe("report flags", () => {
  it("reads --compare", () => {
    expect(parseCompare("previous")).toBe(true);
    expect(parseCompare("none")).toBe(false);
    expect(() => parseCompare("last-week")).toThrow(
      /expected previous or NONE/,
    );
  });

  it("takes the cost from the flag over the environment", () => {
    expect(costModel("0.5", "0.12")).toEqual({ costPerInstanceHour: 0.5 });
    expect(costModel(undefined, "0.12")).toEqual({ costPerInstanceHour: 0.12 });
    expect(costModel(undefined, undefined)).toEqual({});
    expect(() => costModel(undefined, "cheap")).toThrow(
      'TD_MONITORING_COST_PER_INSTANCE_HOUR "cheap" is not an amount',
    );
  });
});
