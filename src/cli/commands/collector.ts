/**
 * `td-monitor collector`: the embedded default. An OTLP/HTTP endpoint that
 * stores metrics in `<data dir>/metrics/series.db` and applies retention,
 * until SIGINT or SIGTERM.
 */
import type { Command } from "commander";
import { OtlpReceiver } from "../../receiver/server.js";
import { EmbeddedDatabase } from "../../store/embedded/database.js";
import { EmbeddedStore } from "../../store/embedded/query.js";
import { resolveDataDir } from "../../store/embedded/paths.js";
import {
  parseDuration,
  resolveMaxAgeMillis,
  scheduleRetention,
} from "../../store/retention.js";
import { UsageError } from "../errors.js";
import { startInProcessEvaluation } from "./alerts.js";

interface CollectorFlags {
  listen: string;
  dataDir?: string;
  maxAge?: string;
  maxRequestBytes: string;
  maxInFlight: string;
  logInterval: string;
  rules?: string;
  json?: boolean;
}

/** Adds `collector` to the program. */
export function register(program: Command): void {
  program
    .command("collector")
    .description(
      "receive OTLP/HTTP metrics (protobuf or JSON) and store them in the embedded store",
    )
    .option("--listen <host:port>", "where to listen", "127.0.0.1:4318")
    .option(
      "--data-dir <dir>",
      "data directory (env TD_MONITORING_DATA_DIR; default data/monitoring)",
    )
    .option(
      "--max-age <duration>",
      "delete raw points older than this, hourly (env TD_MONITORING_RETENTION; default 15d)",
    )
    .option(
      "--max-request-bytes <n>",
      "largest request body, also after gunzip",
      String(16 * 1024 * 1024),
    )
    .option(
      "--max-in-flight <n>",
      "requests handled at once before answering 503",
      "16",
    )
    .option(
      "--log-interval <duration>",
      "how often to log a summary of what arrived",
      "60s",
    )
    .option(
      "--rules <file>",
      "also evaluate this alert rule file in process, at its evaluation interval",
    )
    .option("--json", "print the start-up and shut-down lines as JSON")
    .action(runCollector);
}

async function runCollector(flags: CollectorFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  const options = usage(() => ({
    maxAgeMillis: resolveMaxAgeMillis(flags.maxAge),
    logIntervalMillis: parseDuration(flags.logInterval, "--log-interval"),
    maxRequestBytes: positiveInteger(
      flags.maxRequestBytes,
      "--max-request-bytes",
    ),
    maxInFlightRequests: positiveInteger(flags.maxInFlight, "--max-in-flight"),
  }));
  const dataDir = resolveDataDir(flags.dataDir);
  const db = usage(() => EmbeddedDatabase.open(dataDir));
  const receiver = new OtlpReceiver(db, { host, port, ...options });

  // Listen for signals before announcing, so a supervisor that stops the
  // collector as soon as it sees the line still gets a clean shutdown.
  const signalled = untilSignalled();
  try {
    const { url } = await receiver.listen();
    const stopRetention = scheduleRetention(db, options);
    const stopAlerts =
      flags.rules === undefined
        ? undefined
        : await startInProcessEvaluation(
            flags.rules,
            new EmbeddedStore(db, `embedded:${dataDir}`),
            dataDir,
          );
    announce(flags, {
      event: "listening",
      url,
      database: db.path,
      maxAgeMillis: options.maxAgeMillis,
    });
    await signalled;
    await stopAlerts?.();
    stopRetention();
  } catch (error) {
    throw listenError(error, flags.listen);
  } finally {
    await receiver.close();
    db.close();
  }
  announce(flags, { event: "stopped" });
}

function announce(flags: CollectorFlags, event: Record<string, unknown>): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    return;
  }
  const text =
    event.event === "listening"
      ? `td-monitor collector: receiving OTLP/HTTP metrics at ${event.url}, storing in ${event.database}, keeping raw points ${formatDays(Number(event.maxAgeMillis))}`
      : "td-monitor collector: stopped";
  process.stdout.write(`${text}\n`);
}

function formatDays(millis: number): string {
  const days = millis / 86_400_000;
  return days >= 1
    ? `${Number(days.toFixed(2))} days`
    : `${millis / 1000} seconds`;
}

/** `host:port` (IPv6 hosts in brackets) into its parts, or a UsageError. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new UsageError(
      `--listen "${text}": expected host:port, e.g. 127.0.0.1:4318 (port 0 picks a free one)`,
    );
  }
  return { host: match[1] ?? match[2]!, port };
}

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${flag} "${text}": expected a positive integer`);
  }
  return value;
}

/** Runs a step whose failure is the user's to fix, as a UsageError. */
function usage<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

function listenError(error: unknown, listen: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") {
    return new UsageError(
      `cannot listen on ${listen}: address already in use; is another collector running? choose another with --listen`,
      { cause: error },
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "EACCES") {
    return new UsageError(`cannot listen on ${listen}: ${code}`, {
      cause: error,
    });
  }
  return error;
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
