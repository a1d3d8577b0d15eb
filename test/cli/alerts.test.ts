/**
 * `td-monitor alerts …` as child processes of the built CLI
 * (`npx tsc -p tsconfig.build.json` first; `npm test` does), over an embedded
 * store with a CPU series that is high right now, notifying a local webhook.
 */
import { execFile, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Severity } from "../../src/alerts/rule.js";
import {
  emptyState,
  writeState,
  type AlertRecord,
} from "../../src/alerts/state-file.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";

const CLI = path.resolve("dist/cli/main.js");
const MINUTE = 60_000;

let dataDir: string;
let rulesFile: string;
let server: Server;
let hookUrl: string;
const received: Array<{
  status: string;
  alerts: Array<{ id: string; labels: Record<string, string> }>;
}> = [];

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliIn(process.cwd(), args, env);
}

function cliIn(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = { ...process.env };
  delete inherited.TD_MONITORING_STORE;
  delete inherited.TD_MONITORING_DATA_DIR;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...inherited, ...env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        resolve({
          code:
            error === null ? 0 : Number((error as { code?: number }).code ?? 1),
          stdout,
          stderr,
        });
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync(CLI))
    throw new Error(
      `${CLI} is missing; run npx tsc -p tsconfig.build.json first`,
    );
  dataDir = mkdtempSync(path.join(tmpdir(), "td-alerts-cli-"));
  const db = EmbeddedDatabase.open(dataDir);
  const now = Date.now();
  db.ingest(
    Array.from({ length: 10 }, (_, i) => ({
      type: "number" as const,
      series: {
        metric: "system.cpu.utilization",
        kind: "gauge" as const,
        unit: "1",
        temporality: "unspecified" as const,
        monotonic: false,
        labels: { "host.name": "web-1" },
      },
      timeNanos: BigInt(now - (9 - i) * MINUTE) * 1_000_000n,
      startTimeNanos: BigInt(now - 10 * MINUTE) * 1_000_000n,
      value: 0.97,
    })),
  );
  // web-2 reported from 20 to 15 minutes ago, then stopped.
  db.ingest(
    Array.from({ length: 6 }, (_, i) => ({
      type: "number" as const,
      series: {
        metric: "system.cpu.utilization",
        kind: "gauge" as const,
        unit: "1",
        temporality: "unspecified" as const,
        monotonic: false,
        labels: { "host.name": "web-2" },
      },
      timeNanos: BigInt(now - (20 - i) * MINUTE) * 1_000_000n,
      startTimeNanos: BigInt(now - 21 * MINUTE) * 1_000_000n,
      value: 0.5,
    })),
  );
  db.close();
  rulesFile = path.join(dataDir, "rules.yaml");
  writeFileSync(
    rulesFile,
    `receivers:
  - { name: ops, type: webhook, url_env: TEST_HOOK_URL }
defaults: { receivers: [ops] }
rules:
  - id: CpuHigh
    metric: cpu
    statistic: max
    window: 5m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    severity: critical
    message: "CPU on {{ labels.host.name }} at {{ value | percent }}"
`,
  );
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      received.push(JSON.parse(text));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook/s3cret`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe("td-monitor alerts", () => {
  const common = () => ["--data-dir", dataDir];

  it("evaluates once, notifies once, and lists, shows, acknowledges and resolves the alert", async () => {
    const env = { TEST_HOOK_URL: hookUrl };
    const first = await cli(
      [
        "alerts",
        "evaluate",
        "--rules",
        rulesFile,
        "--store",
        `embedded:${dataDir}`,
        ...common(),
      ],
      env,
    );
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'CpuHigh {alertname="CpuHigh", host.name="web-1"}: pending -> firing',
    );
    const again = await cli(
      [
        "alerts",
        "evaluate",
        "--rules",
        rulesFile,
        "--store",
        `embedded:${dataDir}`,
        "--json",
        ...common(),
      ],
      env,
    );
    expect(JSON.parse(again.stdout)).toMatchObject({
      transitions: [],
      notifications: { sent: 0, failed: 0 },
    });
    expect(received.map((r) => r.status)).toEqual(["firing"]);

    const list = JSON.parse(
      (
        await cli([
          "alerts",
          "list",
          "--state",
          "firing",
          "--json",
          ...common(),
        ])
      ).stdout,
    );
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      rule: "CpuHigh",
      severity: "critical",
      message: "CPU on web-1 at 97%",
      value: 0.97,
    });
    const id: string = list[0].id;
    expect(received[0]?.alerts[0]?.id).toBe(id);

    const shown = await cli(["alerts", "show", id.slice(0, 6), ...common()]);
    expect(shown.stdout).toContain("message:    CPU on web-1 at 97%");
    expect(shown.stdout).toMatch(
      // Regression: said "(1 attempts)".
      /notified: {3}\S+ ops firing ok \(1 attempt\)/,
    );
    expect(shown.stdout).not.toContain("s3cret");

    expect((await cli(["alerts", "ack", id, ...common()])).stdout).toContain(
      `acknowledged ${id}`,
    );
    // A note with a terminal escape and a line break: kept as typed, shown
    // escaped, never sent raw to the terminal.
    const note = "known load test\u001b[2J\nfired: never";
    const resolved = await cli([
      "alerts",
      "resolve",
      id,
      "--note",
      note,
      "--json",
      ...common(),
    ]);
    expect(JSON.parse(resolved.stdout)).toMatchObject({
      state: "resolved",
      resolvedBy: { kind: "manual", note },
    });
    const reshown = await cli(["alerts", "show", id, ...common()]);
    expect(reshown.stdout).toContain(
      ": known load test\\x1b[2J\\nfired: never\n",
    );
    expect(reshown.stdout).not.toContain("\u001b");

    const silence = await cli([
      "alerts",
      "silence",
      "--match",
      "host.name=web-1",
      "--for",
      "2h",
      ...common(),
    ]);
    expect(silence.stdout).toMatch(
      /^silence \w+ until .* for \{host\.name="web-1"\}\n$/,
    );
    // The resolution is announced; the condition still holds, so a new alert starts pending.
    const third = await cli(
      [
        "alerts",
        "evaluate",
        "--rules",
        rulesFile,
        "--store",
        `embedded:${dataDir}`,
        "--json",
        ...common(),
      ],
      env,
    );
    expect(JSON.parse(third.stdout).transitions).toMatchObject([
      { from: "resolved", to: "pending" },
      { from: "pending", to: "firing" },
    ]);
    expect(received.map((r) => r.status)).toEqual(["firing", "resolved"]);
  });

  it("evaluates the series of --data-dir when no store is named", async () => {
    const install = mkdtempSync(path.join(tmpdir(), "td-alerts-install-"));
    try {
      cpSync(path.join(dataDir, "metrics"), path.join(install, "metrics"), {
        recursive: true,
      });
      // Run where no data/monitoring is, with no TD_MONITORING_STORE.
      const run = await cliIn(install, [
        "alerts",
        "evaluate",
        "--rules",
        rulesFile,
        "--data-dir",
        install,
        "--json",
      ]);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as {
        rules: Array<{ id: string; series: number; error?: string }>;
        transitions: Array<{ rule: string; to: string }>;
      };
      // web-1 alone: web-2 stopped reporting before the 5 m window.
      expect(report.rules).toEqual([{ id: "CpuHigh", series: 1 }]);
      expect(
        report.transitions.filter((t) => t.to === "firing").map((t) => t.rule),
      ).toEqual(["CpuHigh"]);
    } finally {
      rmSync(install, { recursive: true, force: true });
    }
  });

  it("names the file, line and column of a bad rule, and exits 1", async () => {
    const bad = path.join(dataDir, "bad.yaml");
    writeFileSync(
      bad,
      "rules:\n  - id: X\n    metric: cpu\n    condition: '>'\n    threshold: high\n",
    );
    const result = await cli([
      "alerts",
      "evaluate",
      "--rules",
      bad,
      ...common(),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `td-monitor: ${bad}:5:16: rules[0].threshold: expected a number\n`,
    );
  });

  it("exports Prometheus rules and replays the history", async () => {
    const exported = await cli([
      "alerts",
      "export",
      "--format",
      "prometheus",
      "--rules",
      rulesFile,
    ]);
    expect(exported.stdout).toContain(
      "expr: (max by (host_name) (max_over_time(system_cpu_utilization_ratio[300000ms]))) > 0.9",
    );
    const replayed = await cli([
      "alerts",
      "replay",
      "--rules",
      rulesFile,
      "--since",
      "15m",
      "--step",
      "1m",
      "--store",
      `embedded:${dataDir}`,
      "--json",
    ]);
    expect(replayed.code).toBe(0);
    const { episodes } = JSON.parse(replayed.stdout);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({
      rule: "CpuHigh",
      severity: "critical",
      labels: { "host.name": "web-1" },
      resolvedAt: null,
    });
  });

  // Regression: replay --since 30m fired InstanceNotReporting for every
  // series 2 min after --since, even one that started later, and printed
  // PEAK NaN.
  it("replays no_data only after a series first reported, without NaN", async () => {
    const notReporting = path.join(dataDir, "not-reporting.yaml");
    writeFileSync(
      notReporting,
      `rules:
  - id: NotReporting
    metric: cpu
    statistic: count
    window: 2m
    group_by: [host.name]
    condition: "<"
    threshold: 1
    severity: critical
    for: 1m
    no_data: alerting
`,
    );
    const args = [
      "alerts",
      "replay",
      "--rules",
      notReporting,
      "--since",
      "30m",
      "--step",
      "1m",
      "--store",
      `embedded:${dataDir}`,
    ];
    const json = await cli([...args, "--json"]);
    expect(json.code).toBe(0);
    const { episodes } = JSON.parse(json.stdout);
    expect(
      episodes.map((e: { labels: Record<string, string> }) => e.labels),
    ).toEqual([{ alertname: "NotReporting", "host.name": "web-2" }]);
    const text = await cli(args);
    expect(text.stdout).not.toContain("NaN");
    expect(text.stdout).toContain("\nNotReporting: fired once\n");
    expect(text.stdout).toMatch(/host\.name="web-2"\}\s+critical\s.*\s—\n/);
  });

  // Regression: replay against an unreachable store printed one error per
  // rule, then "no rule would have fired ...", and exited 0.
  it("fails a replay whose store cannot be reached, in one line", async () => {
    const args = [
      "alerts",
      "replay",
      "--since",
      "1h",
      "--store",
      "prometheus:http://127.0.0.1:1",
    ];
    const text = await cli(args);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe("");
    expect(text.stderr).toMatch(
      /^td-monitor: replay failed: cannot query http:\/\/127\.0\.0\.1:1: cannot reach .* \(11 of 11 rules not replayed\)\n$/,
    );
    const json = await cli([...args, "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      episodes: [],
      rulesReplayed: 0,
      storeUnavailable: { store: "http://127.0.0.1:1" },
    });
    expect(json.stderr.split("\n")).toHaveLength(2);
  });

  // Regression: silences could not be listed or removed, `--for 9999999d`
  // was accepted and `--for 0s` said "is not a duration".
  it("lists and removes silences, and bounds their duration", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "td-alerts-silences-"));
    try {
      const at = ["--data-dir", dir];
      const created = await cli([
        "alerts",
        "silence",
        "--match",
        "a=b",
        "--for",
        "1h",
        "--comment",
        "maintenance",
        "--json",
        ...at,
      ]);
      const { id } = JSON.parse(created.stdout);
      const listed = await cli(["alerts", "silences", ...at]);
      expect(listed.stdout).toMatch(
        new RegExp(
          `^ID +MATCHERS +UNTIL +BY +COMMENT\\n${id} +\\{a="b"\\} +\\S+ +\\S+ +maintenance\\n$`,
        ),
      );
      expect(
        JSON.parse((await cli(["alerts", "silences", "--json", ...at])).stdout),
      ).toMatchObject([{ id, matchers: { a: "b" }, comment: "maintenance" }]);

      const removed = await cli(["alerts", "unsilence", id.slice(0, 5), ...at]);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain(`removed silence ${id}`);
      expect((await cli(["alerts", "silences", ...at])).stdout).toBe(
        "no silences\n",
      );
      const again = await cli(["alerts", "unsilence", id, ...at]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`no silence in force with id "${id}"`);

      const silence = (duration: string) =>
        cli(["alerts", "silence", "--match", "a=b", "--for", duration, ...at]);
      expect((await silence("9999999d")).stderr).toBe(
        'td-monitor: --for "9999999d" is longer than the maximum, 90d; for longer, change the rule\n',
      );
      expect((await silence("0s")).stderr).toBe(
        'td-monitor: --for "0s" must be more than 0 (e.g. 2h)\n',
      );
      expect((await silence("90d")).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Regression: `export --format prometheus --json` failed with "unknown
  // option '--json'", and --format had to be given though it has one value.
  it("exports without --format, and as JSON with --json", async () => {
    const plain = await cli(["alerts", "export", "--rules", rulesFile]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("alert: CpuHigh");
    const json = await cli([
      "alerts",
      "export",
      "--format",
      "prometheus",
      "--json",
      "--rules",
      rulesFile,
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      rules: {
        groups: [{ name: "td-monitoring", rules: [{ alert: "CpuHigh" }] }],
      },
      skipped: [],
    });
  });

  it("lists by --severity and --since, alone and together", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "td-alerts-filters-"));
    try {
      const now = Date.now();
      const HOUR = 60 * MINUTE;
      const DAY = 24 * HOUR;
      const alert = (
        id: string,
        severity: Severity,
        startedAgo: number,
        resolvedAgo?: number,
      ): AlertRecord => ({
        id,
        rule: "QueueBacklog",
        seriesKey: id,
        labels: { alertname: "QueueBacklog", "td.queue.name": id },
        severity,
        state: resolvedAgo === undefined ? "firing" : "resolved",
        message: `queue ${id}`,
        value: 250,
        threshold: 100,
        peakValue: 250,
        startedAtMillis: now - startedAgo,
        firedAtMillis: now - startedAgo + MINUTE,
        ...(resolvedAgo === undefined
          ? {}
          : {
              resolvedAtMillis: now - resolvedAgo,
              resolvedBy: { kind: "automatic" as const },
            }),
        receivers: [],
        lastEvaluationMillis: now,
        notifications: [],
        delivered: {},
      });
      const alerts = [
        alert("critical-recent", "critical", 2 * HOUR), // firing for 2 h
        alert("critical-old", "critical", 4 * DAY, 3 * DAY), // over 3 days ago
        alert("warning-recent", "warning", 5 * HOUR, 3 * HOUR), // resolved 3 h ago
        alert("warning-old", "warning", 5 * DAY), // firing for 5 days
      ];
      await writeState(path.join(dir, "alerts"), {
        ...emptyState(),
        alerts: Object.fromEntries(alerts.map((a) => [a.id, a])),
      });
      const ids = async (...flags: string[]) => {
        const result = await cli([
          "alerts",
          "list",
          "--json",
          "--data-dir",
          dir,
          ...flags,
        ]);
        expect(result.stderr).toBe("");
        return (JSON.parse(result.stdout) as AlertRecord[]).map((a) => a.id);
      };

      // Most severe first, then the most recently started.
      expect(await ids()).toEqual([
        "critical-recent",
        "critical-old",
        "warning-recent",
        "warning-old",
      ]);
      expect(await ids("--severity", "critical")).toEqual([
        "critical-recent",
        "critical-old",
      ]);
      expect(await ids("--severity", "warning")).toEqual([
        "warning-recent",
        "warning-old",
      ]);
      expect(await ids("--severity", "info")).toEqual([]);
      // Active at some time in the last day: all but the one resolved 3
      // days ago; warning-old started 5 days ago but fires still.
      expect(await ids("--since", "1d")).toEqual([
        "critical-recent",
        "warning-recent",
        "warning-old",
      ]);
      // In the last hour only the open ones were active.
      expect(await ids("--since", "1h")).toEqual([
        "critical-recent",
        "warning-old",
      ]);
      expect(await ids("--severity", "warning", "--since", "1d")).toEqual([
        "warning-recent",
        "warning-old",
      ]);
      // A time works as a duration does: 4 days ago takes in critical-old.
      expect(
        await ids(
          "--severity",
          "critical",
          "--since",
          new Date(now - 4 * DAY).toISOString(),
        ),
      ).toEqual(["critical-recent", "critical-old"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("notifies once when two evaluator processes start together on one data directory", async () => {
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const dir = mkdtempSync(path.join(tmpdir(), "td-alerts-race-"));
      try {
        cpSync(path.join(dataDir, "metrics"), path.join(dir, "metrics"), {
          recursive: true,
        });
        const before = received.length;
        const evaluate = () =>
          cli(
            [
              "alerts",
              "evaluate",
              "--rules",
              rulesFile,
              "--store",
              `embedded:${dir}`,
              "--data-dir",
              dir,
            ],
            { TEST_HOOK_URL: hookUrl },
          );

        const both = await Promise.all([evaluate(), evaluate()]);

        expect(both.map((r) => [r.code, r.stderr])).toEqual([
          [0, ""],
          [0, ""],
        ]);
        // A skip is said once, by the CLI, not also by the evaluator's log.
        for (const { stdout } of both) {
          expect(stdout.match(/skipped/g)?.length ?? 0).toBeLessThanOrEqual(1);
        }
        const firings = received
          .slice(before)
          .filter((body) => body.status === "firing");
        expect(firings, `round ${round}`).toHaveLength(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("evaluates in a loop with --every until SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        "alerts",
        "evaluate",
        "--every",
        "1s",
        "--rules",
        rulesFile,
        "--store",
        `embedded:${dataDir}`,
        ...common(),
      ],
      {
        env: { ...process.env, TEST_HOOK_URL: hookUrl },
      },
    );
    const lines = createInterface({ input: child.stdout });
    let evaluations = 0;
    for await (const line of lines) {
      if (line.includes("evaluated 1 rule (0 failed), ")) evaluations += 1;
      if (evaluations === 2) break;
    }
    const exit = new Promise<number | null>((resolve) =>
      child.once("exit", resolve),
    );
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});
