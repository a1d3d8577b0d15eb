/**
 * `td-monitor alerts …`: evaluate rules (once, or in a loop), list, show,
 * resolve, acknowledge and silence alerts, export rules for Prometheus, and
 * replay rules over stored history.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import {
  AlertNotFoundError,
  AlertStore,
  MAX_SILENCE_SECONDS,
  SilenceNotFoundError,
} from "../../alerts/alert-store.js";
import { formatDuration, parseDurationSeconds } from "../../alerts/duration.js";
import {
  Evaluator,
  startEvaluatorLoop,
  type EvaluationReport,
} from "../../alerts/evaluator.js";
import { exportPrometheusRules } from "../../alerts/export.js";
import { formatLabels } from "../../alerts/labels.js";
import { replay, type ReplayResult } from "../../alerts/replay.js";
import { logReports } from "../../alerts/report-log.js";
import { formatChange } from "../../alerts/template.js";
import {
  loadRuleFile,
  RuleFileError,
  SEVERITIES,
  type Severity,
} from "../../alerts/rule.js";
import type { AlertRecord, Silence } from "../../alerts/state-file.js";
import { resolveDataDir } from "../../store/embedded/paths.js";
import {
  openStore,
  parseStoreSpec,
  STORE_ENV,
} from "../../store/open-store.js";
import { UsageError } from "../errors.js";
import {
  number,
  printable,
  printJson,
  styles,
  table,
  useColour,
} from "../output.js";
import { addStoreOption, asUsageError } from "../store-flag.js";
import {
  StoreUnavailableError,
  UnsupportedQueryError,
  type MetricStore,
} from "../../store/types.js";
import { parseDurationFlag, parseTimeFlag } from "../time-flags.js";

/** The rule file shipped with the package. */
export const DEFAULT_RULES_FILE = fileURLToPath(
  new URL("../../../rules/default.yaml", import.meta.url),
);

interface CommonFlags {
  dataDir?: string;
  json?: boolean;
}

function alertsDir(flags: CommonFlags): string {
  return path.join(resolveDataDir(flags.dataDir), "alerts");
}

function withDataDir(command: Command): Command {
  return command.option(
    "--data-dir <dir>",
    "data directory (default: $TD_MONITORING_DATA_DIR, else data/monitoring)",
  );
}

async function rulesFrom(file: string | undefined) {
  try {
    return await loadRuleFile(file ?? DEFAULT_RULES_FILE);
  } catch (error) {
    if (error instanceof RuleFileError)
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

function iso(millis: number | undefined): string {
  return millis === undefined ? "" : new Date(millis).toISOString();
}

/** An alert for `--json`: times as ISO strings. */
function alertJson(alert: AlertRecord) {
  return {
    ...alert,
    startedAt: iso(alert.startedAtMillis),
    firedAt: iso(alert.firedAtMillis) || null,
    resolvedAt: iso(alert.resolvedAtMillis) || null,
  };
}

/** A value as a person reads it: "—" where there was no data (NaN). */
function valueText(value: number): string {
  return Number.isNaN(value) ? "—" : number(value);
}

function severityStyle(severity: Severity, text: string): string {
  const s = styles(useColour());
  return severity === "critical"
    ? s.red(text)
    : severity === "warning"
      ? s.yellow(text)
      : text;
}

function shortLabels(alert: AlertRecord): string {
  const rest = Object.entries(alert.labels).filter(([k]) => k !== "alertname");
  return rest.length === 0 ? "" : formatLabels(Object.fromEntries(rest));
}

function printReport(
  report: EvaluationReport,
  json: boolean | undefined,
): void {
  if (json) {
    printJson(report);
    return;
  }
  const time = iso(report.atMillis);
  if (report.skipped !== undefined) {
    process.stdout.write(
      `${time} skipped: the alert state is held by ${report.skipped}\n`,
    );
    return;
  }
  const failed = report.rules.filter((r) => r.error !== undefined);
  process.stdout.write(
    `${time} evaluated ${plural(report.rules.length, "rule")} (${failed.length} failed), ${plural(report.transitions.length, "transition")}, ${plural(report.notifications.sent, "notification")} sent, ${report.notifications.failed} failed\n`,
  );
  for (const t of report.transitions) {
    process.stdout.write(
      `  ${t.rule} ${formatLabels(t.labels)}: ${t.from} -> ${t.to}\n`,
    );
  }
  for (const r of failed) process.stderr.write(`  ${r.error}\n`);
}

/** Adds `alerts` and its subcommands to the program. */
export function register(program: Command): void {
  const alerts = program
    .command("alerts")
    .description("alert rules, the evaluator, alerts and their history");

  addStoreOption(
    withDataDir(
      alerts
        .command("evaluate")
        .description(
          "evaluate the rules once (for cron), or every interval with --every",
        )
        .option(
          "--rules <file>",
          "rule file (default: the package's rules/default.yaml)",
        )
        .option(
          "--every <duration>",
          "evaluate in a loop at this interval (e.g. 30s) until interrupted",
        )
        .option("--json", "print JSON"),
    ),
  ).action(runEvaluate);

  withDataDir(
    alerts
      .command("list")
      .description("alerts, most severe and most recent first")
      .option("--state <state>", "pending, firing or resolved")
      .option("--severity <severity>", SEVERITIES.join(", "))
      .option(
        "--since <time>",
        "alerts active at or after: a duration back (7d) or a time",
      )
      .option("--json", "print JSON"),
  ).action(runList);

  withDataDir(
    alerts
      .command("show")
      .description("one alert in full")
      .argument("<id>", "alert id or a unique prefix")
      .option("--json", "print JSON"),
  ).action(runShow);

  withDataDir(
    alerts
      .command("resolve")
      .description(
        "resolve an alert by hand; if its condition still holds, a new alert starts (see docs/alerts.md)",
      )
      .argument("<id>", "alert id or a unique prefix")
      .requiredOption("--note <text>", "why it is resolved")
      .option("--json", "print JSON"),
  ).action(runResolve);

  withDataDir(
    alerts
      .command("ack")
      .description("acknowledge an alert: no repeat notifications")
      .argument("<id>", "alert id or a unique prefix")
      .option("--json", "print JSON"),
  ).action(runAck);

  withDataDir(
    alerts
      .command("silence")
      .description(
        "hold back notifications of alerts whose labels match, for a while",
      )
      .requiredOption(
        "--match <k=v>",
        "label equality (alertname, severity or any label); repeatable",
        (v: string, all: string[] = []) => [...all, v],
      )
      .requiredOption(
        "--for <duration>",
        `how long, e.g. 2h (at most ${formatDuration(MAX_SILENCE_SECONDS)})`,
      )
      .option("--comment <text>", "why")
      .option("--json", "print JSON"),
  ).action(runSilence);

  withDataDir(
    alerts
      .command("silences")
      .description("the silences in force: id, matchers, until, who, why")
      .option("--json", "print JSON"),
  ).action(runSilences);

  withDataDir(
    alerts
      .command("unsilence")
      .description("end a silence now")
      .argument("<id>", "silence id or a unique prefix (see alerts silences)")
      .option("--json", "print JSON"),
  ).action(runUnsilence);

  alerts
    .command("export")
    .description("write the rules as Prometheus alerting rules")
    .option(
      "--rules <file>",
      "rule file (default: the package's rules/default.yaml)",
    )
    .option("--format <format>", "prometheus (the only one)", "prometheus")
    .option("--output <file>", "write here instead of standard output")
    .option(
      "--json",
      "print JSON: the Prometheus rule file as data, and the rules not exported with why",
    )
    .action(runExport);

  addStoreOption(
    alerts
      .command("replay")
      .description(
        "evaluate rules over stored history and list when each would have fired and resolved",
      )
      .option(
        "--rules <file>",
        "rule file (default: the package's rules/default.yaml)",
      )
      .option("--since <time>", "start: a duration back (7d) or a time", "7d")
      .option("--until <time>", "end (default: now)")
      .option("--step <duration>", "evaluation step", "1m")
      .option("--json", "print JSON"),
  ).action(runReplay);
}

async function runEvaluate(
  flags: CommonFlags & { rules?: string; every?: string; store?: string },
): Promise<void> {
  const rules = await rulesFrom(flags.rules);
  const intervalSeconds =
    flags.every === undefined
      ? undefined
      : parseDurationFlag("--every", flags.every);
  const store = openOrStub(evaluatedStore(flags));
  try {
    const evaluator = new Evaluator({
      store,
      rules,
      alertsDir: alertsDir(flags),
    });
    if (intervalSeconds === undefined) {
      const report = await evaluator.evaluateOnce();
      printReport(report, flags.json);
      if (report.rules.some((r) => r.error !== undefined)) process.exitCode = 1;
      return;
    }
    // Until SIGINT or SIGTERM: the evaluation in progress finishes first.
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
    while (!stop.signal.aborted) {
      const started = Date.now();
      try {
        printReport(await evaluator.evaluateOnce(), flags.json);
      } catch (error) {
        process.stderr.write(
          `td-monitor: evaluation failed: ${(error as Error).message}\n`,
        );
      }
      const wait = Math.max(0, intervalSeconds * 1000 - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        stop.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  } catch (error) {
    throw asUsageError(error);
  } finally {
    await store.close();
  }
}

/**
 * The store to evaluate against: `--store`, else `TD_MONITORING_STORE`, else
 * the embedded store of `--data-dir` when one is given, so that one flag
 * names one install, its series and its alerts alike.
 */
function evaluatedStore(flags: {
  store?: string;
  dataDir?: string;
}): string | undefined {
  if (flags.store !== undefined || process.env[STORE_ENV] !== undefined)
    return flags.store;
  return flags.dataDir === undefined ? undefined : `embedded:${flags.dataDir}`;
}

/**
 * The store, or one whose every query fails with the reason it could not be
 * opened: the evaluator then records the outage, holds every alert and
 * raises its own alert, instead of the job dying before it can say so.
 */
function openOrStub(flag: string | undefined): MetricStore {
  const spec = parseStoreSpec(flag);
  try {
    return openStore(spec);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    const fail = () => Promise.reject(error);
    return {
      description: error.store,
      query: fail,
      listSeries: fail,
      close: () => Promise.resolve(),
    };
  }
}

async function runList(
  flags: CommonFlags & { state?: string; severity?: string; since?: string },
): Promise<void> {
  if (
    flags.state !== undefined &&
    !["pending", "firing", "resolved"].includes(flags.state)
  ) {
    throw new UsageError(
      `--state "${flags.state}" is not a state; expected pending, firing or resolved`,
    );
  }
  if (
    flags.severity !== undefined &&
    !(SEVERITIES as readonly string[]).includes(flags.severity)
  ) {
    throw new UsageError(
      `--severity "${flags.severity}" is not a severity; expected ${SEVERITIES.join(", ")}`,
    );
  }
  const list = await new AlertStore(alertsDir(flags)).list({
    ...(flags.state === undefined
      ? {}
      : { state: flags.state as AlertRecord["state"] }),
    ...(flags.severity === undefined
      ? {}
      : { severity: flags.severity as Severity }),
    ...(flags.since === undefined
      ? {}
      : { sinceMillis: parseTimeFlag("--since", flags.since, Date.now()) }),
  });
  if (flags.json) {
    printJson(list.map(alertJson));
    return;
  }
  if (list.length === 0) {
    process.stdout.write("no alerts\n");
    return;
  }
  const rows = list.map((a) => [
    a.id,
    a.state,
    severityStyle(a.severity, a.severity),
    a.rule,
    shortLabels(a),
    valueText(a.value),
    iso(a.firedAtMillis ?? a.startedAtMillis),
    a.message,
  ]);
  process.stdout.write(
    `${table([["ID", "STATE", "SEVERITY", "RULE", "LABELS", "VALUE", "SINCE", "MESSAGE"], ...rows])}\n`,
  );
}

/**
 * One alert in full. Every text that came from outside (labels and messages
 * from the data, notes typed by people, receivers' errors) is made printable,
 * so a label cannot move the cursor or clear the operator's terminal.
 */
function describeAlert(a: AlertRecord): string {
  const resolvedBy =
    a.resolvedBy === undefined
      ? ""
      : a.resolvedBy.kind === "manual"
        ? ` by ${a.resolvedBy.by}: ${a.resolvedBy.note}`
        : " automatically";
  const lines = [
    `${a.id}  ${printable(a.rule)}  ${a.state}  ${severityStyle(a.severity, a.severity)}`,
    `message:    ${printable(a.message)}`,
    `labels:     ${printable(formatLabels(a.labels))}`,
    `value:      ${valueText(a.value)} (threshold ${valueText(a.threshold)}, peak ${valueText(a.peakValue)})`,
    `started:    ${iso(a.startedAtMillis)}`,
    `fired:      ${iso(a.firedAtMillis) || "—"}`,
    `resolved:   ${iso(a.resolvedAtMillis) || "—"}${printable(resolvedBy)}`,
  ];
  if (a.acknowledgedAtMillis !== undefined)
    lines.push(
      `acked:      ${iso(a.acknowledgedAtMillis)} by ${printable(a.acknowledgedBy ?? "?")}`,
    );
  if (a.runbook !== undefined)
    lines.push(`runbook:    ${printable(a.runbook)}`);
  if (a.lastError !== undefined)
    lines.push(`last error: ${printable(a.lastError)}`);
  for (const c of a.context ?? [])
    lines.push(`changed:    ${printable(formatChange(c))} (${c.statistic})`);
  for (const n of a.notifications) {
    const outcome = n.ok ? "ok" : `failed: ${n.error ?? ""}`;
    lines.push(
      `notified:   ${iso(n.atMillis)} ${printable(`${n.receiver} ${n.reason} ${outcome}`)} (${plural(n.attempts, "attempt")})`,
    );
  }
  return lines.join("\n");
}

async function byId<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AlertNotFoundError)
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

async function runShow(id: string, flags: CommonFlags): Promise<void> {
  const alert = await byId(() => new AlertStore(alertsDir(flags)).get(id));
  if (flags.json) printJson(alertJson(alert));
  else process.stdout.write(`${describeAlert(alert)}\n`);
}

async function runResolve(
  id: string,
  flags: CommonFlags & { note: string },
): Promise<void> {
  const alert = await byId(() =>
    new AlertStore(alertsDir(flags)).resolve(id, flags.note),
  );
  if (flags.json) printJson(alertJson(alert));
  else
    process.stdout.write(
      `resolved ${alert.id} (${alert.rule}); the resolution is notified at the next evaluation\n`,
    );
}

async function runAck(id: string, flags: CommonFlags): Promise<void> {
  const alert = await byId(() =>
    new AlertStore(alertsDir(flags)).acknowledge(id),
  );
  if (flags.json) printJson(alertJson(alert));
  else process.stdout.write(`acknowledged ${alert.id} (${alert.rule})\n`);
}

async function runSilence(
  flags: CommonFlags & { match: string[]; for: string; comment?: string },
): Promise<void> {
  const matchers: Record<string, string> = {};
  for (const pair of flags.match) {
    const at = pair.indexOf("=");
    if (at <= 0)
      throw new UsageError(
        `--match "${pair}" is not key=value (e.g. --match severity=warning)`,
      );
    matchers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  const seconds = silenceSeconds(flags.for);
  const silence = await new AlertStore(alertsDir(flags)).silence(
    matchers,
    seconds,
    flags.comment,
  );
  if (flags.json) printJson(silenceJson(silence));
  else
    process.stdout.write(
      `silence ${silence.id} until ${iso(silence.endsAtMillis)} for ${formatLabels(matchers)}\n`,
    );
}

/** `--for` of a silence in seconds: more than 0, at most the maximum. */
function silenceSeconds(text: string): number {
  const seconds = parseDurationSeconds(text.trim());
  if (seconds === 0)
    throw new UsageError(`--for "${text}" must be more than 0 (e.g. 2h)`);
  if (seconds === undefined) return parseDurationFlag("--for", text);
  if (seconds > MAX_SILENCE_SECONDS)
    throw new UsageError(
      `--for "${text}" is longer than the maximum, ${formatDuration(MAX_SILENCE_SECONDS)}; for longer, change the rule`,
    );
  return seconds;
}

/** A silence for `--json`: times as ISO strings. */
function silenceJson(silence: Silence) {
  return {
    ...silence,
    startsAt: iso(silence.startsAtMillis),
    endsAt: iso(silence.endsAtMillis),
  };
}

async function runSilences(flags: CommonFlags): Promise<void> {
  const silences = await new AlertStore(alertsDir(flags)).silences();
  if (flags.json) {
    printJson(silences.map(silenceJson));
    return;
  }
  if (silences.length === 0) {
    process.stdout.write("no silences\n");
    return;
  }
  const rows = silences.map((s) => [
    s.id,
    formatLabels(s.matchers),
    iso(s.endsAtMillis),
    s.createdBy,
    s.comment ?? "",
  ]);
  process.stdout.write(
    `${table([["ID", "MATCHERS", "UNTIL", "BY", "COMMENT"], ...rows])}\n`,
  );
}

async function runUnsilence(id: string, flags: CommonFlags): Promise<void> {
  let silence: Silence;
  try {
    silence = await new AlertStore(alertsDir(flags)).unsilence(id);
  } catch (error) {
    if (error instanceof SilenceNotFoundError)
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (flags.json) printJson(silenceJson(silence));
  else
    process.stdout.write(
      `removed silence ${silence.id} for ${formatLabels(silence.matchers)}; alerts it held back are notified at the next evaluation\n`,
    );
}

async function runExport(flags: {
  rules?: string;
  format: string;
  output?: string;
  json?: boolean;
}): Promise<void> {
  if (flags.format !== "prometheus")
    throw new UsageError(
      `--format "${flags.format}" is not supported; expected prometheus`,
    );
  const exported = exportPrometheusRules(await rulesFrom(flags.rules));
  let text = exported.yaml;
  if (flags.json) {
    const { document, skipped } = exported;
    text = `${JSON.stringify({ rules: document, skipped }, null, 2)}\n`;
  } else {
    for (const { reason } of exported.skipped)
      process.stderr.write(`td-monitor: not exported: ${reason}\n`);
  }
  if (flags.output === undefined) process.stdout.write(text);
  else await writeFile(flags.output, text);
}

async function runReplay(flags: {
  rules?: string;
  since: string;
  until?: string;
  step: string;
  store?: string;
  json?: boolean;
}): Promise<void> {
  const rules = await rulesFrom(flags.rules);
  const now = Date.now();
  const sinceMillis = parseTimeFlag("--since", flags.since, now);
  const untilMillis =
    flags.until === undefined
      ? now
      : parseTimeFlag("--until", flags.until, now);
  const stepSeconds = parseDurationFlag("--step", flags.step);
  const store = openStore(parseStoreSpec(flags.store));
  // cli-progress draws only on a terminal; piped output stays clean.
  const bar = new SingleBar({
    format: "replay [{bar}] {percentage}% {value}/{total} rule-days",
    stream: process.stderr,
    hideCursor: true,
  });
  let started = false;
  try {
    const result = await replay({
      store,
      rules,
      sinceMillis,
      untilMillis,
      stepSeconds,
      onProgress(done, total) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
    });
    bar.stop();
    const failure = replayFailure(result, rules.rules.length, store);
    // A replay that could not ask the store says so and exits 1: an empty
    // list must never read as "nothing would have fired".
    if (failure !== undefined) process.exitCode = 1;
    if (flags.json) {
      if (failure !== undefined)
        process.stderr.write(`td-monitor: ${failure}\n`);
      printJson({
        ...result,
        episodes: result.episodes.map((e) => ({
          ...e,
          pendingAt: iso(e.pendingAtMillis),
          firedAt: iso(e.firedAtMillis),
          resolvedAt: iso(e.resolvedAtMillis) || null,
        })),
      });
      return;
    }
    if (failure !== undefined) {
      if (result.storeUnavailable === undefined)
        for (const { error } of result.errors)
          process.stderr.write(`td-monitor: ${error}\n`);
      process.stderr.write(`td-monitor: ${failure}\n`);
      if (result.episodes.length === 0) return;
    }
    if (result.episodes.length === 0) {
      process.stdout.write(
        `no rule would have fired between ${iso(sinceMillis)} and ${iso(untilMillis)}\n`,
      );
      return;
    }
    const rows = result.episodes.map((e) => [
      e.rule,
      formatLabels(
        Object.fromEntries(
          Object.entries(e.labels).filter(([k]) => k !== "alertname"),
        ),
      ),
      severityStyle(e.severity, e.severity),
      iso(e.firedAtMillis),
      iso(e.resolvedAtMillis) || "(still firing)",
      // An alert raised on no data (no_data: alerting) has no peak.
      valueText(e.peakValue),
    ]);
    process.stdout.write(
      `${table([["RULE", "LABELS", "SEVERITY", "FIRED", "RESOLVED", "PEAK"], ...rows])}\n`,
    );
    const counts = new Map<string, number>();
    for (const e of result.episodes)
      counts.set(e.rule, (counts.get(e.rule) ?? 0) + 1);
    process.stdout.write(
      `\n${[...counts].map(([rule, n]) => `${rule}: fired ${n === 1 ? "once" : `${n} times`}`).join("\n")}\n`,
    );
  } catch (error) {
    throw asUsageError(error);
  } finally {
    bar.stop();
    await store.close();
  }
}

/** One line saying why a replay is incomplete, or undefined when it is not. */
function replayFailure(
  result: ReplayResult,
  rules: number,
  store: MetricStore,
): string | undefined {
  const notReplayed = rules - result.rulesReplayed;
  if (notReplayed === 0) return undefined;
  const unavailable = result.storeUnavailable;
  const summary = `${notReplayed} of ${plural(rules, "rule")} not replayed`;
  if (unavailable !== undefined)
    return `replay failed: cannot query ${unavailable.store}: ${unavailable.error} (${summary})`;
  return `replay incomplete: ${summary} against ${store.description}`;
}

/** "1 rule", "2 rules". */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Evaluates a rule file inside another long-running command (`td-monitor
 * collector --rules FILE`), at the file's evaluation interval. That command
 * prints no reports, so transitions and rule errors go to its log (see
 * logReports). Resolves with the function that stops it after the
 * evaluation in progress.
 */
export async function startInProcessEvaluation(
  rulesFile: string,
  store: MetricStore,
  dataDir: string,
): Promise<() => Promise<void>> {
  const rules = await rulesFrom(rulesFile);
  let evaluator: Evaluator;
  try {
    evaluator = new Evaluator({
      store,
      rules,
      alertsDir: alertsDir({ dataDir }),
    });
  } catch (error) {
    if (!(error instanceof UnsupportedQueryError)) throw error;
    throw new UsageError(
      `--rules ${rulesFile}: ${error.message}; the collector evaluates against its own store: remove the rule, or evaluate the file with td-monitor alerts evaluate --store prometheus:URL`,
      { cause: error },
    );
  }
  const loop = startEvaluatorLoop(
    evaluator,
    rules.evaluationIntervalSeconds * 1000,
    logReports(),
  );
  return () => loop.stop();
}
