/**
 * What a notifier is given and how it is made from a receiver of the rule
 * file. URLs and tokens are read from the environment variables the receiver
 * names, here and nowhere else, and never reach a log line.
 */
import type { ReceiverConfig } from "../rule.js";
import type { AlertRecord, NotificationLog } from "../state-file.js";

/** One notification: the alerts of one rule for one receiver. */
export interface NotificationGroup {
  /** `receiver/rule`. */
  readonly key: string;
  readonly receiver: string;
  readonly rule: {
    readonly id: string;
    readonly description?: string;
    readonly runbook?: string;
  };
  /** `firing` while any alert of the group fires. */
  readonly status: "firing" | "resolved";
  readonly reason: NotificationLog["reason"];
  readonly alerts: readonly AlertRecord[];
  readonly nowMillis: number;
}

/** Sends notifications to one receiver. */
export interface Notifier {
  readonly receiver: ReceiverConfig;
  /**
   * Sends one group; resolves with the attempts it took.
   *
   * @throws DeliveryError when every attempt failed
   */
  send(group: NotificationGroup): Promise<number>;
}

/** A receiver whose environment variable is not set. */
export class ReceiverConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReceiverConfigError";
  }
}

/** The receiver's URL and token from the environment. */
export function receiverSecrets(
  receiver: ReceiverConfig,
  env: NodeJS.ProcessEnv,
): { readonly url: string; readonly token?: string } {
  const url = env[receiver.urlEnv];
  if (url === undefined || url === "") {
    throw new ReceiverConfigError(
      `receiver "${receiver.name}": environment variable ${receiver.urlEnv} is not set`,
    );
  }
  const token =
    receiver.tokenEnv === undefined ? undefined : env[receiver.tokenEnv];
  return token === undefined || token === "" ? { url } : { url, token };
}

/** ISO time, or undefined. */
export function iso(millis: number | undefined): string | undefined {
  return millis === undefined ? undefined : new Date(millis).toISOString();
}
