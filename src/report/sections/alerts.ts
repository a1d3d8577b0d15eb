/**
 * Alerts: fired and resolved by severity, mean time to resolve, the noisiest
 * rules and what is firing at the end of the window, from the alert history.
 */
import { figure, isoTime, type Period } from "../context.js";
import type { AlertsSection } from "../types.js";

/** One firing of a rule, as the alert history keeps it. */
export interface AlertRecord {
  readonly rule: string;
  readonly severity: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly firedAtMillis: number;
  /** Absent while it still fires. */
  readonly resolvedAtMillis?: number;
}

const NOISIEST = 5;

/**
 * Builds the alerts section from the history's records; `undefined` means no
 * alert history exists, which the section says rather than showing zeros.
 */
export function alertsSection(
  window: Period,
  records: readonly AlertRecord[] | undefined,
): AlertsSection {
  if (records === undefined) return noHistory();
  const { startMillis, endMillis } = window;
  const inWindow = (t: number | undefined) =>
    t !== undefined && t >= startMillis && t <= endMillis;
  const fired = records.filter((r) => inWindow(r.firedAtMillis));
  const resolved = records.filter((r) => inWindow(r.resolvedAtMillis));
  const firing = records.filter(
    (r) =>
      r.firedAtMillis <= endMillis &&
      (r.resolvedAtMillis === undefined || r.resolvedAtMillis > endMillis),
  );
  const severities = [
    ...new Set([...fired, ...resolved].map((r) => r.severity)),
  ];
  const resolveSeconds = resolved.map(
    (r) => (r.resolvedAtMillis! - r.firedAtMillis) / 1000,
  );
  return {
    hasData: fired.length + resolved.length + firing.length > 0,
    historyAvailable: true,
    bySeverity: severities.sort().map((severity) => ({
      severity,
      fired: figure(count(fired, severity), "{alert}"),
      resolved: figure(count(resolved, severity), "{alert}"),
    })),
    meanTimeToResolve: figure(
      resolveSeconds.length === 0
        ? undefined
        : resolveSeconds.reduce((a, b) => a + b, 0) / resolveSeconds.length,
      "s",
    ),
    noisiest: noisiest(fired),
    firingNow: firing
      .sort((a, b) => a.firedAtMillis - b.firedAtMillis)
      .map((r) => ({
        rule: r.rule,
        severity: r.severity,
        since: isoTime(r.firedAtMillis)!,
        labels: r.labels,
      })),
    charts: [],
  };
}

function count(records: readonly AlertRecord[], severity: string): number {
  return records.filter((r) => r.severity === severity).length;
}

function noisiest(fired: readonly AlertRecord[]) {
  const byRule = new Map<string, number>();
  for (const r of fired) byRule.set(r.rule, (byRule.get(r.rule) ?? 0) + 1);
  return [...byRule]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, NOISIEST)
    .map(([label, n]) => ({ label, fired: figure(n, "{alert}") }));
}

function noHistory(): AlertsSection {
  return {
    hasData: false,
    historyAvailable: false,
    bySeverity: [],
    meanTimeToResolve: figure(undefined, "s"),
    noisiest: [],
    firingNow: [],
    charts: [],
  };
}
