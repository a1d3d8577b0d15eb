/**
 * Alert labels and the keys alerts are stored under: an alert is one series
 * of one rule, keyed by a hash of its labels, as in vmalert and Prometheus.
 */
import { createHash } from "node:crypto";

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

/**
 * The Prometheus label an attribute becomes: `service.name` and
 * `service.instance.id` turn into `job` and `instance`, as the OpenTelemetry
 * to Prometheus translation does; any other character Prometheus does not
 * allow becomes `_`.
 *
 * @see https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#resource-attributes-1
 */
export function prometheusLabelName(key: string): string {
  if (key === "service.name") return "job";
  if (key === "service.instance.id") return "instance";
  const name = key.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** Labels renamed for Prometheus and Alertmanager; empty values are dropped, as Prometheus does. */
export function prometheusLabels(
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (value !== "") result[prometheusLabelName(key)] = value;
  }
  return result;
}
