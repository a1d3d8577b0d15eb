import { spawn } from "node:child_process";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createNetServer } from "node:net";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  createNotifiers,
  dispatch,
} from "../../src/alerts/notifiers/dispatcher.js";
import type { NotificationGroup } from "../../src/alerts/notifiers/types.js";
import type { ReceiverConfig } from "../../src/alerts/rule.js";
import { emptyState, type AlertRecord } from "../../src/alerts/state-file.js";
import { tempDir } from "./helpers/fixtures.js";

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}

/** A local HTTP receiver answering with `status(n)` for the n-th request (from 1). */
async function receiver(
  status: (n: number) => number | "hang" = () => 200,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createHttpServer(
    (request: IncomingMessage, response: ServerResponse) => {
      let text = "";
      request.on("data", (chunk: Buffer) => (text += chunk.toString()));
      request.on("end", () => {
        received.push({
          path: request.url ?? "",
          headers: request.headers,
          body: JSON.parse(text),
        });
        const answer = status(received.length);
        if (answer === "hang") return;
        response.writeHead(answer).end(answer === 200 ? "" : "nope");
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, received };
}

const NOW = Date.UTC(2026, 0, 1, 12);

function alert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: "abc12345-x1",
    rule: "CpuHigh",
    seriesKey: "abc1234500000000",
    labels: { alertname: "CpuHigh", "host.name": "web-1" },
    severity: "critical",
    state: "firing",
    message: "CPU on web-1 at 97%",
    value: 0.97,
    threshold: 0.9,
    peakValue: 0.99,
    startedAtMillis: NOW - 300_000,
    firedAtMillis: NOW,
    runbook: "https://runbooks.example/cpu",
    receivers: ["ops"],
    lastEvaluationMillis: NOW,
    notifications: [],
    delivered: {},
    context: [
      {
        metric: "http.server.request.duration",
        statistic: "p95",
        before: 0.1,
        after: 0.4,
        relativeChange: 3,
      },
    ],
    ...overrides,
  };
}

function group(alerts: AlertRecord[], receiverName = "ops"): NotificationGroup {
  return {
    key: `${receiverName}/CpuHigh`,
    receiver: receiverName,
    rule: { id: "CpuHigh", runbook: "https://runbooks.example/cpu" },
    status: alerts.some((a) => a.state === "firing") ? "firing" : "resolved",
    reason: "firing",
    alerts,
    nowMillis: NOW,
  };
}

function config(
  type: ReceiverConfig["type"],
  overrides: Partial<ReceiverConfig> = {},
): ReceiverConfig {
  return {
    name: "ops",
    type,
    urlEnv: "OPS_URL",
    tokenEnv: "OPS_TOKEN",
    timeoutSeconds: 2,
    maxAttempts: 3,
    ...overrides,
  };
}

function notifierFor(
  type: ReceiverConfig["type"],
  env: NodeJS.ProcessEnv,
  overrides: Partial<ReceiverConfig> = {},
) {
  const notifier = createNotifiers([config(type, overrides)], {
    env,
    evaluationIntervalSeconds: 30,
    initialBackoffMillis: 10,
  }).get("ops");
  if (notifier === undefined) throw new Error("no notifier");
  return notifier;
}

describe("notifiers", () => {
  it("posts the documented webhook body with the bearer token", async () => {
    const { url, received } = await receiver();
    const notifier = notifierFor("webhook", {
      OPS_URL: `${url}/hook`,
      OPS_TOKEN: "s3cret-token",
    });
    expect(await notifier.send(group([alert()]))).toBe(1);
    expect(received[0]?.path).toBe("/hook");
    expect(received[0]?.headers.authorization).toBe("Bearer s3cret-token");
    expect(received[0]?.body).toEqual({
      version: "1",
      source: "td-monitoring",
      receiver: "ops",
      groupKey: "ops/CpuHigh",
      status: "firing",
      reason: "firing",
      rule: { id: "CpuHigh", runbook: "https://runbooks.example/cpu" },
      sentAt: "2026-01-01T12:00:00.000Z",
      alerts: [
        {
          id: "abc12345-x1",
          rule: "CpuHigh",
          status: "firing",
          severity: "critical",
          labels: { alertname: "CpuHigh", "host.name": "web-1" },
          message: "CPU on web-1 at 97%",
          value: 0.97,
          threshold: 0.9,
          peakValue: 0.99,
          startedAt: "2026-01-01T11:55:00.000Z",
          firedAt: "2026-01-01T12:00:00.000Z",
          resolvedAt: null,
          resolvedBy: null,
          acknowledged: false,
          runbook: "https://runbooks.example/cpu",
          context: [
            {
              metric: "http.server.request.duration",
              statistic: "p95",
              before: 0.1,
              after: 0.4,
              relativeChange: 3,
            },
          ],
        },
      ],
    });
  });

  it("posts a Slack-compatible text", async () => {
    const { url, received } = await receiver();
    await notifierFor("slack", { OPS_URL: url }).send(group([alert()]));
    expect(received[0]?.body).toEqual({
      text: [
        "*[FIRING:1] CpuHigh*",
        ":red_circle: critical: CPU on web-1 at 97% (value 0.97, threshold 0.9)",
        "_Changed most:_ http.server.request.duration 0.1 → 0.4",
        "<https://runbooks.example/cpu|Runbook>",
      ].join("\n"),
    });
  });

  it("retries 5xx with backoff, and gives up on 4xx at once", async () => {
    const flaky = await receiver((n) => (n < 3 ? 503 : 200));
    expect(
      await notifierFor("webhook", { OPS_URL: flaky.url }).send(
        group([alert()]),
      ),
    ).toBe(3);
    const refusing = await receiver(() => 400);
    await expect(
      notifierFor("webhook", { OPS_URL: refusing.url }).send(group([alert()])),
    ).rejects.toThrow("HTTP 400: nope (attempt 1 of 3)");
    expect(refusing.received).toHaveLength(1);
  });

  it("times out a receiver that does not answer", async () => {
    const { url } = await receiver(() => "hang");
    const notifier = notifierFor(
      "webhook",
      { OPS_URL: url },
      { timeoutSeconds: 0.2, maxAttempts: 2 },
    );
    await expect(notifier.send(group([alert()]))).rejects.toThrow(
      "timed out (attempt 2 of 2)",
    );
  });

  it("never logs the URL or token of a failing receiver", async () => {
    const lines: string[] = [];
    const log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
    const logger: DiagLogger = {
      error: log,
      warn: log,
      info: log,
      debug: log,
      verbose: log,
    };
    diag.setLogger(logger, {
      logLevel: DiagLogLevel.ALL,
      suppressOverrideMessage: true,
    });
    try {
      // Nothing listens on port 9 of localhost: the connection is refused.
      const env = {
        OPS_URL: "http://127.0.0.1:9/hooks/T0KEN-IN-PATH",
        OPS_TOKEN: "bearer-s3cret",
      };
      const notifiers = createNotifiers(
        [config("webhook", { maxAttempts: 2 })],
        { env, evaluationIntervalSeconds: 30, initialBackoffMillis: 10 },
      );
      const state = emptyState();
      state.alerts.a = alert();
      expect(await dispatch(state, notifiers, 3600, () => ({}), NOW)).toEqual({
        sent: 0,
        failed: 1,
      });
      const logged = [...lines, JSON.stringify(state)].join("\n");
      expect(logged).toContain(
        'receiver "ops" (webhook): notification of CpuHigh failed',
      );
      expect(logged).not.toContain("T0KEN-IN-PATH");
      expect(logged).not.toContain("bearer-s3cret");
      expect(logged).not.toContain("127.0.0.1:9/hooks");
    } finally {
      diag.disable();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("a real Alertmanager", () => {
  it("lists the alert it was sent, and its resolution", async () => {
    const dir = await tempDir();
    const configFile = path.join(dir, "alertmanager.yml");
    await writeFile(
      configFile,
      "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
    );
    const port = await freePort();
    const child = spawn(
      "prometheus-alertmanager",
      [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--cluster.listen-address=",
      ],
      { stdio: "ignore" },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i += 1) {
        const ready = await fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) break;
        if (i > 100) throw new Error("alertmanager did not become ready");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const notifier = notifierFor("alertmanager", { OPS_URL: url });
      const firing = alert({ firedAtMillis: Date.now() - 60_000 });
      await notifier.send({ ...group([firing]), nowMillis: Date.now() });
      const listed = (await (
        await fetch(`${url}/api/v2/alerts`)
      ).json()) as Array<{
        labels: Record<string, string>;
        annotations: Record<string, string>;
        status: { state: string };
      }>;
      expect(listed).toHaveLength(1);
      expect(listed[0]?.labels).toEqual({
        alertname: "CpuHigh",
        host_name: "web-1",
        severity: "critical",
      });
      expect(listed[0]?.annotations).toMatchObject({
        summary: "CPU on web-1 at 97%",
        runbook_url: "https://runbooks.example/cpu",
      });
      expect(listed[0]?.status.state).toBe("active");

      const resolved = {
        ...firing,
        state: "resolved" as const,
        resolvedAtMillis: Date.now() - 1000,
      };
      await notifier.send({ ...group([resolved]), nowMillis: Date.now() });
      const after = (await (
        await fetch(`${url}/api/v2/alerts?active=true`)
      ).json()) as unknown[];
      expect(after).toEqual([]);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});
