/**
 * Alerts and their history as operators and the manager see them: list,
 * show, resolve by hand, acknowledge, silence and unsilence. Changes take the evaluator's
 * lease, so they never interleave with an evaluation.
 *
 * Resolving an alert whose condition still holds closes that alert (resolved
 * by hand, with the note) and announces the resolution at the next
 * evaluation; the series then starts over: it goes pending at the next
 * evaluation and must hold for the rule's `for` again before a new alert
 * fires. An alert raised because a series has no data (no_data: alerting) is
 * forgotten instead, until the series reports again: that is how a
 * decommissioned instance is cleared. To quiet an alert without closing it,
 * acknowledge it (no repeats) or silence it (no notifications).
 */
import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import { acquireLease } from "./lease.js";
import { SEVERITIES, type Severity } from "./rule.js";
import {
  leaseFilePath,
  readState,
  writeState,
  type AlertRecord,
  type AlertsState,
  type Silence,
} from "./state-file.js";

/** Filters of {@link AlertStore.list}. */
export interface AlertFilter {
  readonly state?: AlertRecord["state"];
  readonly severity?: Severity;
  /**
   * Alerts active at or after this time: every open (pending or firing)
   * alert, however long ago it started, and those resolved at or after it.
   */
  readonly sinceMillis?: number;
}

/** No alert has the id, or a prefix matches several. */
export class AlertNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AlertNotFoundError";
  }
}

/** No silence has the id, or a prefix matches several. */
export class SilenceNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SilenceNotFoundError";
  }
}

/**
 * The longest silence, 90 days. A silence is for maintenance and known
 * noise; one meant to last longer is a rule to change (a threshold,
 * receivers), and a typo such as `9999999d` must not mute alerts for ever.
 */
export const MAX_SILENCE_SECONDS = 90 * 86_400;

/** Options of {@link AlertStore}. */
export interface AlertStoreOptions {
  readonly clock?: () => number;
  /** How long a change waits for a running evaluation. */
  readonly leaseWaitMillis?: number;
}

function who(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

/** Whether the alert was open at some time at or after `sinceMillis`. */
function activeSince(alert: AlertRecord, sinceMillis: number): boolean {
  return (alert.resolvedAtMillis ?? Infinity) >= sinceMillis;
}

/** The alerts kept under one alerts directory. */
export class AlertStore {
  private readonly clock: () => number;
  private readonly leaseWaitMillis: number;

  constructor(
    readonly alertsDir: string,
    { clock = Date.now, leaseWaitMillis = 15_000 }: AlertStoreOptions = {},
  ) {
    this.clock = clock;
    this.leaseWaitMillis = leaseWaitMillis;
  }

  /** Alerts, most severe then most recent first. */
  async list(filter: AlertFilter = {}): Promise<AlertRecord[]> {
    const { alerts } = await readState(this.alertsDir);
    return Object.values(alerts)
      .filter(
        (a) =>
          (filter.state === undefined || a.state === filter.state) &&
          (filter.severity === undefined || a.severity === filter.severity) &&
          (filter.sinceMillis === undefined ||
            activeSince(a, filter.sinceMillis)),
      )
      .sort(
        (a, b) =>
          SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
          b.startedAtMillis - a.startedAtMillis ||
          (a.id < b.id ? -1 : 1),
      );
  }

  /** Pending and firing alerts, optionally of one severity. */
  async getActiveAlerts({ severity }: { severity?: Severity } = {}): Promise<
    AlertRecord[]
  > {
    const alerts = await this.list(severity === undefined ? {} : { severity });
    return alerts.filter((a) => a.state !== "resolved");
  }

  /** One alert by its id or a unique prefix of it. */
  async get(id: string): Promise<AlertRecord> {
    return find(await readState(this.alertsDir), id);
  }

  /** Resolves an alert by hand; see the module comment for what follows. */
  async resolve(id: string, note: string, by = who()): Promise<AlertRecord> {
    return this.change((state, now) => {
      const alert = find(state, id);
      if (alert.state === "resolved")
        throw new Error(`alert ${alert.id} is already resolved`);
      alert.state = "resolved";
      alert.resolvedAtMillis = now;
      alert.resolvedBy = { kind: "manual", note, by };
      const rule = state.rules[alert.rule];
      const series = rule?.series[alert.seriesKey];
      if (
        rule !== undefined &&
        series !== undefined &&
        series.alertId === alert.id
      ) {
        if (series.lastObservation === "no-data")
          delete rule.series[alert.seriesKey];
        else {
          rule.series[alert.seriesKey] = {
            ...series,
            state: "resolved",
            tier: -1,
            resolvedAtMillis: now,
            keepFiringSinceMillis: undefined,
          };
        }
      }
      return alert;
    });
  }

  /** Acknowledges an alert: it is not notified again until it resolves. */
  async acknowledge(id: string, by = who()): Promise<AlertRecord> {
    return this.change((state, now) => {
      const alert = find(state, id);
      alert.acknowledgedAtMillis = now;
      alert.acknowledgedBy = by;
      return alert;
    });
  }

  /** Silences alerts whose labels (or `severity`) equal every matcher, for a while. */
  async silence(
    matchers: Readonly<Record<string, string>>,
    durationSeconds: number,
    comment?: string,
    by = who(),
  ): Promise<Silence> {
    if (Object.keys(matchers).length === 0)
      throw new Error("a silence needs at least one matcher");
    if (!(durationSeconds > 0 && durationSeconds <= MAX_SILENCE_SECONDS))
      throw new RangeError(
        `a silence lasts more than 0 s and at most 90 days (${MAX_SILENCE_SECONDS} s); got ${durationSeconds} s`,
      );
    return this.change((state, now) => {
      const silence: Silence = {
        id: randomUUID().slice(0, 8),
        matchers,
        startsAtMillis: now,
        endsAtMillis: now + durationSeconds * 1000,
        createdBy: by,
        ...(comment === undefined ? {} : { comment }),
      };
      state.silences.push(silence);
      return silence;
    });
  }

  /** Silences in force now. */
  async silences(): Promise<Silence[]> {
    const now = this.clock();
    return (await readState(this.alertsDir)).silences.filter(
      (s) => s.startsAtMillis <= now && now < s.endsAtMillis,
    );
  }

  /** Ends a silence now, by its id or a unique prefix of it; returns it. */
  async unsilence(id: string): Promise<Silence> {
    return this.change((state, now) => {
      const active = state.silences.filter((s) => now < s.endsAtMillis);
      const matches = active.filter((s) => s.id === id || s.id.startsWith(id));
      const silence =
        active.find((s) => s.id === id) ??
        (matches.length === 1 && id !== "" ? matches[0] : undefined);
      if (silence === undefined)
        throw new SilenceNotFoundError(
          matches.length > 1
            ? `silence id "${id}" is ambiguous: ${matches.map((s) => s.id).join(", ")}`
            : `no silence in force with id "${id}" (see alerts silences)`,
        );
      state.silences = state.silences.filter((s) => s !== silence);
      return silence;
    });
  }

  private async change<T>(
    apply: (state: AlertsState, now: number) => T,
  ): Promise<T> {
    const lease = await acquireLease(leaseFilePath(this.alertsDir), {
      ttlMillis: 60_000,
      waitMillis: this.leaseWaitMillis,
      clock: this.clock,
    });
    if ("heldBy" in lease) {
      throw new Error(
        `the alert state is busy (held by ${lease.heldBy}); try again`,
      );
    }
    try {
      const state = await readState(this.alertsDir);
      const result = apply(state, this.clock());
      await writeState(this.alertsDir, state);
      return result;
    } finally {
      await lease.release();
    }
  }
}

function find(state: AlertsState, id: string): AlertRecord {
  const exact = state.alerts[id];
  if (exact !== undefined) return exact;
  const matches = Object.values(state.alerts).filter((a) =>
    a.id.startsWith(id),
  );
  if (matches.length === 1 && matches[0] !== undefined && id !== "")
    return matches[0];
  throw new AlertNotFoundError(
    matches.length > 1
      ? `alert id "${id}" is ambiguous: ${matches.map((a) => a.id).join(", ")}`
      : `no alert with id "${id}"`,
  );
}
