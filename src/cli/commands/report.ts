/**
 * `td-monitor report`: statistics, trends, correlations and capacity
 * forecasts over a window, for the terminal, or as Markdown, HTML or JSON
 * written under `<data dir>/reports/`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { readAlertHistory } from "../../report/alert-history.js";
import { buildReport, type ReportOptions } from "../../report/build.js";
import { renderHtml } from "../../report/render/html.js";
import { renderJson } from "../../report/render/json.js";
import { renderMarkdown } from "../../report/render/markdown.js";
import { renderText } from "../../report/render/text.js";
import type { Report } from "../../report/types.js";
import { resolveDataDir } from "../../store/embedded/paths.js";
import { openStore, parseStoreSpec } from "../../store/open-store.js";
import { UsageError } from "../errors.js";
import { addStoreOption, asUsageError } from "../store-flag.js";
import { parseDurationFlag, parseTimeRange } from "../time-flags.js";

/** The environment variable holding the cost of one instance-hour. */
export const COST_ENV = "TD_MONITORING_COST_PER_INSTANCE_HOUR";

const FORMATS = {
  text: { extension: "txt", render: renderText },
  md: { extension: "md", render: renderMarkdown },
  html: { extension: "html", render: renderHtml },
  json: { extension: "json", render: renderJson },
} as const;

type Format = keyof typeof FORMATS;

interface ReportFlags {
  since: string;
  until?: string;
  compare: string;
  format: string;
  out?: string;
  json?: boolean;
  step?: string;
  costPerInstanceHour?: string;
  store?: string;
}

/** Adds `report` to the program. */
export function register(program: Command): void {
  const command = program
    .command("report")
    .description(
      "performance report: system, application, users, business, alerts, trends, correlations, capacity and optimization",
    )
    .option(
      "--since <time>",
      "start: a duration back from now (24h, 7d) or a time",
      "24h",
    )
    .option(
      "--until <time>",
      "end: now, a duration back or a time (default: now)",
    )
    .option(
      "--compare <period>",
      "previous (the same length just before) or NONE",
      "previous",
    )
    .option("--format <format>", "text, md, html or json", "text")
    .option(
      "--out <path>",
      "file to write (- for standard output); md, html and json default to <data dir>/reports/",
    )
    .option("--json", "print the JSON report on standard output")
    .option(
      "--step <duration>",
      "step of charts and trends (default: from the window)",
    )
    .option(
      "--cost-per-instance-hour <amount>",
      `cost of one instance running an hour, for cost per thousand documents (default: $${COST_ENV})`,
    );
  addStoreOption(command).action(runReport);
}

async function runReport(flags: ReportFlags, command: Command): Promise<void> {
  const format = reportFormat(flags, command);
  const now = Date.now();
  const range = parseTimeRange(flags, now, "24h");
  const spec = parseStoreSpecOrUsage(flags.store);
  const dataDir =
    spec.kind === "embedded" ? spec.dataDir : resolveDataDir(undefined);
  const options: ReportOptions = {
    ...range,
    comparePrevious: parseCompare(flags.compare),
    ...(flags.step === undefined
      ? {}
      : { stepSeconds: parseStep(flags.step, range) }),
    cost: costModel(flags.costPerInstanceHour, process.env[COST_ENV]),
    nowMillis: now,
  };
  const report = await buildWithProgress(spec, {
    ...options,
    alerts: await readAlertHistory(path.join(dataDir, "alerts")),
  });
  const text = FORMATS[format].render(report);
  const out =
    flags.out ??
    (format === "text" || flags.json
      ? "-"
      : defaultPath(dataDir, report, format));
  if (out === "-") {
    process.stdout.write(text);
    return;
  }
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, text);
  process.stdout.write(`${out}\n`);
}

async function buildWithProgress(
  spec: ReturnType<typeof parseStoreSpec>,
  options: ReportOptions,
): Promise<Report> {
  // A bar only on a terminal, and on stderr so stdout stays the report.
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: "report {bar} {value}/{total} {section}",
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let store;
  try {
    store = openStore(spec);
    return await buildReport(store, {
      ...options,
      onProgress(done, total, section) {
        if (done === 0) bar?.start(total, 0, { section });
        bar?.update(done, { section });
      },
    });
  } catch (error) {
    throw asUsageError(error);
  } finally {
    bar?.stop();
    await store?.close();
  }
}

function parseStoreSpecOrUsage(flag: string | undefined) {
  try {
    return parseStoreSpec(flag);
  } catch (error) {
    throw asUsageError(error);
  }
}

// More steps than this and a report's charts, trends and correlations take
// minutes and gigabytes (30 days at --step 1s ran for minutes, silently).
const MAX_STEPS = 10_000;

/** `--step`, refused when it cuts the window into more than MAX_STEPS steps. */
function parseStep(
  text: string,
  { startMillis, endMillis }: { startMillis: number; endMillis: number },
): number {
  const stepSeconds = parseDurationFlag("--step", text);
  const windowSeconds = (endMillis - startMillis) / 1000;
  if (windowSeconds / stepSeconds > MAX_STEPS) {
    const least = Math.ceil(windowSeconds / MAX_STEPS);
    throw new UsageError(
      `--step ${text} cuts the window into ${Math.ceil(windowSeconds / stepSeconds).toLocaleString("en")} steps, over the ${MAX_STEPS.toLocaleString("en")} a report can draw; use ${least}s or more`,
    );
  }
  return stepSeconds;
}

/**
 * The format: `--json` is the JSON report on standard output, so it goes
 * with no `--format` but json (an HTML page asked for and JSON printed
 * instead would be a surprise).
 */
function reportFormat(flags: ReportFlags, command: Command): Format {
  const format = parseFormat(flags.format);
  if (!flags.json) return format;
  if (command.getOptionValueSource("format") === "cli" && format !== "json") {
    throw new UsageError(
      `--json prints the JSON report, and --format ${format} asks for another; give one of them (--format ${format} --out FILE writes the file)`,
    );
  }
  return "json";
}

function parseFormat(text: string): Format {
  if (text in FORMATS) return text as Format;
  throw new UsageError(
    `--format "${text}" is not a format; expected text, md, html or json`,
  );
}

/** `--compare`: true for previous, false for NONE. */
export function parseCompare(text: string): boolean {
  if (text === "previous") return true;
  if (text.toUpperCase() === "NONE") return false;
  throw new UsageError(
    `--compare "${text}" is not a period; expected previous or NONE`,
  );
}

/** The cost model from the flag, else the environment; throws a UsageError naming the source. */
export function costModel(
  flag: string | undefined,
  env: string | undefined,
): { costPerInstanceHour?: number } {
  const [source, text] =
    flag !== undefined
      ? ["--cost-per-instance-hour", flag]
      : [COST_ENV, env === "" ? undefined : env];
  if (text === undefined) return {};
  const amount = Number(text);
  if (!Number.isFinite(amount) || amount < 0 || text.trim() === "") {
    throw new UsageError(
      `${source} "${text}" is not an amount; expected a number such as 0.12`,
    );
  }
  return { costPerInstanceHour: amount };
}

/** `<data dir>/reports/report-<end time>.<ext>`, the time without colons. */
export function defaultPath(
  dataDir: string,
  report: Report,
  format: Format,
): string {
  const stamp = report.window.end.replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  return path.join(
    dataDir,
    "reports",
    `report-${stamp}.${FORMATS[format].extension}`,
  );
}
