/**
 * The diagnostic logger the register entry installs: the console, at the
 * level `OTEL_LOG_LEVEL` names (WARN by default), with repeats held back so
 * that a collector that stays down costs a line now and then, not a line
 * every export interval.
 */
import {
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  type DiagLogFunction,
  type DiagLogger,
} from "@opentelemetry/api";
import { setGlobalErrorHandler } from "@opentelemetry/core";

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

/** How long the same warning or error stays quiet after it was logged. */
export const REPEAT_QUIET_MILLIS = 10 * 60_000;

// Distinct messages remembered at most; beyond, the memory starts afresh.
const MAX_REMEMBERED = 200;

/**
 * Wraps a logger so that a warning or error already logged within
 * `quietMillis` is dropped. Debug and info lines pass unchanged.
 */
export function withoutRepeats(
  inner: DiagLogger,
  quietMillis = REPEAT_QUIET_MILLIS,
  now: () => number = Date.now,
): DiagLogger {
  const lastLogged = new Map<string, number>();
  const quiet = (log: DiagLogFunction): DiagLogFunction => {
    return (message, ...args) => {
      const time = now();
      const key = repeatKey(message);
      const last = lastLogged.get(key);
      if (last !== undefined && time - last < quietMillis) return;
      if (lastLogged.size >= MAX_REMEMBERED) lastLogged.clear();
      lastLogged.set(key, time);
      log(message, ...args);
    };
  };
  return {
    error: quiet(inner.error.bind(inner)),
    warn: quiet(inner.warn.bind(inner)),
    info: inner.info.bind(inner),
    debug: inner.debug.bind(inner),
    verbose: inner.verbose.bind(inner),
  };
}

/**
 * What makes two messages the same: their start, numbers aside. The SDK's
 * messages carry timings and stack traces that differ from one export to the
 * next while saying the same thing.
 */
function repeatKey(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/\d+/g, "#").slice(0, 120);
}

/**
 * The periodic reader's own lines about an export that failed or timed out.
 * The OTLP transport says where and why in a line of its own
 * (otlp-exporter.ts), so these would only say it a second time, less well.
 */
const READER_EXPORT_FAILURE =
  /^PeriodicExportingMetricReader: metrics export (failed|timed out)/;

/**
 * Wraps a logger so that the reader's export failure lines become debug
 * lines: logged at DEBUG and finer, dropped otherwise (the level filter of
 * `diag` has already let them through as errors).
 */
export function withReaderFailuresAsDebug(
  inner: DiagLogger,
  level: DiagLogLevel,
): DiagLogger {
  const demote = (log: DiagLogFunction): DiagLogFunction => {
    return (message, ...args) => {
      if (!READER_EXPORT_FAILURE.test(message)) return log(message, ...args);
      if (level >= DiagLogLevel.DEBUG) inner.debug(message, ...args);
    };
  };
  return {
    error: demote(inner.error.bind(inner)),
    warn: demote(inner.warn.bind(inner)),
    info: inner.info.bind(inner),
    debug: inner.debug.bind(inner),
    verbose: inner.verbose.bind(inner),
  };
}

/** Installs the console logger at the level `OTEL_LOG_LEVEL` names. */
export function installDiagLogger(rawLevel: string | undefined): void {
  const raw = rawLevel?.trim();
  const level = raw ? LOG_LEVELS[raw.toUpperCase()] : DiagLogLevel.WARN;
  const console = withReaderFailuresAsDebug(
    new DiagConsoleLogger(),
    level ?? DiagLogLevel.WARN,
  );
  diag.setLogger(withoutRepeats(console), {
    logLevel: level ?? DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
  if (level === undefined) {
    diag.warn(
      `td-monitoring: OTEL_LOG_LEVEL=${JSON.stringify(raw)} is not one of ` +
        `${Object.keys(LOG_LEVELS).join(", ")}; using WARN`,
    );
  }
}

/**
 * Routes the SDK's global error handler (where a failed periodic export
 * ends up) to one line through the diagnostic logger: the error's message,
 * not the JSON-encoded stack trace the SDK's default handler writes. While
 * `expected()` is true the error is already accounted for (exports abandoned
 * at shutdown, warned about once) and goes to the debug level only.
 */
export function installErrorHandler(expected: () => boolean): void {
  setGlobalErrorHandler((error) => {
    const message = describeError(error);
    if (expected()) diag.debug(message);
    else diag.error(message);
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
