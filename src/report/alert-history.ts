/**
 * The alert history as the report reads it: the evaluator's alerts under
 * `<dataDir>/alerts/`, reduced to the firings (pending alerts that never
 * fired are left out).
 */
import { existsSync } from "node:fs";
import { AlertStore } from "../alerts/alert-store.js";
import { stateFilePath } from "../alerts/state-file.js";
import type { AlertRecord } from "./sections/alerts.js";

/**
 * The firings kept in an alerts directory, or undefined when the evaluator
 * has never written there (no alert history, which the report says).
 */
export async function readAlertHistory(
  alertsDir: string,
): Promise<AlertRecord[] | undefined> {
  if (!existsSync(stateFilePath(alertsDir))) return undefined;
  const alerts = await new AlertStore(alertsDir).list();
  return alerts.flatMap((alert) =>
    alert.firedAtMillis === undefined
      ? []
      : [
          {
            rule: alert.rule,
            severity: alert.severity,
            labels: alert.labels,
            firedAtMillis: alert.firedAtMillis,
            ...(alert.resolvedAtMillis === undefined
              ? {}
              : { resolvedAtMillis: alert.resolvedAtMillis }),
          },
        ],
  );
}
