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
import { diag, metrics } from "@opentelemetry/api";
import { readMonitoringConfig } from "./instrumentation/config.js";
import {
  installDiagLogger,
  installErrorHandler,
} from "./instrumentation/logger.js";
import { installExitHooks } from "./instrumentation/shutdown.js";
import { startMonitoring } from "./instrumentation/start.js";

// Loaded twice (by --require and again by an import), start once.
const STARTED = Symbol.for("td-monitoring.register.started");

function register(): void {
  const global = globalThis as { [STARTED]?: boolean };
  if (global[STARTED] === true) return;
  global[STARTED] = true;

  installDiagLogger(process.env.OTEL_LOG_LEVEL);
  try {
    const config = readMonitoringConfig(process.env, (message) =>
      diag.warn(message),
    );
    if (config.disabled) return;
    const handle = startMonitoring(config);
    installErrorHandler(() => handle.exportsAbandoned);
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
