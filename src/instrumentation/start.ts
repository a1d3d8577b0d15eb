/**
 * Starting and stopping the metrics SDK: one MeterProvider with the catalog's
 * views, the configured readers, and the host, runtime and HTTP meters.
 */
import { diag } from "@opentelemetry/api";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { METER_NAME, METER_VERSION, buildViews } from "../metrics/views.js";
import type { MonitoringConfig } from "./config.js";
import { buildReaders } from "./exporters.js";
import { startHostMetrics } from "./host.js";
import { startHttpMetrics } from "./http.js";
import { buildResource } from "./resource.js";
import { startRuntimeMetrics } from "./runtime.js";
import { withTimeout } from "./shutdown.js";

/** Running metrics, as {@link startMonitoring} returns them. */
export interface MonitoringHandle {
  readonly meterProvider: MeterProvider;
  /**
   * True once shutdown gave up on exports still running at its bound (and
   * said so in one warning): their failures are expected from then on.
   */
  readonly exportsAbandoned: boolean;
  /** Exports what has been recorded so far on every push reader. */
  forceFlush(): Promise<void>;
  /**
   * Stops measuring, exports the last interval and closes the readers,
   * within the configured bound. Later calls return the first call's promise.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts metrics for a configuration (see `readMonitoringConfig`). The
 * provider is not made global here; the register entry does that.
 */
export function startMonitoring(config: MonitoringConfig): MonitoringHandle {
  const ignoredServers = new WeakSet<object>();
  const readers = buildReaders(config, ignoredServers);
  const meterProvider = new MeterProvider({
    resource: buildResource(config),
    readers: readers.readers,
    views: buildViews(),
  });
  const meter = meterProvider.getMeter(METER_NAME, METER_VERSION);
  startHostMetrics(meter, { perCpu: config.perCpu });
  const stopRuntime = startRuntimeMetrics(meter);
  const stopHttp = startHttpMetrics(meter, { ignoredServers });

  let stopping: Promise<void> | undefined;
  let abandoned = false;
  const stop = async (): Promise<void> => {
    stopHttp();
    stopRuntime();
    readers.beginFinalFlush();
    const timeoutMillis = config.shutdownTimeoutMillis;
    try {
      await withTimeout(
        meterProvider.shutdown({ timeoutMillis }),
        timeoutMillis,
      );
    } finally {
      // Failures of what is aborted here arrive later, and are expected.
      abandoned = readers.abortExports() > 0;
      if (abandoned) {
        diag.warn(
          `td-monitoring: the last export did not finish within ` +
            `${timeoutMillis} ms (TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS) ` +
            `and was abandoned; is the collector reachable?`,
        );
      }
      await readers.close();
    }
  };
  return {
    meterProvider,
    get exportsAbandoned() {
      return abandoned;
    },
    forceFlush: () => meterProvider.forceFlush(),
    shutdown: () => {
      stopping ??= stop().catch((error: unknown) => {
        diag.warn("td-monitoring: the last export failed", error);
      });
      return stopping;
    },
  };
}
