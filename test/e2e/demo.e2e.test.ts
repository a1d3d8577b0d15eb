/**
 * `npm run demo` end to end, shortened: the incident's alerts fire and
 * resolve, the report's figures show the incident, the HTML report opens in
 * headless Chromium without errors, and no process outlives the demo, also
 * when it is interrupted.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEMO = join(ROOT, "examples/demo.mjs");
const CLI = join(ROOT, "dist/cli/main.js");
const RULES = join(ROOT, "examples/td-generator-service/rules.yaml");
const CHROMIUM = "/usr/bin/chromium";
// CI has Chromium; a developer without it still runs the rest.
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const INCIDENT_RULES = [
  "ApiLatencyHigh",
  "ApiErrorRateHigh",
  "DocumentFailuresHigh",
  "QueueBacklog",
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Figure {
  value: number | null;
}

interface ListedAlert {
  rule: string;
  state: string;
  firedAt: string | null;
  resolvedAt: string | null;
  peakValue: number;
}

interface DemoResults {
  reports: { md: string; html: string; json: string };
  processes: { name: string; pid: number }[];
  seconds: number;
}

/** Runs the demo; `onStderr` sees its progress lines as they come. */
function startDemo(
  args: string[],
  onStderr: (text: string) => void = () => {},
) {
  const child = spawn(process.execPath, [DEMO, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr(stderr);
  });
  const done = once(child, "close").then(([code]): Run => ({
    code: code as number | null,
    stdout,
    stderr,
  }));
  return { child, done };
}

async function runCli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = await once(child, "close");
  expect(code).toBe(0);
  return stdout;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ruleThreshold(id: string): number {
  const file = parse(readFileSync(RULES, "utf8")) as {
    rules: { id: string; threshold: number }[];
  };
  return file.rules.find((rule) => rule.id === id)!.threshold;
}

describe("npm run demo --duration 60s", () => {
  let dataDir: string;
  let run: Run;
  let results: DemoResults;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "td-demo-"));
    run = await startDemo([
      "--duration",
      "60s",
      "--data-dir",
      dataDir,
      "--json",
    ]).done;
    if (run.code !== 0) throw new Error(`demo failed:\n${run.stderr}`);
    results = JSON.parse(run.stdout) as DemoResults;
  }, 150_000);

  afterAll(() => {
    if (dataDir !== undefined)
      rmSync(dataDir, { recursive: true, force: true });
  });

  it("exits 0 within its time and leaves no process running", () => {
    expect(run.code).toBe(0);
    expect(results.seconds).toBeLessThan(90);
    expect(results.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(["collector", "service", "evaluator"]),
    );
    expect(results.processes.filter((p) => isRunning(p.pid))).toEqual([]);
  });

  it("fires and resolves each of the incident's alerts", async () => {
    const alerts = JSON.parse(
      await runCli(["alerts", "list", "--json", "--data-dir", dataDir]),
    ) as ListedAlert[];
    for (const rule of INCIDENT_RULES) {
      const fired = alerts.filter((a) => a.rule === rule && a.firedAt);
      expect(fired, rule).not.toEqual([]);
      for (const alert of fired) {
        expect(alert.state, rule).toBe("resolved");
        expect(Date.parse(alert.resolvedAt!)).toBeGreaterThan(
          Date.parse(alert.firedAt!),
        );
        expect(alert.peakValue, rule).toBeGreaterThan(ruleThreshold(rule));
      }
    }
    expect(run.stderr).toMatch(/alert ApiLatencyHigh: pending -> firing/);
    expect(run.stderr).toMatch(/alert ApiLatencyHigh: firing -> resolved/);
  });

  it("writes a report whose figures show the incident", () => {
    const report = JSON.parse(readFileSync(results.reports.json, "utf8")) as {
      application: {
        http: { requests: Figure; errorRate: Figure };
        documents: { failed: Figure };
        queues: { label: string; peak: Figure }[];
        charts: {
          id: string;
          series: { label: string; points: [number, number | null][] }[];
        }[];
      };
      alerts: { bySeverity: { severity: string; fired: Figure }[] };
    };
    const { http, documents, queues, charts } = report.application;
    expect(http.requests.value).toBeGreaterThan(1000);
    expect(http.errorRate.value).toBeGreaterThan(0);
    expect(documents.failed.value).toBeGreaterThan(0);
    expect(queues.find((q) => q.label === "batch")?.peak.value).toBeGreaterThan(
      ruleThreshold("QueueBacklog"),
    );
    const p95 = charts
      .find((c) => c.id === "application.latency")
      ?.series.find((s) => s.label === "p95");
    const peakP95 = Math.max(...p95!.points.map(([, v]) => v ?? 0));
    expect(peakP95).toBeGreaterThan(ruleThreshold("ApiLatencyHigh"));
    const fired = report.alerts.bySeverity.reduce(
      (sum, s) => sum + (s.fired.value ?? 0),
      0,
    );
    expect(fired).toBeGreaterThanOrEqual(INCIDENT_RULES.length);
    expect(readFileSync(results.reports.md, "utf8")).toMatch(/ApiLatencyHigh/);
  });

  it.skipIf(skipBrowser)(
    "writes an HTML report that opens in headless Chromium without errors",
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(pathToFileURL(results.reports.html).href);
        await page.waitForSelector("html[data-rendered=true]");
        expect(
          await page.locator("figure.chart canvas").count(),
        ).toBeGreaterThan(3);
        expect(await page.getByText("ApiLatencyHigh").count()).toBeGreaterThan(
          0,
        );
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});

describe("npm run demo, interrupted", () => {
  it("stops everything it started and exits 130", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "td-demo-interrupted-"));
    try {
      let interrupted = false;
      const demo = startDemo(
        ["--duration", "60s", "--data-dir", dataDir],
        (stderr) => {
          if (interrupted || !/phase steady/.test(stderr)) return;
          interrupted = true;
          demo.child.kill("SIGINT");
        },
      );
      const run = await demo.done;
      const pids = [...run.stderr.matchAll(/pid (\d+)/g)].map((m) =>
        Number(m[1]),
      );
      expect(run.code).toBe(130);
      expect(pids).toHaveLength(3);
      expect(pids.filter(isRunning)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
