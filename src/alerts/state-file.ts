/**
 * The evaluator's persisted state under `data/monitoring/alerts/`: the state
 * of every series of every rule, the alerts (open and past), notification
 * groups and silences. One JSON file, replaced atomically (write a temporary
 * file, fsync, rename), so a crash leaves the old state or the new one,
 * never half of each.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Severity } from "./rule.js";
import type { SeriesState } from "./state-machine.js";

/** How an alert was resolved. */
export type Resolution =
  | { readonly kind: "automatic" }
  | { readonly kind: "manual"; readonly note: string; readonly by: string };

/** One attempt to deliver a notification about an alert. */
export interface NotificationLog {
  readonly receiver: string;
  /** Why it was sent: a new state, a severity change, or the repeat interval. */
  readonly reason: "firing" | "resolved" | "severity" | "repeat";
  readonly atMillis: number;
  readonly ok: boolean;
  readonly attempts: number;
  readonly error?: string;
}

/** A catalog metric that changed around the time an alert fired. */
export interface MetricChange {
  readonly metric: string;
  readonly statistic: string;
  /** The value over the window before the alert's window. */
  readonly before: number;
  /** The value over the alert's window. */
  readonly after: number;
  /** (after - before) / |before|; ±Infinity when before was 0. */
  readonly relativeChange: number;
}

/** One alert: a series of a rule from the time it went pending until it resolved. */
export interface AlertRecord {
  readonly id: string;
  readonly rule: string;
  readonly seriesKey: string;
  /** The rule's id as `alertname`, the rule's labels and the series' labels. */
  readonly labels: Readonly<Record<string, string>>;
  severity: Severity;
  state: "pending" | "firing" | "resolved";
  message: string;
  value: number;
  threshold: number;
  peakValue: number;
  readonly startedAtMillis: number;
  firedAtMillis?: number;
  resolvedAtMillis?: number;
  resolvedBy?: Resolution;
  acknowledgedAtMillis?: number;
  acknowledgedBy?: string;
  readonly runbook?: string;
  readonly receivers: readonly string[];
  context?: readonly MetricChange[];
  lastEvaluationMillis: number;
  lastError?: string;
  notifications: NotificationLog[];
  /** Per receiver, the state and severity it last heard about. */
  delivered: Record<
    string,
    { state: AlertRecord["state"]; severity: Severity; atMillis: number }
  >;
}

/** A series of a rule as the evaluator keeps it. */
export interface StoredSeries extends SeriesState {
  readonly labels: Readonly<Record<string, string>>;
  /** The alert this series is or was last in. */
  readonly alertId?: string;
}

/** What the evaluator keeps per rule. */
export interface RuleState {
  lastEvaluationMillis?: number;
  lastError?: string;
  series: Record<string, StoredSeries>;
}

/** A silence: alerts whose labels match are not notified until it ends. */
export interface Silence {
  readonly id: string;
  /** Label equalities; `severity` and `alertname` match too. */
  readonly matchers: Readonly<Record<string, string>>;
  readonly startsAtMillis: number;
  readonly endsAtMillis: number;
  readonly createdBy: string;
  readonly comment?: string;
}

/** The whole persisted state. */
export interface AlertsState {
  version: 1;
  rules: Record<string, RuleState>;
  alerts: Record<string, AlertRecord>;
  /** Per notification group (`receiver/rule`), when it was last sent. */
  groups: Record<string, { lastSentMillis: number }>;
  silences: Silence[];
}

/** The file the state lives in. */
export function stateFilePath(alertsDir: string): string {
  return path.join(alertsDir, "state.json");
}

/** The lease file guarding the state. */
export function leaseFilePath(alertsDir: string): string {
  return path.join(alertsDir, "evaluator.lock");
}

/** An empty state, for a first run. */
export function emptyState(): AlertsState {
  return { version: 1, rules: {}, alerts: {}, groups: {}, silences: [] };
}

// JSON has no NaN; values without data are written as null and read back as NaN.
function reviveNumbers(_key: string, value: unknown): unknown {
  return value === null ? Number.NaN : value;
}

/** Reads the state, or an empty one when there is none yet. */
export async function readState(alertsDir: string): Promise<AlertsState> {
  const file = stateFilePath(alertsDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
    throw new Error(
      `alert state ${file}: cannot read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    const state = JSON.parse(text, reviveNumbers) as AlertsState;
    if (state.version !== 1)
      throw new Error(`unknown version ${String(state.version)}`);
    return state;
  } catch (error) {
    throw new Error(
      `alert state ${file}: not a state file this version can read: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Writes `data` as JSON to `file` atomically. */
export async function writeJsonAtomic(
  file: string,
  data: unknown,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(JSON.stringify(data, null, 1));
      // Without the fsync a crash after the rename can leave an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Writes the state atomically. */
export async function writeState(
  alertsDir: string,
  state: AlertsState,
): Promise<void> {
  await writeJsonAtomic(stateFilePath(alertsDir), state);
}
