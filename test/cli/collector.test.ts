/**
 * `td-monitor collector` and `td-monitor retention` as real child processes
 * of the built CLI (`npx tsc -p tsconfig.build.json` first; `npm test` does).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import {
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import type { NumberSample } from "../../src/store/embedded/samples.js";
import { scheduleRetention } from "../../src/store/retention.js";
import {
  attributes,
  encode,
  post,
  readAll,
  request,
  values,
} from "../receiver/harness.js";

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

/** A line a collector wrote, and when it arrived. */
interface Line {
  readonly stream: "out" | "err";
  readonly text: string;
  readonly at: number;
}

/** A collector child process and every line it has written so far. */
interface Collector {
  readonly child: ChildProcess;
  readonly url: string;
  /** The `listening` event: its age limit among others. */
  readonly listening: { maxAgeMillis: number };
  /** Standard output and standard error lines, each tagged, in arrival order. */
  readonly lines: Line[];
  /** Resolves with the first line from `from` on that matches, or rejects after `timeoutMillis`. */
  waitForLine(
    pattern: RegExp,
    options?: { from?: number; timeoutMillis?: number },
  ): Promise<Line & { index: number }>;
}

/** Starts a collector on a free port and resolves once it listens. */
async function startCollector(
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Collector> {
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
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  children.push(child);
  const lines: Collector["lines"] = [];
  const arrived = new EventEmitter();
  for (const [stream, input] of [
    ["out", child.stdout!],
    ["err", child.stderr!],
  ] as const) {
    createInterface({ input }).on("line", (text) => {
      lines.push({ stream, text, at: Date.now() });
      arrived.emit("line");
    });
  }
  const waitForLine: Collector["waitForLine"] = (
    pattern,
    { from = 0, timeoutMillis = 15_000 } = {},
  ) =>
    new Promise((resolve, reject) => {
      const look = (): boolean => {
        const index = lines.findIndex(
          (line, i) => i >= from && pattern.test(line.text),
        );
        if (index < 0) return false;
        arrived.off("line", look);
        clearTimeout(timer);
        resolve({ ...lines[index]!, index });
        return true;
      };
      const timer = setTimeout(() => {
        arrived.off("line", look);
        reject(
          new Error(
            `no line matched ${pattern} within ${timeoutMillis} ms; the collector wrote:\n${lines.map((l) => l.text).join("\n")}`,
          ),
        );
      }, timeoutMillis);
      if (!look()) arrived.on("line", look);
    });

  const exit = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(
        new Error(
          `collector exited before listening (code ${code}): ${lines.map((l) => l.text).join("\n")}`,
        ),
      ),
    ),
  );
  const { text } = await Promise.race([
    waitForLine(/^\{"event":"listening"/),
    exit,
  ]);
  exit.catch(() => undefined); // it may exit later, as the test asks
  const listening = JSON.parse(text) as {
    url: string;
    maxAgeMillis: number;
  };
  return { child, url: listening.url, listening, lines, waitForLine };
}

/** Stops a collector with SIGTERM and waits for its exit code. */
async function stop(collector: Collector): Promise<number | null> {
  collector.child.kill("SIGTERM");
  return exited(collector.child);
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
    expect(await stop(await startCollector())).toBe(0);

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

const MINUTE_MILLIS = 60_000;
const HOUR_MILLIS = 3_600_000;

/** Queue lengths at these ages (ms before now), the value being the age in minutes. */
function queueLengths(agesMillis: number[], queue = "render") {
  const dataPoints = agesMillis.map((age) => ({
    timeUnixNano: String(BigInt(Date.now() - age) * 1_000_000n),
    asInt: String(age / MINUTE_MILLIS),
    attributes: attributes({ "td.queue.name": queue }),
  }));
  return request([
    { name: "td.queue.length", unit: "{job}", gauge: { dataPoints } },
  ]);
}

/** The stored queue lengths (ages in minutes, see queueLengths), by queue. */
function storedQueueLengths(): Record<string, number[]> {
  const db = EmbeddedDatabase.open(dataDir, { readOnly: true });
  try {
    return Object.fromEntries(
      readAll(db, "td.queue.length").map((series) => [
        series.series.labels["td.queue.name"],
        values(series),
      ]),
    );
  } finally {
    db.close();
  }
}

describe("td-monitor collector retention", () => {
  it("deletes at start what is older than TD_MONITORING_RETENTION, and --max-age beats the variable", async () => {
    // Posted with old timestamps to a collector that keeps 15 days.
    const first = await startCollector();
    expect(first.listening.maxAgeMillis).toBe(15 * 24 * HOUR_MILLIS);
    const ages = [180, 90, 1].map((m) => m * MINUTE_MILLIS);
    expect((await post(first.url, queueLengths(ages))).status).toBe(200);
    expect(await stop(first)).toBe(0);
    // Values are ages in minutes, oldest first.
    expect(storedQueueLengths()).toEqual({ render: [180, 90, 1] });

    // The variable alone: 2 h goes, so the 3 h old point does, and only it.
    const second = await startCollector([], { TD_MONITORING_RETENTION: "2h" });
    expect(second.listening.maxAgeMillis).toBe(2 * HOUR_MILLIS);
    // The start-up pass runs before the collector says it listens.
    expect(second.lines.map((l) => l.text)).toContain(
      "retention: deleted 1 sample and 0 series past the age limit",
    );
    expect(await stop(second)).toBe(0);
    expect(storedQueueLengths()).toEqual({ render: [90, 1] });

    // The flag wins over the same variable: 1 h, so the 90 min point goes too.
    const third = await startCollector(["--max-age", "1h"], {
      TD_MONITORING_RETENTION: "2h",
    });
    expect(third.listening.maxAgeMillis).toBe(HOUR_MILLIS);
    expect(third.lines.map((l) => l.text)).toContain(
      "retention: deleted 1 sample and 0 series past the age limit",
    );
    expect(await stop(third)).toBe(0);
    expect(storedQueueLengths()).toEqual({ render: [1] });
  });

  it("applies retention again every hour, also to points that arrived already old, until stopped", () => {
    const t0 = Date.parse("2026-03-01T12:00:00Z");
    vi.useFakeTimers({
      now: t0,
      toFake: ["Date", "setInterval", "clearInterval"],
    });
    const db = EmbeddedDatabase.open(dataDir);
    try {
      const point = (ageMillis: number, value: number) => ({
        type: "number" as const,
        series: {
          metric: "td.queue.length",
          kind: "gauge" as const,
          unit: "{job}",
          temporality: "unspecified" as const,
          monotonic: false,
          labels: { "td.queue.name": "render" },
        },
        timeNanos: BigInt(Date.now() - ageMillis) * 1_000_000n,
        startTimeNanos: 0n,
        value,
      });
      const stored = () => values(readAll(db, "td.queue.length")[0]);

      db.ingest([point(30 * MINUTE_MILLIS, 30)]); // at t0 - 30 min
      const stopRetention = scheduleRetention(db, {
        maxAgeMillis: 2 * HOUR_MILLIS,
      });
      // Arrives after the start-up pass, already 3 h old (t0 - 3 h).
      db.ingest([point(3 * HOUR_MILLIS, 180)]);
      expect(stored()).toEqual([180, 30]);

      vi.advanceTimersByTime(HOUR_MILLIS - 1);
      expect(stored()).toEqual([180, 30]); // no pass yet
      vi.advanceTimersByTime(1); // pass at t0 + 1 h: cutoff t0 - 1 h
      expect(stored()).toEqual([30]);
      vi.advanceTimersByTime(HOUR_MILLIS - 1);
      expect(stored()).toEqual([30]); // t0 - 30 min is still within 2 h
      vi.advanceTimersByTime(1); // pass at t0 + 2 h: cutoff t0
      expect(stored()).toEqual([]);

      stopRetention();
      db.ingest([point(3 * HOUR_MILLIS, 180)]);
      vi.advanceTimersByTime(3 * HOUR_MILLIS);
      expect(stored()).toEqual([180]); // stopped: no more passes
    } finally {
      db.close();
      vi.useRealTimers();
    }
  });
});

/** A gauge request of `n` points; the last `noValue` carry the no-recorded-value flag, `valueless` have no value. */
function gaugeRequest(n: number, { noValue = 0, valueless = 0 } = {}) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const dataPoints = Array.from(
    { length: n + noValue + valueless },
    (_, i) => ({
      timeUnixNano: String(now + BigInt(i) * 1_000_000n),
      ...(i < n + noValue ? { asInt: String(i) } : {}),
      ...(i >= n && i < n + noValue ? { flags: 1 } : {}),
    }),
  );
  return request([{ name: "td.queue.length", gauge: { dataPoints } }]);
}

const SUMMARY = /^collector: \d+ metric request/;

describe("td-monitor collector logging", () => {
  it("logs one summary line per interval with the interval's counts, none per request", async () => {
    const collector = await startCollector(["--log-interval", "2s"]);
    const { url } = collector;
    expect((await post(url, gaugeRequest(2))).status).toBe(200);
    const first = await collector.waitForLine(SUMMARY);
    expect(first.text).toBe(
      `collector: 1 metric request (${kib(gaugeRequest(2))}): 2 points stored, 0 rejected, 0 without value`,
    );

    // A new interval has just begun: all of this falls into it.
    const requests = [
      gaugeRequest(2),
      gaugeRequest(3),
      gaugeRequest(1, { noValue: 1, valueless: 1 }),
    ];
    for (const body of requests)
      expect((await post(url, body)).status).toBe(200);
    expect((await post(url, "x", { contentType: "text/plain" })).status).toBe(
      415,
    );
    expect((await post(url, {}, { path: "/v1/traces" })).status).toBe(200);
    const second = await collector.waitForLine(SUMMARY, {
      from: first.index + 1,
    });

    // 2 + 3 + 1 points stored; the valueless point is rejected and the
    // flagged one counted apart. Only the stored requests' bytes count.
    expect(second.text).toBe(
      `collector: 3 metric requests (${kib(...requests)}): 6 points stored, 1 rejected, 1 without value; refused 1 request (415×1); 1 trace/log request ignored`,
    );
    // The next tick, not the next request, wrote it.
    expect(second.at - first.at).toBeGreaterThan(1500);
    expect(await stop(collector)).toBe(0);
    // Nothing arrived after the second line: shutting down adds no summary.
    const texts = collector.lines.map((l) => l.text);
    expect(texts.filter((t) => SUMMARY.test(t))).toEqual([
      first.text,
      second.text,
    ]);
    expect(texts.filter((t) => t.includes("POST /v1/metrics"))).toEqual([]);
    // Bad input is warned about once, apart from the summaries.
    expect(
      collector.lines.filter((l) => l.stream === "err").map((l) => l.text),
    ).toEqual([
      'collector: rejected resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[2] (metric "td.queue.length"): has neither asDouble nor asInt (reported once)',
    ]);
  });

  it("logs a line per request with --verbose, and the summary at shutdown", async () => {
    const collector = await startCollector([
      "--verbose",
      "--log-interval",
      "1h",
    ]);
    const { url } = collector;
    expect((await post(url, gaugeRequest(2))).status).toBe(200);
    expect(
      (await post(url, gaugeRequest(3), { encoding: "protobuf", gzip: true }))
        .status,
    ).toBe(200);
    expect((await post(url, "x", { contentType: "text/plain" })).status).toBe(
      415,
    );
    expect(await stop(collector)).toBe(0);

    const texts = collector.lines.map((l) => l.text);
    const perRequest = texts.filter((t) => t.startsWith("collector: POST "));
    expect(perRequest).toHaveLength(3);
    expect(perRequest[0]).toMatch(
      /^collector: POST \/v1\/metrics 200 \(application\/json, identity\): 2 points stored, 0 rejected, 0 without value, \d+\.\d ms$/,
    );
    expect(perRequest[1]).toMatch(
      /^collector: POST \/v1\/metrics 200 \(application\/x-protobuf, gzip\): 3 points stored, 0 rejected, 0 without value, \d+\.\d ms$/,
    );
    expect(perRequest[2]).toBe(
      'collector: POST /v1/metrics 415: content type "text/plain" is not OTLP; send application/x-protobuf or application/json',
    );
    // The hour never passed: the one summary is written at shutdown.
    expect(texts.filter((t) => SUMMARY.test(t))).toEqual([
      expect.stringMatching(
        /^collector: 2 metric requests \(\d+\.\d KiB\): 5 points stored, 0 rejected, 0 without value; refused 1 request \(415×1\)$/,
      ),
    ]);
  });
});

/** The summary's size of these JSON request bodies, as the receiver counts them. */
function kib(...bodies: unknown[]): string {
  const bytes = bodies.reduce<number>(
    (total, body) => total + encode(body, "json").length,
    0,
  );
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** A local webhook receiver: the bodies it got, in order. */
async function webhookReceiver(): Promise<{
  url: string;
  received: Array<{
    status: string;
    alerts: Array<{ id: string; rule: string; status: string }>;
  }>;
  close(): Promise<void>;
}> {
  const received: Array<{
    status: string;
    alerts: Array<{ id: string; rule: string; status: string }>;
  }> = [];
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      received.push(JSON.parse(text));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A rule file evaluated every second, notifying the webhook in TEST_HOOK_URL. */
function writeRules(rules: string): string {
  const file = path.join(dataDir, "rules.yaml");
  writeFileSync(
    file,
    `evaluation_interval: 1s
receivers:
  - { name: ops, type: webhook, url_env: TEST_HOOK_URL }
defaults: { receivers: [ops] }
rules:
${rules}`,
  );
  return file;
}

const QUEUE_BACKLOG = `  - id: QueueBacklog
    metric: td.queue.length
    statistic: max
    window: 1m
    group_by: [td.queue.name]
    condition: ">"
    threshold: 100
    severity: warning
    for: 2s
    message: "queue {{ labels.td.queue.name }} holds {{ value }} jobs"
`;

describe("td-monitor collector --rules", () => {
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  beforeEach(async () => {
    hook = await webhookReceiver();
  });
  afterEach(() => hook.close());

  it("fires an alert on what it receives, notifies the webhook once, and alerts list shows it firing", async () => {
    const collector = await startCollector(
      ["--rules", writeRules(QUEUE_BACKLOG)],
      { TEST_HOOK_URL: hook.url },
    );
    // 250 jobs waiting, over the threshold of 100.
    const body = request([
      {
        name: "td.queue.length",
        unit: "{job}",
        gauge: {
          dataPoints: [
            {
              timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
              asInt: "250",
              attributes: attributes({ "td.queue.name": "render" }),
            },
          ],
        },
      },
    ]);
    expect((await post(collector.url, body)).status).toBe(200);

    const labels = '{alertname="QueueBacklog", td.queue.name="render"}';
    const pending = await collector.waitForLine(
      /^alerts: QueueBacklog .*: inactive -> pending$/,
    );
    const firing = await collector.waitForLine(
      /^alerts: QueueBacklog .*: pending -> firing$/,
    );
    expect(pending.text).toBe(
      `alerts: QueueBacklog ${labels}: inactive -> pending`,
    );
    // for: 2s, evaluated every second.
    expect(firing.at - pending.at).toBeGreaterThanOrEqual(1500);

    // Three more evaluations with the alert still firing notify no more.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]).toMatchObject({
      status: "firing",
      alerts: [
        {
          rule: "QueueBacklog",
          status: "firing",
          severity: "warning",
          labels: { alertname: "QueueBacklog", "td.queue.name": "render" },
          message: "queue render holds 250 jobs",
          value: 250,
          threshold: 100,
        },
      ],
    });

    const listed = runCli(["alerts", "list", "--json", "--data-dir", dataDir]);
    expect(listed.status).toBe(0);
    const alerts = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: hook.received[0]!.alerts[0]!.id,
      rule: "QueueBacklog",
      state: "firing",
      severity: "warning",
      value: 250,
    });
    expect(await stop(collector)).toBe(0);
    // No rule failed, so nothing went to standard error.
    expect(collector.lines.filter((l) => l.stream === "err")).toEqual([]);
  });

  // A statistic the metric does not define used to fail at every
  // evaluation; it is refused on load, at its line, before anything listens.
  // (An evaluation error is logged once: test/alerts/report-log.test.ts.)
  it("refuses a rule whose statistic the metric does not define, at its line", () => {
    const rules = writeRules(`${QUEUE_BACKLOG}  - id: QueueGrowing
    metric: td.queue.length
    statistic: rate
    window: 1m
    condition: ">"
    threshold: 1
`);
    const result = runCli([
      "collector",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--rules",
      rules,
    ]);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${rules}:18:16: rules[1].statistic: rate is not defined for the gauge td.queue.length; use one of avg, min, max, sum, count, last`,
    );
    expect(result.stdout).not.toContain("listening");
  });

  it("refuses a raw PromQL rule, which its embedded store cannot run, naming the file and what to do", async () => {
    const rules = writeRules(`  - id: Raw
    expr: "up == 0"
    condition: ">"
    threshold: 0
`);
    const result = runCli([
      "collector",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--rules",
      rules,
    ]);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `td-monitor: --rules ${rules}: rule "Raw": a raw PromQL expr needs a Prometheus store; embedded:${dataDir} cannot run it; the collector evaluates against its own store: remove the rule, or evaluate the file with td-monitor alerts evaluate --store prometheus:URL\n`,
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

  it("deletes exactly the points older than --max-age, which beats TD_MONITORING_RETENTION", async () => {
    const collector = await startCollector();
    const { url } = collector;
    const ages = (minutes: number[]) => minutes.map((m) => m * MINUTE_MILLIS);
    expect(
      (await post(url, queueLengths(ages([180, 120, 80, 1])))).status,
    ).toBe(200);
    expect((await post(url, queueLengths(ages([100]), "email"))).status).toBe(
      200,
    );
    expect(await stop(collector)).toBe(0);

    const before = Date.now();
    const result = runCli(
      ["retention", "--data-dir", dataDir, "--max-age", "90m", "--json"],
      { TD_MONITORING_RETENTION: "1d" },
    );

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      samples: number;
      series: number;
      cutoffMillis: number;
    };
    // Older than 90 min: 180 and 120 of render, 100 of email (its only
    // point, so its series goes too); 80 and 1 stay.
    expect(answer).toMatchObject({ samples: 3, series: 1 });
    expect(answer.cutoffMillis).toBeGreaterThanOrEqual(
      before - 90 * MINUTE_MILLIS,
    );
    expect(answer.cutoffMillis).toBeLessThanOrEqual(
      Date.now() - 90 * MINUTE_MILLIS,
    );
    expect(storedQueueLengths()).toEqual({ render: [80, 1] });

    const again = runCli([
      "retention",
      "--data-dir",
      dataDir,
      "--max-age",
      "90m",
    ]);
    expect(again.stdout).toMatch(
      /^deleted 0 samples and 0 series taken before \S+ from \S+series\.db\n$/,
    );
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
