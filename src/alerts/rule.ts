/**
 * Alert rules: the YAML rule file, its schema, and the rule type the
 * evaluator runs. Every rule names its metric through the catalog, so a rule
 * on a metric the project does not emit fails to load.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, isNode, type Node } from "yaml";
import { z } from "zod";
import { findMetric } from "../metrics/catalog.js";
import {
  STATISTIC_KINDS,
  type AttributeFilter,
  type Statistic,
} from "../query/model.js";
import { parseDurationSeconds } from "./duration.js";

/** Alert severities, least severe first. */
export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** How a value is compared with a threshold. */
export type Comparison = ">" | ">=" | "<" | "<=";

/** What a series without data means for a rule. */
export type NoDataPolicy = "ok" | "alerting" | "keep-state";

/**
 * The statistic a rule asks for: one of the query model's, or a linear
 * regression over the window (PromQL's `predict_linear` and `deriv`), which
 * the evaluator computes from a range query.
 */
export type RuleStatistic =
  | Statistic
  | { readonly kind: "forecast"; readonly horizonSeconds: number }
  | { readonly kind: "trend" };

/** One step of severity: the value that raises it and the one that clears it. */
export interface Tier {
  readonly severity: Severity;
  readonly threshold: number;
  /** Hysteresis: a firing alert holds this tier until the value crosses this. */
  readonly clearThreshold: number;
}

/** Where a rule's value comes from. */
export type RuleSource =
  | {
      readonly kind: "query";
      /** The catalog (OpenTelemetry) name. */
      readonly metric: string;
      readonly statistic: RuleStatistic;
      readonly filters: readonly AttributeFilter[];
      readonly groupBy: readonly string[];
      /** When set, the value is this query divided by the same query over these filters. */
      readonly denominator?: {
        readonly metric: string;
        readonly filters: readonly AttributeFilter[];
      };
    }
  | {
      /** A raw PromQL expression; only a Prometheus store can answer it. */
      readonly kind: "promql";
      readonly expr: string;
    };

/** A validated alerting rule. */
export interface Rule {
  readonly id: string;
  readonly description?: string;
  readonly source: RuleSource;
  readonly windowSeconds: number;
  readonly comparison: Comparison;
  /** Least severe first; at least one. */
  readonly tiers: readonly Tier[];
  readonly forSeconds: number;
  readonly keepFiringForSeconds: number;
  readonly noData: NoDataPolicy;
  /** Template with `{{ value }}`, `{{ threshold }}`, `{{ severity }}`, `{{ labels.key }}`. */
  readonly message: string;
  readonly runbook?: string;
  readonly receivers: readonly string[];
  /** Extra labels attached to every alert of the rule. */
  readonly labels: Readonly<Record<string, string>>;
}

/** A notification target; its URL and token are read from the environment. */
export interface ReceiverConfig {
  readonly name: string;
  readonly type: "webhook" | "slack" | "alertmanager";
  /** The variable holding the URL (never the URL itself). */
  readonly urlEnv: string;
  /** The variable holding a bearer token, for webhooks and Alertmanager. */
  readonly tokenEnv?: string;
  readonly repeatIntervalSeconds?: number;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
}

/** A loaded rule file. */
export interface RuleFile {
  readonly path: string;
  readonly evaluationIntervalSeconds: number;
  readonly repeatIntervalSeconds: number;
  readonly receivers: readonly ReceiverConfig[];
  /** Who hears about the evaluator's own failures; default: every receiver. */
  readonly evaluatorReceivers: readonly string[];
  readonly rules: readonly Rule[];
}

/** A rule file that does not validate: says which file, where, and what is allowed. */
export class RuleFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = "RuleFileError";
  }
}

const duration = z
  .string()
  .refine((text) => parseDurationSeconds(text) !== undefined, {
    error: "expected a duration such as 30s, 5m, 1h30m or 7d",
  });

const severity = z.enum(SEVERITIES, {
  error: `expected one of ${SEVERITIES.join(", ")}`,
});

const FILTER = /^([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*(.*)$/;
const filter = z.string().regex(FILTER, {
  error: 'expected "key=value", "key!=value", "key=~regex" or "key!~regex"',
});

const QUANTILE = /^p(\d{1,2}(?:\.\d+)?)$/;
// Rules add two fitted-line statistics to the query model's own.
const RULE_STATISTICS: readonly string[] = [
  ...STATISTIC_KINDS,
  "forecast",
  "trend",
];
const STATISTIC_NAMES =
  "avg, min, max, sum, count, last, rate, increase, p50, p95, p99 (any pNN), quantile, forecast, trend";
const statistic = z
  .string()
  .refine((text) => QUANTILE.test(text) || RULE_STATISTICS.includes(text), {
    error: `expected one of ${STATISTIC_NAMES}`,
  });

const tier = z.strictObject({
  severity,
  threshold: z.number({ error: "expected a number" }),
  clear_threshold: z.number({ error: "expected a number" }).optional(),
});

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ruleSchema = z.strictObject({
  id: z.string().regex(ID, {
    error: "expected a name of letters, digits and _ (a Prometheus alert name)",
  }),
  description: z.string().optional(),
  metric: z.string().optional(),
  expr: z.string().min(1).optional(),
  statistic: statistic.optional(),
  q: z.number().min(0).max(1).optional(),
  horizon: duration.optional(),
  window: duration.optional(),
  filters: z.array(filter).optional(),
  group_by: z.array(z.string()).optional(),
  denominator: z
    .strictObject({
      metric: z.string().optional(),
      filters: z.array(filter).default([]),
    })
    .optional(),
  condition: z.enum([">", ">=", "<", "<="], {
    error: 'expected one of ">", ">=", "<", "<="',
  }),
  threshold: z.number({ error: "expected a number" }).optional(),
  clear_threshold: z.number({ error: "expected a number" }).optional(),
  severity: severity.optional(),
  tiers: z.array(tier).min(1).optional(),
  for: duration.optional(),
  keep_firing_for: duration.optional(),
  no_data: z
    .enum(["ok", "alerting", "keep-state"], {
      error: "expected one of ok, alerting, keep-state",
    })
    .optional(),
  message: z.string().optional(),
  runbook: z.url({ error: "expected a URL" }).optional(),
  receivers: z.array(z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const receiverSchema = z.strictObject({
  name: z
    .string()
    .regex(ID, { error: "expected a name of letters, digits and _" }),
  type: z.enum(["webhook", "slack", "alertmanager"], {
    error: "expected one of webhook, slack, alertmanager",
  }),
  url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
    error: "expected the name of an environment variable holding the URL",
  }),
  token_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, {
      error: "expected the name of an environment variable holding the token",
    })
    .optional(),
  repeat_interval: duration.optional(),
  timeout: duration.optional(),
  max_attempts: z.int().min(1).max(10).optional(),
});

const fileSchema = z.strictObject({
  evaluation_interval: duration.optional(),
  defaults: z
    .strictObject({
      for: duration.optional(),
      keep_firing_for: duration.optional(),
      window: duration.optional(),
      no_data: z
        .enum(["ok", "alerting", "keep-state"], {
          error: "expected one of ok, alerting, keep-state",
        })
        .optional(),
      receivers: z.array(z.string()).optional(),
      repeat_interval: duration.optional(),
    })
    .optional(),
  receivers: z.array(receiverSchema).optional(),
  evaluator_receivers: z.array(z.string()).optional(),
  rules: z.array(ruleSchema),
});

type RawFile = z.infer<typeof fileSchema>;
type RawRule = z.infer<typeof ruleSchema>;
type Path = ReadonlyArray<string | number>;

/** Thrown while normalising, carrying the path of the offending field. */
class FieldError extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

function seconds(text: string | undefined, fallback: number): number {
  return text === undefined
    ? fallback
    : (parseDurationSeconds(text) ?? fallback);
}

function toFilter(text: string): AttributeFilter {
  const [, key = "", op = "=", value = ""] = FILTER.exec(text) ?? [];
  return { key, op: op as AttributeFilter["op"], value: value.trim() };
}

function catalogName(name: string, path: Path): string {
  const metric = findMetric(name);
  if (metric === undefined) {
    throw new FieldError(
      path,
      `unknown metric "${name}": expected a catalog metric (an OpenTelemetry name, Prometheus name or alias)`,
    );
  }
  return metric.name;
}

function toStatistic(raw: RawRule, at: Path): RuleStatistic {
  const name = raw.statistic ?? "avg";
  const quantile = QUANTILE.exec(name);
  if (quantile !== null)
    return { kind: "quantile", q: Number(quantile[1]) / 100 };
  if (name === "quantile") {
    if (raw.q === undefined) {
      throw new FieldError(
        [...at, "q"],
        "statistic quantile needs q, a number in [0, 1]",
      );
    }
    return { kind: "quantile", q: raw.q };
  }
  if (name === "forecast") {
    if (raw.horizon === undefined) {
      throw new FieldError(
        [...at, "horizon"],
        "statistic forecast needs horizon, the duration to look ahead (e.g. 24h)",
      );
    }
    return { kind: "forecast", horizonSeconds: seconds(raw.horizon, 0) };
  }
  return { kind: name } as RuleStatistic;
}

function toSource(raw: RawRule, at: Path): RuleSource {
  if (raw.expr !== undefined) {
    if (raw.metric !== undefined) {
      throw new FieldError(
        [...at, "expr"],
        "a rule has either metric or expr, not both",
      );
    }
    return { kind: "promql", expr: raw.expr };
  }
  if (raw.metric === undefined) {
    throw new FieldError(
      [...at, "metric"],
      "expected metric (a catalog metric) or expr (PromQL)",
    );
  }
  const metric = catalogName(raw.metric, [...at, "metric"]);
  const denominator =
    raw.denominator === undefined
      ? undefined
      : {
          metric:
            raw.denominator.metric === undefined
              ? metric
              : catalogName(raw.denominator.metric, [
                  ...at,
                  "denominator",
                  "metric",
                ]),
          filters: raw.denominator.filters.map(toFilter),
        };
  return {
    kind: "query",
    metric,
    statistic: toStatistic(raw, at),
    filters: (raw.filters ?? []).map(toFilter),
    groupBy: raw.group_by ?? [],
    ...(denominator === undefined ? {} : { denominator }),
  };
}

/** Whether `value` is beyond `threshold` in the rule's direction. */
export function beyond(
  comparison: Comparison,
  value: number,
  threshold: number,
): boolean {
  switch (comparison) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
  }
}

function toTiers(raw: RawRule, at: Path): Tier[] {
  const rising = raw.condition.startsWith(">");
  let tiers: Tier[];
  if (raw.tiers !== undefined) {
    if (raw.threshold !== undefined || raw.severity !== undefined) {
      throw new FieldError(
        [...at, "tiers"],
        "a rule has either tiers or threshold and severity, not both",
      );
    }
    tiers = raw.tiers.map((t) => ({
      severity: t.severity,
      threshold: t.threshold,
      clearThreshold: t.clear_threshold ?? t.threshold,
    }));
  } else {
    if (raw.threshold === undefined) {
      throw new FieldError(
        [...at, "threshold"],
        "expected threshold (a number) or tiers",
      );
    }
    tiers = [
      {
        severity: raw.severity ?? "warning",
        threshold: raw.threshold,
        clearThreshold: raw.clear_threshold ?? raw.threshold,
      },
    ];
  }
  tiers.forEach((t, i) => {
    const path =
      raw.tiers === undefined
        ? [...at, "clear_threshold"]
        : [...at, "tiers", i, "clear_threshold"];
    // A clearing threshold past the firing one would resolve an alert the moment it fires.
    if (
      rising ? t.clearThreshold > t.threshold : t.clearThreshold < t.threshold
    ) {
      throw new FieldError(
        path,
        `clear_threshold ${t.clearThreshold} must be ${rising ? "at or below" : "at or above"} threshold ${t.threshold} for condition "${raw.condition}"`,
      );
    }
    const previous = tiers[i - 1];
    if (previous === undefined) return;
    const tierPath = [...at, "tiers", i];
    if (
      SEVERITIES.indexOf(t.severity) <= SEVERITIES.indexOf(previous.severity)
    ) {
      throw new FieldError(
        [...tierPath, "severity"],
        "tiers go from least to most severe (info, warning, critical), each severity once",
      );
    }
    if (
      rising
        ? t.threshold <= previous.threshold
        : t.threshold >= previous.threshold
    ) {
      throw new FieldError(
        [...tierPath, "threshold"],
        `a more severe tier needs a threshold ${rising ? "above" : "below"} ${previous.threshold}`,
      );
    }
  });
  return tiers;
}

function toRule(
  raw: RawRule,
  index: number,
  file: RawFile,
  receiverNames: Set<string>,
): Rule {
  const at: Path = ["rules", index];
  const defaults = file.defaults ?? {};
  const receivers = raw.receivers ?? defaults.receivers ?? [];
  receivers.forEach((name, i) => {
    if (!receiverNames.has(name)) {
      const path =
        raw.receivers === undefined
          ? ["defaults", "receivers", i]
          : [...at, "receivers", i];
      throw new FieldError(
        path,
        `unknown receiver "${name}": expected one of the receivers section (${[...receiverNames].join(", ") || "none declared"})`,
      );
    }
  });
  const tiers = toTiers(raw, at);
  return {
    id: raw.id,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    source: toSource(raw, at),
    windowSeconds: seconds(raw.window ?? defaults.window, 300),
    comparison: raw.condition,
    tiers,
    forSeconds: seconds(raw.for ?? defaults.for, 0),
    keepFiringForSeconds: seconds(
      raw.keep_firing_for ?? defaults.keep_firing_for,
      0,
    ),
    noData: raw.no_data ?? defaults.no_data ?? "keep-state",
    message:
      raw.message ?? `${raw.id}: {{ value }} ${raw.condition} {{ threshold }}`,
    ...(raw.runbook === undefined ? {} : { runbook: raw.runbook }),
    receivers,
    labels: raw.labels ?? {},
  };
}

function toReceiver(
  raw: NonNullable<RawFile["receivers"]>[number],
): ReceiverConfig {
  return {
    name: raw.name,
    type: raw.type,
    urlEnv: raw.url_env,
    ...(raw.token_env === undefined ? {} : { tokenEnv: raw.token_env }),
    ...(raw.repeat_interval === undefined
      ? {}
      : { repeatIntervalSeconds: seconds(raw.repeat_interval, 0) }),
    timeoutSeconds: seconds(raw.timeout, 10),
    maxAttempts: raw.max_attempts ?? 3,
  };
}

function normalise(raw: RawFile, path: string): RuleFile {
  const receivers = (raw.receivers ?? []).map(toReceiver);
  const names = new Set<string>();
  receivers.forEach((r, i) => {
    if (names.has(r.name))
      throw new FieldError(
        ["receivers", i, "name"],
        `duplicate receiver name "${r.name}"`,
      );
    names.add(r.name);
  });
  const ids = new Set<string>();
  const rules = raw.rules.map((rule, i) => {
    if (ids.has(rule.id))
      throw new FieldError(
        ["rules", i, "id"],
        `duplicate rule id "${rule.id}"`,
      );
    ids.add(rule.id);
    return toRule(rule, i, raw, names);
  });
  (raw.evaluator_receivers ?? []).forEach((name, i) => {
    if (!names.has(name))
      throw new FieldError(
        ["evaluator_receivers", i],
        `unknown receiver "${name}"`,
      );
  });
  return {
    path,
    evaluationIntervalSeconds: seconds(raw.evaluation_interval, 30),
    repeatIntervalSeconds: seconds(raw.defaults?.repeat_interval, 4 * 3600),
    receivers,
    evaluatorReceivers: raw.evaluator_receivers ?? [...names],
    rules,
  };
}

/** The deepest node of the document on the path, and the field it stands for. */
function locate(
  root: Node | null,
  path: Path,
): { node: Node | null; field: string } {
  let node: Node | null = root;
  for (const key of path) {
    const next: unknown =
      node !== null && "get" in node
        ? (node as { get(k: unknown, keep: true): unknown }).get(key, true)
        : undefined;
    if (!isNode(next)) break;
    node = next;
  }
  // A missing field is reported where its parent is, named by the whole path.
  return { node, field: formatPath(path) || "(file)" };
}

function formatPath(path: Path): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("");
}

/**
 * Parses and validates a rule file's text.
 *
 * @throws RuleFileError naming the file, line, column and field
 */
export function parseRuleFile(text: string, path: string): RuleFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const fail = (message: string, node: Node | null, field?: string): never => {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    const where = field === undefined ? "" : ` ${field}:`;
    throw new RuleFileError(
      `${path}:${line}:${col}:${where} ${message}`,
      path,
      line,
      col,
      field,
    );
  };
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new RuleFileError(
      `${path}:${line}:${col}: ${yamlError.message}`,
      path,
      line,
      col,
    );
  }
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const issuePath = (issue?.path ?? []).filter(
      (p): p is string | number => typeof p !== "symbol",
    );
    const { node, field } = locate(doc.contents, issuePath);
    return fail(issue?.message ?? "invalid", node, field);
  }
  try {
    return normalise(parsed.data, path);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    const { node, field } = locate(doc.contents, error.path);
    return fail(error.message, node, field);
  }
}

/** Reads, parses and validates a rule file. */
export async function loadRuleFile(path: string): Promise<RuleFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new RuleFileError(
      `${path}: cannot read the rule file: ${(error as Error).message}`,
      path,
    );
  }
  return parseRuleFile(text, path);
}
