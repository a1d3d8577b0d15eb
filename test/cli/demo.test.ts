/**
 * examples/demo.mjs on bad input: one clear line and exit 1, no stack; and
 * the summary it prints at the end of a run.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it, vi } from "vitest";
import { formatFigures } from "../../examples/demo/display.mjs";
import {
  printSummary,
  type DemoResults,
} from "../../examples/demo/results.mjs";

const run = promisify(execFile);
const DEMO = join(import.meta.dirname, "../../examples/demo.mjs");
const directory = mkdtempSync(join(tmpdir(), "td-demo-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("examples/demo.mjs", () => {
  it("says a --data-dir under a file cannot be created, in one line", async () => {
    const file = join(directory, "a-file");
    writeFileSync(file, "");
    const failure = await run("node", [
      DEMO,
      "--data-dir",
      join(file, "run"),
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toBe(
      `demo: cannot create --data-dir ${join(file, "run")}: a part of the path is a file; choose a directory you can write\n`,
    );
  });
});

describe("the demo's closing summary", () => {
  const started = Date.parse("2026-01-01T00:00:00Z");
  const at = (seconds: number) =>
    new Date(started + seconds * 1000).toISOString();
  const results: DemoResults = {
    dataDir: "/srv/demo/run-1",
    startedMillis: started,
    seconds: 158,
    reports: {
      md: "/srv/demo/run-1/reports/demo-report.md",
      html: "/srv/demo/run-1/reports/demo-report.html",
      json: "/srv/demo/run-1/reports/demo-report.json",
    },
    alerts: [
      {
        rule: "ApiLatencyHigh",
        severity: "warning",
        state: "resolved",
        firedAt: at(26),
        resolvedAt: at(101),
        peakValue: 2.0394,
      },
      {
        rule: "QueueBacklog",
        severity: "warning",
        state: "firing",
        firedAt: at(30.4),
        resolvedAt: null,
        peakValue: 277.6,
      },
      // Pending, never fired: not a row of the table.
      {
        rule: "ApiErrorRateHigh",
        severity: "critical",
        state: "pending",
        firedAt: null,
        resolvedAt: null,
        peakValue: 0.2,
      },
    ],
    figures: {
      requests: 12_345.4,
      errorRate: 0.01234,
      latencyP95Seconds: 0.2504,
      peakStepLatencyP95Seconds: 2.0394,
      documentsFailed: null,
      peakQueueLength: 277.6,
      stepSeconds: 5,
    },
  };

  function printed(json: boolean, shown: DemoResults = results): string {
    let out = "";
    const write = vi
      .spyOn(process.stdout, "write")
      .mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
    try {
      printSummary(shown, { json });
    } finally {
      write.mockRestore();
    }
    return out;
  }

  it("lists the alerts that fired with times since the start, the key figures and the reports", () => {
    const lines = printed(false).split("\n");

    expect(lines.slice(1, 5)).toEqual([
      "Alerts: 2 fired, 1 resolved (times since the start)",
      "  RULE            SEVERITY  FIRED  RESOLVED      PEAK",
      "  ApiLatencyHigh  warning   +0:26  +1:41         2039 ms",
      "  QueueBacklog    warning   +0:30  still firing  278 jobs",
    ]);
    expect(lines).toContain(
      "  requests 12,345, 5xx error rate 1.23 %, documents failed n/a",
    );
    expect(lines).toContain(
      "  p95 latency 250 ms over the run, 2039 ms at its worst 5 s step",
    );
    expect(lines).toContain(
      "  HTML      /srv/demo/run-1/reports/demo-report.html",
    );
    expect(lines).toContain("Done in 2:38.");
  });

  it("says so when no alert fired", () => {
    const out = printed(false, { ...results, alerts: [] });
    expect(out).toContain("\nNo alert fired.\n");
  });

  it("prints the results as JSON, and only that, with --json", () => {
    expect(JSON.parse(printed(true))).toEqual(results);
  });
});

describe("the demo's live line", () => {
  it("shows each figure with its unit, and n/a without its unit before the first export", () => {
    expect(
      formatFigures({
        requestsPerSecond: 212.4,
        latencyP95Seconds: 0.0416,
        errorRatePercent: 2.25,
        queueLength: 3,
        activeUsers: 180,
        firing: 1,
      }),
    ).toBe(
      "212 req/s | p95 42 ms | errors 2.3% | queue 3 | users 180 | firing 1",
    );
    expect(formatFigures({})).toBe(
      "n/a | p95 n/a | errors n/a | queue n/a | users n/a | firing 0",
    );
  });
});
