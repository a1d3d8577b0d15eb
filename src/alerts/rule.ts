/**
 * Alert rules: the YAML rule file, its schema, and the rule type the
 * evaluator runs. Every rule names its metric through the catalog, so a rule
 * on a metric the project does not emit fails to load.
 */
import { readFile } from "node:fs/promises";
import {
  LineCounter,
  parseDocument,
  isMap,
  isNode,
  isScalar,
  type Node,
} from "yaml";
import { z } from "zod";
import {
  STATISTIC_KINDS,
  type AttributeFilter,
  type Statistic,
} from "../query/model.js";
import { resolveMetric, UnknownMetricError } from "../query/resolve.js";
import {
  isDefinedFor,
  statisticName,
  statisticsOf,
} from "../query/statistic.js";
import { parseDurationSeconds } from "./duration.js";
import { templateProblems } from "./template.js";

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

/** One thing wrong in a rule file, and where. */
export interface RuleFileProblem {
  readonly line: number;
  readonly column: number;
  /** The field's path, e.g. `rules[3].severity`. */
  readonly field?: string;
  readonly message: string;
}

/**
 * A rule file that does not validate: says which file, where, and what is
 * allowed. The message has one `file:line:column: field: …` line per
 * problem (at most {@link MAX_REPORTED_PROBLEMS}); `line`, `column` and
 * `field` are the first problem's.
 */
export class RuleFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
    readonly field?: string,
    readonly problems: readonly RuleFileProblem[] = [],
  ) {
    super(message);
    this.name = "RuleFileError";
  }
}

/** How many problems of one rule file are reported; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 20;

const duration = z
  .string()
  .refine((text) => parseDurationSeconds(text) !== undefined, {
    error: "expected a duration such as 30s, 5m, 1h30m or 7d",
  });

const severity = z.enum(SEVERITIES, {
  error: `expected one of ${SEVERITIES.join(", ")}`,
});

const FILTER = /^([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*(.*)$/;
const filter = z
  .string()
  .regex(FILTER, {
    error: 'expected "key=value", "key!=value", "key=~regex" or "key!~regex"',
  })
  .superRefine((text, context) => {
    const match = FILTER.exec(text);
    const [, , op, value = ""] = match ?? [];
    if (op !== "=~" && op !== "!~") return;
    // Compiled as the embedded store compiles it; without this a bad regex
    // loaded fine and failed every evaluation, firing AlertEvaluatorFailing.
    try {
      new RegExp(`^(?:${value.trim()})$`, "u");
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `invalid regex "${value.trim()}": ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, "")}`,
        params: { index: text.length - value.length },
      });
    }
  });

const message = z.string().superRefine((text, context) => {
  for (const problem of templateProblems(text))
    context.addIssue({
      code: "custom",
      message: problem.message,
      params: { index: problem.index },
    });
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
  message: message.optional(),
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
  // Each rule is checked on its own, so that every rule's problems are found.
  rules: z.array(z.unknown(), { error: "expected a list of rules" }),
});

type RawFile = Omit<z.infer<typeof fileSchema>, "rules"> & {
  rules: RawRule[];
};
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

/** Problems found so far, by path; normalising goes on past each one. */
type Problems = FieldError[];

/** Runs `work`, recording a FieldError it throws instead of stopping. */
function attempt<T>(problems: Problems, work: () => T): T | undefined {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    problems.push(error);
    return undefined;
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
  try {
    return resolveMetric(name).name;
  } catch (error) {
    if (!(error instanceof UnknownMetricError)) throw error;
    throw new FieldError(path, error.message);
  }
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
  const statistic = toStatistic(raw, at);
  for (const name of new Set([metric, denominator?.metric ?? metric])) {
    checkDefined(name, statistic, [...at, "statistic"]);
  }
  return {
    kind: "query",
    metric,
    statistic,
    filters: (raw.filters ?? []).map(toFilter),
    groupBy: raw.group_by ?? [],
    ...(denominator === undefined ? {} : { denominator }),
  };
}

/**
 * Refuses on load a statistic the metric's shape does not define (a rate of
 * a gauge), which would otherwise fail at every evaluation. Fitted lines
 * read the metric's last value at each step.
 */
function checkDefined(
  metricName: string,
  statistic: RuleStatistic,
  path: Path,
): void {
  const { shape } = resolveMetric(metricName);
  const asked: Statistic =
    statistic.kind === "forecast" || statistic.kind === "trend"
      ? { kind: "last" }
      : statistic;
  if (isDefinedFor(shape, asked)) return;
  const name = asked === statistic ? statisticName(asked) : statistic.kind;
  throw new FieldError(
    path,
    `${name} is not defined for the ${shape} ${metricName}; use one of ${statisticsOf(shape).join(", ")}`,
  );
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
  problems: Problems,
): Rule | undefined {
  const at: Path = ["rules", index];
  const defaults = file.defaults ?? {};
  const receivers = raw.receivers ?? defaults.receivers ?? [];
  const before = problems.length;
  receivers.forEach((name, i) => {
    // The defaults' unknown receivers are reported once, by normalise.
    if (!receiverNames.has(name) && raw.receivers !== undefined) {
      problems.push(
        new FieldError(
          [...at, "receivers", i],
          `unknown receiver "${name}": expected one of the receivers section (${[...receiverNames].join(", ") || "none declared"})`,
        ),
      );
    }
  });
  const tiers = attempt(problems, () => toTiers(raw, at));
  const source = attempt(problems, () => toSource(raw, at));
  if (tiers === undefined || source === undefined || problems.length > before)
    return undefined;
  return {
    id: raw.id,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    source,
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

/**
 * The rule file from its validated parts; `rules` holds the rules that
 * passed the schema, by index (the others are already reported).
 */
function normalise(
  raw: Omit<RawFile, "rules">,
  rawRules: ReadonlyMap<number, RawRule>,
  path: string,
  problems: Problems,
): RuleFile {
  const receivers = (raw.receivers ?? []).map(toReceiver);
  const names = new Set<string>();
  receivers.forEach((r, i) => {
    if (names.has(r.name))
      problems.push(
        new FieldError(
          ["receivers", i, "name"],
          `duplicate receiver name "${r.name}"`,
        ),
      );
    names.add(r.name);
  });
  const unknown = (name: string) =>
    `unknown receiver "${name}": expected one of the receivers section (${[...names].join(", ") || "none declared"})`;
  (raw.defaults?.receivers ?? []).forEach((name, i) => {
    if (!names.has(name))
      problems.push(
        new FieldError(["defaults", "receivers", i], unknown(name)),
      );
  });
  const ids = new Set<string>();
  const rules: Rule[] = [];
  const file = { ...raw, rules: [...rawRules.values()] };
  for (const [i, rule] of rawRules) {
    if (ids.has(rule.id))
      problems.push(
        new FieldError(["rules", i, "id"], `duplicate rule id "${rule.id}"`),
      );
    ids.add(rule.id);
    const normalised = toRule(rule, i, file, names, problems);
    if (normalised !== undefined) rules.push(normalised);
  }
  (raw.evaluator_receivers ?? []).forEach((name, i) => {
    if (!names.has(name))
      problems.push(new FieldError(["evaluator_receivers", i], unknown(name)));
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

/** Every field name a rule file may hold, to suggest one for a misspelling. */
const FIELD_NAMES = [
  ...new Set(
    [fileSchema, ruleSchema, receiverSchema, tier].flatMap((schema) =>
      Object.keys(schema.shape),
    ),
  ),
];

/** Edit distance of two short strings. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const next = [i];
    for (let j = 1; j <= b.length; j += 1)
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length] ?? 0;
}

function unknownField(key: string): string {
  const near = FIELD_NAMES.find((name) => distance(key, name) <= 2);
  return near === undefined
    ? "unknown field (see docs/alerts.md for the fields)"
    : `unknown field; did you mean "${near}"?`;
}

/** The key of `key` in the map at `path`: where an unknown field is written. */
function locateKey(root: Node | null, path: Path, key: string): Node | null {
  const { node } = locate(root, path);
  if (!isMap(node)) return node;
  for (const pair of node.items)
    if (isScalar(pair.key) && pair.key.value === key) return pair.key;
  return node;
}

/**
 * The source offset of character `index` of a string scalar, when the
 * source holds the string as written (plain, or quoted without escapes or
 * line breaks); else the scalar's start.
 */
function offsetInside(text: string, node: Node | null, index: number): number {
  const [start = 0, end = start] = node?.range ?? [];
  if (!isScalar(node) || typeof node.value !== "string") return start;
  const source = text.slice(start, end);
  if (source === node.value) return start + index;
  const quoted = source.slice(1, -1);
  const quotes = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
  return quotes && quoted === node.value ? start + 1 + index : start;
}

function formatPath(path: Path): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("");
}

/** A problem found by the schema, with where it points. */
interface Located {
  readonly node: Node | null;
  readonly offset?: number;
  readonly field: string;
  readonly message: string;
}

function fromIssue(
  issue: z.core.$ZodIssue,
  prefix: Path,
  root: Node | null,
  text: string,
): Located[] {
  const path = [
    ...prefix,
    ...issue.path.filter((p): p is string | number => typeof p !== "symbol"),
  ];
  if (issue.code === "unrecognized_keys") {
    // Each unknown key where it is written, not at the object holding it.
    return issue.keys.map((key) => ({
      node: locateKey(root, path, key),
      field: formatPath([...path, key]),
      message: unknownField(key),
    }));
  }
  const { node, field } = locate(root, path);
  const index =
    issue.code === "custom" && typeof issue.params?.["index"] === "number"
      ? (issue.params["index"] as number)
      : undefined;
  return [
    {
      node,
      ...(index === undefined
        ? {}
        : { offset: offsetInside(text, node, index) }),
      field,
      message: issue.message,
    },
  ];
}

/**
 * Parses and validates a rule file's text, reporting every problem found
 * (up to {@link MAX_REPORTED_PROBLEMS}), each with its own position.
 *
 * @throws RuleFileError naming the file, line, column and field of each
 */
export function parseRuleFile(text: string, path: string): RuleFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
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
  const root = doc.contents;
  const found: Located[] = [];
  const js: unknown = doc.toJS();
  const parsed = fileSchema.safeParse(js);
  const rawRules = new Map<number, RawRule>();
  const early: Problems = []; // of rules too broken to check in full
  // Fields the schema refused, by rule: what the rest of the rule's check
  // says of them (a refused threshold is missing) is said already.
  const refusedByRule = new Map<number, Set<string>>();
  const list: unknown = (js as { rules?: unknown } | null)?.rules;
  if (Array.isArray(list)) {
    list.forEach((item: unknown, i) => {
      const rule = ruleSchema.safeParse(item);
      if (rule.success) {
        rawRules.set(i, rule.data);
        return;
      }
      for (const issue of rule.error.issues)
        found.push(...fromIssue(issue, ["rules", i], root, text));
      // The rest of the rule is checked too (its metric, its threshold…),
      // so that one run reports every problem, not one layer at a time.
      const refused = refusedFields(rule.error.issues);
      refusedByRule.set(i, refused);
      const rest = ruleSchema.safeParse(without(item, refused));
      if (rest.success) rawRules.set(i, rest.data);
      else metricProblem(item, ["rules", i, "metric"], early);
    });
  }
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      found.unshift(...fromIssue(issue, [], root, text));
  }
  let result: RuleFile | undefined;
  const problems: Problems = early;
  if (parsed.success) {
    result = normalise(parsed.data, rawRules, path, problems);
  }
  for (const problem of problems) {
    const [section, index, field] = problem.path;
    if (section === "rules" && typeof index === "number") {
      if (refusedByRule.get(index)?.has(String(field))) continue;
    }
    const located = locate(root, problem.path);
    found.push({ ...located, message: problem.message });
  }
  if (found.length === 0 && result !== undefined) return result;
  throw ruleFileError(found, path, lineCounter);
}

/** Records an unknown metric of a rule that cannot be checked in full. */
function metricProblem(item: unknown, path: Path, problems: Problems): void {
  const metric = (item as { metric?: unknown } | null)?.metric;
  if (typeof metric === "string") {
    attempt(problems, () => catalogName(metric, path));
  }
}

/** The fields of a rule its schema issues name, unknown keys included. */
function refusedFields(issues: readonly z.core.$ZodIssue[]): Set<string> {
  const fields = new Set<string>();
  for (const issue of issues) {
    const [field] = issue.path;
    if (typeof field === "string") fields.add(field);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) fields.add(key);
    }
  }
  return fields;
}

/** A rule's fields less `fields`. */
function without(item: unknown, fields: ReadonlySet<string>): unknown {
  if (typeof item !== "object" || item === null) return item;
  return Object.fromEntries(
    Object.entries(item).filter(([key]) => !fields.has(key)),
  );
}

function ruleFileError(
  found: readonly Located[],
  path: string,
  lineCounter: LineCounter,
): RuleFileError {
  const problems: RuleFileProblem[] = found
    .map((f) => {
      const { line, col } = lineCounter.linePos(
        f.offset ?? f.node?.range?.[0] ?? 0,
      );
      return { line, column: col, field: f.field, message: f.message };
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const lines = shown.map(
    (p) => `${path}:${p.line}:${p.column}: ${p.field}: ${p.message}`,
  );
  if (problems.length > shown.length)
    lines.push(
      `${path}: ${problems.length - shown.length} more problems not shown`,
    );
  const first = shown[0];
  return new RuleFileError(
    lines.join("\n"),
    path,
    first?.line,
    first?.column,
    first?.field,
    shown,
  );
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
