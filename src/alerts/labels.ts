/**
 * Alert labels and the keys alerts are stored under: an alert is one series
 * of one rule, keyed by a hash of its labels, as in vmalert and Prometheus.
 */
import { createHash } from "node:crypto";
import { labelName } from "../store/prometheus/promql.js";

/** Labels, sorted by key so equal sets read and hash alike. */
export function sortLabels(
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** A stable key for a label set: 16 hex digits of its SHA-256. */
export function labelsHash(labels: Readonly<Record<string, string>>): string {
  return createHash("sha256")
    .update(JSON.stringify(sortLabels(labels)))
    .digest("hex")
    .slice(0, 16);
}

/** Labels as PromQL writes them: `{a="1", b="2"}`. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const inner = Object.entries(sortLabels(labels)).map(
    ([k, v]) => `${k}=${JSON.stringify(v)}`,
  );
  return `{${inner.join(", ")}}`;
}

/** Labels renamed as the Prometheus store names them; empty values are dropped, as Prometheus does. */
export function prometheusLabels(
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (value !== "") result[labelName(key)] = value;
  }
  return result;
}
