/**
 * `td-monitoring/register`: starts metrics before the app's first line.
 *
 * ```sh
 * node --require td-monitoring/register app.js    # CommonJS
 * node --import td-monitoring/register app.mjs    # ES modules
 * ```
 *
 * Configured by the standard `OTEL_*` variables and `TD_MONITORING_*`
 * switches (see docs/instrumentation.md). Nothing here throws into the app:
 * a failure to start costs one log line and the app runs unmeasured.
 *
 * This module must stay free of top-level await, so that `--require` can
 * load it through require(esm).
 */
import {
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  metrics,
} from "@opentelemetry/api";
import { readMonitoringConfig } from "./instrumentation/config.js";
import { installExitHooks } from "./instrumentation/shutdown.js";
import { startMonitoring } from "./instrumentation/start.js";

// Loaded twice (by --require and again by an import), start once.
const STARTED = Symbol.for("td-monitoring.register.started");

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

function installLogger(): void {
  const raw = process.env.OTEL_LOG_LEVEL?.trim();
  const level = raw ? LOG_LEVELS[raw.toUpperCase()] : DiagLogLevel.WARN;
  diag.setLogger(new DiagConsoleLogger(), {
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

function register(): void {
  const global = globalThis as { [STARTED]?: boolean };
  if (global[STARTED] === true) return;
  global[STARTED] = true;

  installLogger();
  try {
    const config = readMonitoringConfig(process.env, (message) =>
      diag.warn(message),
    );
    if (config.disabled) return;
    const handle = startMonitoring(config);
    metrics.setGlobalMeterProvider(handle.meterProvider);
    installExitHooks(handle.shutdown, config.shutdownTimeoutMillis);
  } catch (error) {
    diag.error(
      "td-monitoring: metrics did not start; the app runs without them",
      error,
    );
  }
}

register();
