#!/usr/bin/env node
/**
 * `td-monitor`: the command line. Each command lives in `commands/` and is
 * thin: parse, call the library, print.
 */
import { Command, CommanderError } from "commander";
import { DiagConsoleLogger, DiagLogLevel, diag } from "@opentelemetry/api";
import { UsageError } from "./errors.js";
import * as alerts from "./commands/alerts.js";
import * as collector from "./commands/collector.js";
import * as metrics from "./commands/metrics.js";
import * as report from "./commands/report.js";
import * as retention from "./commands/retention.js";
import * as stats from "./commands/stats.js";
import * as status from "./commands/status.js";

const program = new Command("td-monitor")
  .description(
    "td-monitoring: receive, store, query, alert on and report OpenTelemetry metrics",
  )
  .option("-v, --verbose", "log more, and print stack traces on failure")
  .showHelpAfterError()
  // Commander's own failures (a missing argument) reach the handler below,
  // so that --json answers them too; it has printed them already.
  .exitOverride()
  .hook("preAction", (command) => {
    const verbose = command.optsWithGlobals().verbose === true;
    diag.setLogger(new DiagConsoleLogger(), {
      logLevel: verbose ? DiagLogLevel.DEBUG : DiagLogLevel.INFO,
      suppressOverrideMessage: true,
    });
  });

// Each command module adds itself to the program; keep this list sorted.
const commandModules: Array<{ register(program: Command): void }> = [
  alerts,
  collector,
  metrics,
  report,
  retention,
  stats,
  status,
];
for (const module of commandModules) module.register(program);

function verboseRequested(): boolean {
  return process.argv.includes("--verbose") || process.argv.includes("-v");
}

/**
 * The failure as JSON for `--json`: a script reading stdout gets an answer
 * either way. `kind` is the class of the underlying error (UsageError,
 * UnknownMetricError, StoreUnavailableError…), the same for every command.
 */
function printJsonError(error: unknown): void {
  const cause = error instanceof Error ? error.cause : undefined;
  const kind =
    cause instanceof Error
      ? cause.name
      : error instanceof Error
        ? error.name
        : "Error";
  // Commander's own messages start with "error: ", which JSON says already.
  const message = (
    error instanceof Error ? error.message : String(error)
  ).replace(/^error: /, "");
  process.stdout.write(`${JSON.stringify({ error: { message, kind } })}\n`);
}

// A reader that went away (`td-monitor status --watch | head -1`) is the
// end of the output, not a failure to report with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const json = process.argv.includes("--json");
  if (error instanceof CommanderError) {
    if (json && error.exitCode !== 0) printJsonError(error);
    process.exitCode = error.exitCode;
  } else {
    if (json) printJsonError(error);
    reportError(error);
    process.exitCode = 1;
  }
}

function reportError(error: unknown): void {
  // A usage error is the whole story; anything else is a fault worth a trace.
  if (verboseRequested() || !(error instanceof Error)) console.error(error);
  else if (error instanceof UsageError)
    console.error(`td-monitor: ${error.message}`);
  else
    console.error(
      `td-monitor: ${error.message} (run with --verbose for details)`,
    );
}
