/**
 * Alertmanager's v2 API: alerts POSTed to `/api/v2/alerts`. Alertmanager
 * groups, deduplicates and repeats by itself and resolves an alert at its
 * `endsAt`, so firing alerts are sent again at every evaluation (the
 * receiver's default repeat interval is the evaluation interval) with an
 * `endsAt` four intervals ahead, as Prometheus and vmalert do.
 *
 * @see https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml
 */
import { prometheusLabels } from "../labels.js";
import type { ReceiverConfig } from "../rule.js";
import { formatNumber } from "../template.js";
import { postJson } from "./http.js";
import {
  iso,
  receiverSecrets,
  type NotificationGroup,
  type Notifier,
} from "./types.js";

/** The postable alerts of a group. */
export function alertmanagerAlerts(
  group: NotificationGroup,
  resendMillis: number,
) {
  return group.alerts.map((alert) => {
    const annotations: Record<string, string> = {
      summary: alert.message,
      value: formatNumber(alert.value),
      threshold: formatNumber(alert.threshold),
      td_alert_id: alert.id,
    };
    if (alert.runbook !== undefined) annotations.runbook_url = alert.runbook;
    if (alert.context !== undefined && alert.context.length > 0) {
      annotations.changed_most = alert.context
        .map(
          (c) =>
            `${c.metric} ${formatNumber(c.before)} -> ${formatNumber(c.after)}`,
        )
        .join(", ");
    }
    return {
      labels: { ...prometheusLabels(alert.labels), severity: alert.severity },
      annotations,
      startsAt: iso(alert.firedAtMillis ?? alert.startedAtMillis),
      endsAt: iso(
        alert.state === "resolved"
          ? (alert.resolvedAtMillis ?? group.nowMillis)
          : group.nowMillis + 4 * resendMillis,
      ),
    };
  });
}

/** A notifier posting to an Alertmanager. */
export function createAlertmanagerNotifier(
  receiver: ReceiverConfig,
  env: NodeJS.ProcessEnv,
  evaluationIntervalSeconds: number,
  initialBackoffMillis?: number,
): Notifier {
  const { url, token } = receiverSecrets(receiver, env);
  const endpoint = `${url.replace(/\/+$/, "")}/api/v2/alerts`;
  const resendMillis =
    1000 * (receiver.repeatIntervalSeconds ?? evaluationIntervalSeconds);
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return {
    receiver: { ...receiver, repeatIntervalSeconds: resendMillis / 1000 },
    send: (group) =>
      postJson(endpoint, alertmanagerAlerts(group, resendMillis), {
        headers,
        timeoutMillis: receiver.timeoutSeconds * 1000,
        maxAttempts: receiver.maxAttempts,
        ...(initialBackoffMillis === undefined ? {} : { initialBackoffMillis }),
        secrets: token === undefined ? [url] : [url, token],
      }),
  };
}
