/**
 * `td-monitor stats` over the shared recordings, through the embedded store
 * and a real Prometheus holding the same data: hand-computed values.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { register } from "../../src/cli/commands/stats.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { END, T0, loadEmbedded, openMetrics } from "../query/cases.js";
import { expectClose } from "../query/close.js";
import {
  freePort,
  startPrometheus,
  type PrometheusServer,
} from "../helpers/prometheus.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const range = [
  "--since",
  new Date(T0).toISOString(),
  "--until",
  new Date(END).toISOString(),
];

let directory: string;
let prometheus: PrometheusServer;
const stores: Array<[string, () => string]> = [
  ["embedded", () => `embedded:${directory}`],
  ["prometheus", () => `prometheus:${prometheus.url}`],
];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "td-cli-stats-"));
  const db = EmbeddedDatabase.open(directory);
  loadEmbedded(db);
  db.close();
  prometheus = await startPrometheus({ openMetrics: openMetrics() });
});

afterAll(async () => {
  await prometheus?.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** Runs `stats` in process and returns what it printed. */
async function stats(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let out = "";
  const write = vi
    .spyOn(process.stdout, "write")
    .mockImplementation(
      (chunk: string | Uint8Array) => ((out += String(chunk)), true),
    );
  try {
    await program.parseAsync(["stats", ...args], { from: "user" });
  } finally {
    write.mockRestore();
  }
  return out;
}

const json = async (args: string[]) =>
  JSON.parse(await stats([...args, "--json"]));

describe.each(stores)("td-monitor stats via the %s store", (_, store) => {
  it("gives a histogram's avg, max, p95 and count from its buckets", async () => {
    const result = await json([
      "api_latency",
      ...range,
      "--where",
      "http.route=/docs",
      "--store",
      store(),
    ]);
    expect(result).toMatchObject({
      metric: "http.server.request.duration",
      shape: "histogram",
      unit: "s",
    });
    expectClose(result.avg, 368.2 / 7364);
    expectClose(result.max, 0.2048);
    expectClose(result.p95, 0.2048);
    expectClose(result.p50, 0.0256 + 0.0256 * (1031 / 1063));
    expectClose(result.count, 7364);
    expect(result.last).toBeNull();
    expect(result.units).toMatchObject({
      avg: "s",
      p95: "s",
      count: "{observation}",
      rate: "{observation}/s",
      last: null,
    });
  });

  it("gives a counter's rate across a reset", async () => {
    const result = await json([
      "documents",
      ...range,
      "--where",
      "td.document.type=invoice",
      "--where",
      "td.document.outcome=ok",
      "--store",
      store(),
    ]);
    expectClose(result.rate, 7 / 1800);
    expectClose(result.increase, 7);
    expectClose(result.last, 4);
    expect(result.avg).toBeNull();
    expect(result.units.rate).toBe("{document}/s");
  });

  it("gives a gauge's avg, max and last, broken down by an attribute", async () => {
    const result = await json([
      "memory",
      ...range,
      "--by",
      "system.memory.state",
      "--store",
      store(),
    ]);
    expect(result.groups.map((g: { labels: object }) => g.labels)).toEqual([
      { "system.memory.state": "free" },
      { "system.memory.state": "used" },
    ]);
    const used = result.groups[1].values;
    expectClose(used.avg, 4.4 / 7);
    expectClose(used.max, 0.9);
    expectClose(used.last, 0.5);
    expectClose(used.p95, 0.87);
    expectClose(result.max, 0.9);
  });

  it("breaks memory down by state without --by; no 50 % mean of used and free", async () => {
    const result = await json(["memory", ...range, "--store", store()]);
    expect(result.groupBy).toEqual(["system.memory.state"]);
    expect(result.groups.map((g: { labels: object }) => g.labels)).toEqual([
      { "system.memory.state": "free" },
      { "system.memory.state": "used" },
    ]);
    expectClose(result.groups[1].values.last, 0.5);
    expect(result.avg).toBeNull();
    const text = await stats(["memory", ...range, "--store", store()]);
    expect(text).toMatch(/system\.memory\.state=used /);
    expect(text).not.toMatch(/^all /m);
  });

  it("says no series has a --by attribute, naming those that exist", async () => {
    await expect(
      stats(["memory", ...range, "--by", "nosuchattr", "--store", store()]),
    ).rejects.toThrow(
      /no series of system\.memory\.utilization has the attribute "nosuchattr"; its series have .*system\.memory\.state/,
    );
  });

  it("prints each statistic with its unit", async () => {
    const text = await stats([
      "api_latency",
      ...range,
      "--where",
      "http.route=/docs",
      "--store",
      store(),
    ]);
    expect(text).toMatch(/avg\s+50 ms/);
    expect(text).toMatch(/p95\s+205 ms/);
    expect(text).toMatch(/count\s+7,364 observations/);
  });
});

describe("td-monitor stats on what apps send", () => {
  it("prints a service.name's escape sequence and newline escaped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "td-cli-stats-evil-"));
    try {
      const db = EmbeddedDatabase.open(dir);
      loadEmbedded(db, [
        {
          kind: "gauge",
          metric: "td.queue.length",
          labels: {
            "service.name": "evil\u001b[31mRED\n...",
            "td.queue.name": "q",
          },
          temporality: "unspecified",
          values: [1, 2, 3, 4, 5, 6, 7],
        },
      ]);
      db.close();
      const text = await stats([
        "td.queue.length",
        ...range,
        "--by",
        "service.name",
        "--store",
        `embedded:${dir}`,
      ]);
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(text).toContain("service.name=evil\\x1b[31mRED\\n...");
      expect(text.trimEnd().split("\n")).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("td-monitor stats on bad input", () => {
  it.each([
    [["api_latncy"], /unknown metric "api_latncy"; did you mean api_latency/],
    [
      ["cpu", "--since", "yesterday"],
      /--since "yesterday" is not a time; expected a duration back from now such as 30s, 5m, 1h or 7d/,
    ],
    [["cpu", "--until", "2024-13-45"], /--until "2024-13-45" is not a time/],
    [
      ["cpu", "--where", "state"],
      /--where "state" is not a filter; expected key=value/,
    ],
    [
      ["cpu", "--store", "embedded:/nonexistent/td"],
      /no series database at \/nonexistent\/td\/metrics\/series\.db/,
    ],
    [
      ["documents", "--store", "nowhere"],
      /--store "nowhere" is not a store; expected embedded, embedded:DIR or prometheus:URL/,
    ],
  ])("%j fails with a message and no stack", async (args, message) => {
    const failure = await run("node", [MAIN, "stats", ...args]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("names the URL and the cause when the store cannot be reached", async () => {
    const port = await freePort();
    const failure = await run("node", [
      MAIN,
      "stats",
      "cpu",
      "--store",
      `prometheus:http://127.0.0.1:${port}`,
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(
      new RegExp(
        `cannot reach http://127\\.0\\.0\\.1:${port}/api/v1/query: ECONNREFUSED`,
      ),
    );
  });

  it("prints the stack with --verbose", async () => {
    const failure = await run("node", [
      MAIN,
      "--verbose",
      "stats",
      "api_latncy",
    ]).catch((error: { stderr: string }) => error);
    expect((failure as { stderr: string }).stderr).toMatch(/\n\s+at /);
  });
});
