/**
 * Decides what to notify after an evaluation, from the alert records alone:
 * a receiver hears about an alert when its state or severity differs from
 * what the receiver last heard, and again after the repeat interval while it
 * fires. Because what was delivered is persisted with the alert, a restart
 * neither repeats a notification nor loses one that failed: it is retried at
 * the next evaluation.
 *
 * Notifications are grouped per receiver and rule: one message carries
 * every firing alert of the rule and those that just resolved.
 */
import { diag } from "@opentelemetry/api";
import type { ReceiverConfig } from "../rule.js";
import type {
  AlertRecord,
  AlertsState,
  NotificationLog,
  Silence,
} from "../state-file.js";
import { createAlertmanagerNotifier } from "./alertmanager.js";
import { DeliveryError } from "./http.js";
import { createSlackNotifier } from "./slack.js";
import type { NotificationGroup, Notifier } from "./types.js";
import { createWebhookNotifier } from "./webhook.js";

/** Options of {@link createNotifiers}. */
export interface NotifiersOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly evaluationIntervalSeconds: number;
  /** The wait before a retry, doubled each time (tests shorten it). */
  readonly initialBackoffMillis?: number;
}

/**
 * Notifiers for the receivers, by name. A receiver whose environment
 * variable is missing is left out with one warning; its alerts stay
 * undelivered (and are retried) until it is configured.
 */
export function createNotifiers(
  receivers: readonly ReceiverConfig[],
  {
    env = process.env,
    evaluationIntervalSeconds,
    initialBackoffMillis,
  }: NotifiersOptions,
): Map<string, Notifier> {
  const notifiers = new Map<string, Notifier>();
  for (const receiver of receivers) {
    try {
      const notifier =
        receiver.type === "webhook"
          ? createWebhookNotifier(receiver, env, initialBackoffMillis)
          : receiver.type === "slack"
            ? createSlackNotifier(receiver, env, initialBackoffMillis)
            : createAlertmanagerNotifier(
                receiver,
                env,
                evaluationIntervalSeconds,
                initialBackoffMillis,
              );
      notifiers.set(receiver.name, notifier);
    } catch (error) {
      diag.warn(
        `alerts: ${(error as Error).message}; its notifications wait until it is set`,
      );
    }
  }
  return notifiers;
}

/** Whether a silence active at `nowMillis` matches an alert. */
export function silenced(
  alert: AlertRecord,
  silences: readonly Silence[],
  nowMillis: number,
): boolean {
  const labels: Record<string, string> = {
    ...alert.labels,
    severity: alert.severity,
  };
  return silences.some(
    (s) =>
      s.startsAtMillis <= nowMillis &&
      nowMillis < s.endsAtMillis &&
      Object.entries(s.matchers).every(([key, value]) => labels[key] === value),
  );
}

interface PendingGroup {
  readonly receiver: string;
  readonly rule: string;
  readonly alerts: AlertRecord[];
}

function groupsOf(state: AlertsState): PendingGroup[] {
  const groups = new Map<string, PendingGroup>();
  for (const alert of Object.values(state.alerts)) {
    if (alert.state === "pending") continue;
    for (const receiver of alert.receivers) {
      // A resolution matters only to a receiver that heard of the firing.
      if (
        alert.state === "resolved" &&
        alert.delivered[receiver]?.state !== "firing"
      )
        continue;
      const key = `${receiver}/${alert.rule}`;
      let group = groups.get(key);
      if (group === undefined)
        groups.set(key, (group = { receiver, rule: alert.rule, alerts: [] }));
      group.alerts.push(alert);
    }
  }
  return [...groups.values()];
}

function reasonFor(
  alert: AlertRecord,
  receiver: string,
): NotificationLog["reason"] | undefined {
  const heard = alert.delivered[receiver];
  if (heard?.state !== alert.state)
    return alert.state === "resolved" ? "resolved" : "firing";
  if (heard.severity !== alert.severity) return "severity";
  return undefined;
}

/** Rule details a notification shows. */
export type RuleInfo = (rule: string) => {
  description?: string;
  runbook?: string;
};

/**
 * Sends what is due and records it on the alerts and groups of `state`.
 * Returns how many notifications were sent and how many failed.
 */
export async function dispatch(
  state: AlertsState,
  notifiers: ReadonlyMap<string, Notifier>,
  defaultRepeatSeconds: number,
  ruleInfo: RuleInfo,
  nowMillis: number,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (const group of groupsOf(state)) {
    const notifier = notifiers.get(group.receiver);
    if (notifier === undefined) continue;
    const key = `${group.receiver}/${group.rule}`;
    const firing = group.alerts.filter(
      (a) => a.state === "firing" && !silenced(a, state.silences, nowMillis),
    );
    const resolved = group.alerts.filter((a) => a.state === "resolved");
    const changed = [...firing, ...resolved].filter(
      (a) => reasonFor(a, group.receiver) !== undefined,
    );

    const repeatMillis =
      1000 * (notifier.receiver.repeatIntervalSeconds ?? defaultRepeatSeconds);
    const lastSent = state.groups[key]?.lastSentMillis;
    // An acknowledged alert is known to someone: it is not repeated.
    const repeatDue =
      lastSent !== undefined &&
      nowMillis - lastSent >= repeatMillis &&
      firing.some((a) => a.acknowledgedAtMillis === undefined);
    if (changed.length === 0 && !repeatDue) continue;

    const alerts = [...firing, ...resolved];
    const reasons = new Map(
      alerts.map((a) => [a.id, reasonFor(a, group.receiver) ?? "repeat"]),
    );
    const notification: NotificationGroup = {
      key,
      receiver: group.receiver,
      rule: { id: group.rule, ...ruleInfo(group.rule) },
      status: firing.length > 0 ? "firing" : "resolved",
      reason:
        changed.length === 0
          ? "repeat"
          : (reasons.get(changed[0]?.id ?? "") ?? "firing"),
      alerts,
      nowMillis,
    };
    try {
      const attempts = await notifier.send(notification);
      sent += 1;
      state.groups[key] = { lastSentMillis: nowMillis };
      for (const alert of alerts) {
        alert.delivered[group.receiver] = {
          state: alert.state,
          severity: alert.severity,
          atMillis: nowMillis,
        };
        alert.notifications.push({
          receiver: group.receiver,
          reason: reasons.get(alert.id) ?? "repeat",
          atMillis: nowMillis,
          ok: true,
          attempts,
        });
      }
      diag.debug(
        `alerts: notified ${key} (${notification.status}, ${alerts.length} alerts)`,
      );
    } catch (error) {
      failed += 1;
      const message = error instanceof Error ? error.message : String(error);
      const attempts = error instanceof DeliveryError ? error.attempts : 1;
      for (const alert of changed) {
        alert.notifications.push({
          receiver: group.receiver,
          reason: reasons.get(alert.id) ?? "repeat",
          atMillis: nowMillis,
          ok: false,
          attempts,
          error: message,
        });
      }
      diag.warn(
        `alerts: receiver "${group.receiver}" (${notifier.receiver.type}): notification of ${group.rule} failed: ${message}`,
      );
    }
  }
  return { sent, failed };
}
