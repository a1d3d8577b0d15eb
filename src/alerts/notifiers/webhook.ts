/**
 * The generic webhook: one POST per notification group with the JSON body
 * documented in docs/alerts.md ("Webhook body"), and the token, if any, as
 * a bearer token.
 */
import type { ReceiverConfig } from "../rule.js";
import type { AlertRecord } from "../state-file.js";
import { postJson } from "./http.js";
import {
  iso,
  receiverSecrets,
  type NotificationGroup,
  type Notifier,
} from "./types.js";

/** The version of the webhook body; bumped on an incompatible change. */
export const WEBHOOK_BODY_VERSION = "1";

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** An alert as the webhook body carries it. */
export function alertBody(alert: AlertRecord) {
  return {
    id: alert.id,
    rule: alert.rule,
    status: alert.state,
    severity: alert.severity,
    labels: alert.labels,
    message: alert.message,
    value: finite(alert.value),
    threshold: alert.threshold,
    peakValue: finite(alert.peakValue),
    startedAt: iso(alert.startedAtMillis),
    firedAt: iso(alert.firedAtMillis) ?? null,
    resolvedAt: iso(alert.resolvedAtMillis) ?? null,
    resolvedBy: alert.resolvedBy ?? null,
    acknowledged: alert.acknowledgedAtMillis !== undefined,
    runbook: alert.runbook ?? null,
    context: (alert.context ?? []).map((c) => ({
      ...c,
      relativeChange: finite(c.relativeChange),
    })),
  };
}

/** The body of a webhook notification. */
export function webhookBody(group: NotificationGroup) {
  return {
    version: WEBHOOK_BODY_VERSION,
    source: "td-monitoring",
    receiver: group.receiver,
    groupKey: group.key,
    status: group.status,
    reason: group.reason,
    rule: group.rule,
    sentAt: iso(group.nowMillis),
    alerts: group.alerts.map(alertBody),
  };
}

/** A notifier posting the webhook body. */
export function createWebhookNotifier(
  receiver: ReceiverConfig,
  env: NodeJS.ProcessEnv,
  initialBackoffMillis?: number,
): Notifier {
  const { url, token } = receiverSecrets(receiver, env);
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return {
    receiver,
    send: (group) =>
      postJson(url, webhookBody(group), {
        headers,
        timeoutMillis: receiver.timeoutSeconds * 1000,
        maxAttempts: receiver.maxAttempts,
        ...(initialBackoffMillis === undefined ? {} : { initialBackoffMillis }),
        secrets: token === undefined ? [url] : [url, token],
      }),
  };
}
