/**
 * Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat): a
 * `text` in Slack's mrkdwn, one message per notification group.
 *
 * @see https://api.slack.com/messaging/webhooks
 */
import type { ReceiverConfig } from "../rule.js";
import { formatChange, formatNumber } from "../template.js";
import { postJson } from "./http.js";
import {
  receiverSecrets,
  type NotificationGroup,
  type Notifier,
} from "./types.js";

const ICONS = {
  critical: ":red_circle:",
  warning: ":large_orange_circle:",
  info: ":large_blue_circle:",
};

/** The message text of a group. */
export function slackText(group: NotificationGroup): string {
  const firing = group.alerts.filter((a) => a.state === "firing").length;
  const title =
    group.status === "firing"
      ? `*[FIRING:${firing}] ${group.rule.id}*${group.reason === "repeat" ? " (still firing)" : ""}`
      : `*[RESOLVED] ${group.rule.id}*`;
  const lines = group.alerts.map((alert) => {
    const icon =
      alert.state === "resolved" ? ":white_check_mark:" : ICONS[alert.severity];
    return `${icon} ${alert.severity}: ${alert.message} (value ${formatNumber(alert.value)}, threshold ${formatNumber(alert.threshold)})`;
  });
  const changes = group.alerts.flatMap((a) => a.context ?? []).slice(0, 3);
  if (changes.length > 0) {
    lines.push(`_Changed most:_ ${changes.map(formatChange).join(", ")}`);
  }
  if (group.rule.runbook !== undefined)
    lines.push(`<${group.rule.runbook}|Runbook>`);
  return [title, ...lines].join("\n");
}

/** A notifier posting to a Slack-compatible incoming webhook. */
export function createSlackNotifier(
  receiver: ReceiverConfig,
  env: NodeJS.ProcessEnv,
  initialBackoffMillis?: number,
): Notifier {
  const { url } = receiverSecrets(receiver, env);
  return {
    receiver,
    send: (group) =>
      postJson(
        url,
        { text: slackText(group) },
        {
          timeoutMillis: receiver.timeoutSeconds * 1000,
          maxAttempts: receiver.maxAttempts,
          ...(initialBackoffMillis === undefined
            ? {}
            : { initialBackoffMillis }),
          secrets: [url],
        },
      ),
  };
}
