/**
 * The rule file as Prometheus alerting rules, for operators who evaluate in
 * Prometheus (or Mimir, VictoriaMetrics) instead: each rule's query is
 * compiled by the Prometheus store's compiler, so both evaluate the same
 * expression.
 *
 * What Prometheus cannot say the same way:
 * - tiers become one Prometheus rule per severity under the rule's name; a
 *   value past the critical threshold fires both, and Alertmanager's
 *   inhibit_rules should mute the warning (ours moves one alert instead);
 * - a clearing threshold becomes `value > T or (value > C and on(group)
 *   ALERTS{…, alertstate="firing"})`, the usual hysteresis idiom;
 * - `no_data: alerting` adds the series seen in the last hour that reported
 *   nothing within the window; `keep-state` cannot be written in PromQL and
 *   exports as `ok`;
 * - statistics that the compiler evaluates outside PromQL (quantiles of
 *   gauges, the minimum of a histogram) cannot be exported and are listed.
 *
 * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
 */
import { stringify } from "yaml";
import { findMetric, type CatalogMetric } from "../metrics/catalog.js";
import type { Query } from "../query/model.js";
import {
  compileQuery,
  formatNumber as promqlNumber,
  labelName,
  selector,
} from "../store/prometheus/promql.js";
import { formatDuration } from "./duration.js";
import type { Rule, RuleFile, Tier } from "./rule.js";

/** The rules Prometheus can run, and the ones it cannot with why. */
export interface PrometheusExport {
  readonly yaml: string;
  /** The same rule file as data: `{ groups: [{ name, interval, rules }] }`. */
  readonly document: {
    readonly groups: ReadonlyArray<{
      readonly name: string;
      readonly interval: string;
      readonly rules: readonly object[];
    }>;
  };
  readonly skipped: ReadonlyArray<{
    readonly rule: string;
    readonly reason: string;
  }>;
}

/** A rule that cannot be written in PromQL. */
class NotExportable extends Error {}

function metricOf(name: string): CatalogMetric {
  const metric = findMetric(name);
  if (metric === undefined)
    throw new NotExportable(`the catalog holds no metric "${name}"`);
  return metric;
}

function rawSelector(rule: Rule, metric: CatalogMetric): string {
  if (rule.source.kind !== "query") return "";
  const name =
    metric.shape === "histogram"
      ? `${metric.prometheusName}_count`
      : metric.prometheusName;
  return selector(name, rule.source.filters);
}

function byClause(groupBy: readonly string[]): string {
  return groupBy.length === 0
    ? ""
    : ` by (${groupBy.map(labelName).join(", ")})`;
}

function compiled(
  query: Query,
  metric: CatalogMetric,
  windowMillis: number,
  ruleId: string,
): string {
  const plan = compileQuery(query, metric, windowMillis);
  if (plan.kind !== "value") {
    throw new NotExportable(
      `rule "${ruleId}": its statistic on ${metric.name} is computed outside PromQL`,
    );
  }
  return plan.expr;
}

/** The PromQL of a rule's value, before the comparison. */
export function valueExpression(rule: Rule): string {
  const { source } = rule;
  if (source.kind === "promql") return source.expr;
  const metric = metricOf(source.metric);
  const windowMillis = rule.windowSeconds * 1000;
  const range = `[${windowMillis}ms]`;
  const by = byClause(source.groupBy);
  const { statistic } = source;
  if (statistic.kind === "forecast") {
    return `avg${by} (predict_linear(${rawSelector(rule, metric)}${range}, ${statistic.horizonSeconds}))`;
  }
  if (statistic.kind === "trend")
    return `avg${by} (deriv(${rawSelector(rule, metric)}${range}))`;

  const query: Query = {
    metric: source.metric,
    statistic,
    startMillis: 0,
    endMillis: windowMillis,
    filters: source.filters,
    groupBy: source.groupBy,
  };
  const numerator = compiled(query, metric, windowMillis, rule.id);
  if (source.denominator === undefined) return numerator;
  const denominator = compiled(
    {
      ...query,
      metric: source.denominator.metric,
      filters: source.denominator.filters,
    },
    metricOf(source.denominator.metric),
    windowMillis,
    rule.id,
  );
  // A group without numerator series counts as 0, as in the evaluator.
  return `(${numerator} or (${denominator}) * 0) / (${denominator})`;
}

function groupLabels(rule: Rule): string[] {
  return rule.source.kind === "query" ? rule.source.groupBy.map(labelName) : [];
}

function condition(rule: Rule, value: string, tier: Tier): string {
  const fires = `(${value}) ${rule.comparison} ${promqlNumber(tier.threshold)}`;
  if (tier.clearThreshold === tier.threshold) return fires;
  const on = `on(${groupLabels(rule).join(", ")})`;
  const firing = `ALERTS{alertname=${JSON.stringify(rule.id)}, alertstate="firing", severity=${JSON.stringify(tier.severity)}}`;
  return `${fires} or ((${value}) ${rule.comparison} ${promqlNumber(tier.clearThreshold)} and ${on} group${byClause(rule.source.kind === "query" ? rule.source.groupBy : [])} (${firing}))`;
}

function absence(rule: Rule): string {
  if (rule.source.kind !== "query") return "";
  const metric = metricOf(rule.source.metric);
  const series = rawSelector(rule, metric);
  const groups = groupLabels(rule);
  if (groups.length === 0)
    return ` or absent_over_time(${series}[${rule.windowSeconds * 1000}ms])`;
  const by = ` by (${groups.join(", ")})`;
  return ` or (group${by} (present_over_time(${series}[1h])) unless on(${groups.join(", ")}) group${by} (present_over_time(${series}[${rule.windowSeconds * 1000}ms])))`;
}

const FORMAT_FUNCTIONS: Record<string, string> = {
  percent: "humanizePercentage",
  seconds: "humanizeDuration",
  bytes: "humanize1024",
};

/** A message template in Prometheus' Go template syntax. */
export function prometheusTemplate(
  template: string,
  rule: Rule,
  tier: Tier,
): string {
  return template.replace(
    /\{\{\s*([\w.]+)\s*(?:\|\s*(\w+)\s*)?\}\}/g,
    (whole, name: string, format?: string) => {
      const fn = format === undefined ? undefined : FORMAT_FUNCTIONS[format];
      if (name === "value")
        return fn === undefined ? "{{ $value }}" : `{{ $value | ${fn} }}`;
      if (name === "threshold")
        return fn === undefined
          ? promqlNumber(tier.threshold)
          : `{{ ${promqlNumber(tier.threshold)} | ${fn} }}`;
      if (name === "severity") return tier.severity;
      if (name === "rule") return rule.id;
      if (name.startsWith("labels."))
        return `{{ $labels.${labelName(name.slice(7))} }}`;
      return whole;
    },
  );
}

function alertingRules(rule: Rule): object[] {
  const value = valueExpression(rule);
  return rule.tiers.map((tier) => {
    let expr = condition(rule, value, tier);
    if (rule.noData === "alerting") expr = `(${expr})${absence(rule)}`;
    const annotations: Record<string, string> = {
      summary: prometheusTemplate(rule.message, rule, tier),
    };
    if (rule.description !== undefined)
      annotations.description = rule.description;
    if (rule.runbook !== undefined) annotations.runbook_url = rule.runbook;
    return {
      alert: rule.id,
      expr,
      ...(rule.forSeconds > 0 ? { for: formatDuration(rule.forSeconds) } : {}),
      ...(rule.keepFiringForSeconds > 0
        ? { keep_firing_for: formatDuration(rule.keepFiringForSeconds) }
        : {}),
      labels: { ...rule.labels, severity: tier.severity },
      annotations,
    };
  });
}

/** The rule file as a Prometheus rule file (one group). */
export function exportPrometheusRules(
  file: RuleFile,
  groupName = "td-monitoring",
): PrometheusExport {
  const rules: object[] = [];
  const skipped: Array<{ rule: string; reason: string }> = [];
  for (const rule of file.rules) {
    try {
      rules.push(...alertingRules(rule));
    } catch (error) {
      if (!(error instanceof NotExportable)) throw error;
      skipped.push({ rule: rule.id, reason: error.message });
    }
  }
  const document = {
    groups: [
      {
        name: groupName,
        interval: formatDuration(file.evaluationIntervalSeconds),
        rules,
      },
    ],
  };
  const header = `# Generated by \`td-monitor alerts export --format prometheus\` from ${file.path}.\n`;
  return {
    yaml: header + stringify(document, { lineWidth: 0 }),
    document,
    skipped,
  };
}
