import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";
import type {
  NotificationGroup,
  Notifier,
} from "../../../src/alerts/notifiers/types.js";
import { parseRuleFile, type RuleFile } from "../../../src/alerts/rule.js";

/** A fresh alerts directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "td-alerts-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A rule file with one receiver `ops` (and `self`), from the YAML of its rules. */
export function ruleFile(rulesYaml: string, extra = ""): RuleFile {
  const text = `receivers:
  - { name: ops, type: webhook, url_env: OPS_URL }
  - { name: self, type: webhook, url_env: SELF_URL }
evaluator_receivers: [self]
defaults:
  receivers: [ops]
  repeat_interval: 1h
${extra}
rules:
${rulesYaml}`;
  return parseRuleFile(text, "test.yaml");
}

/** Notifiers that record what they are given. */
export function recordingNotifiers(): {
  notifiers: Map<string, Notifier>;
  sent: NotificationGroup[];
  failing: Set<string>;
} {
  const sent: NotificationGroup[] = [];
  const failing = new Set<string>();
  const notifiers = new Map<string, Notifier>();
  for (const name of ["ops", "self"]) {
    notifiers.set(name, {
      receiver: {
        name,
        type: "webhook",
        urlEnv: "X",
        timeoutSeconds: 1,
        maxAttempts: 1,
      },
      async send(group) {
        if (failing.has(name)) throw new Error("HTTP 500");
        // Snapshot: the records go on changing after the send.
        sent.push(structuredClone(group));
        return 1;
      },
    });
  }
  return { notifiers, sent, failing };
}

/** A clock the test moves. */
export function testClock(startMillis = Date.UTC(2026, 0, 1)): {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
} {
  let time = startMillis;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
    set(ms) {
      time = ms;
    },
  };
}
