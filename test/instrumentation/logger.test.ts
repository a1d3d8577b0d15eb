import { DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { withReaderFailuresAsDebug } from "../../src/instrumentation/logger.js";

function recording(): { logger: DiagLogger; lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push(`${level} ${message}`);
    };
  return {
    lines,
    logger: {
      error: at("error"),
      warn: at("warn"),
      info: at("info"),
      debug: at("debug"),
      verbose: at("verbose"),
    },
  };
}

const FAILED =
  "PeriodicExportingMetricReader: metrics export failed (error Error: connect ECONNREFUSED 127.0.0.1:4318)";
const TIMED_OUT =
  "PeriodicExportingMetricReader: metrics export timed out after 2000ms";
const OTHER = "PeriodicExportingMetricReader: metrics collection errors";

describe("withReaderFailuresAsDebug", () => {
  it("drops the reader's export failure lines at WARN, keeping every other line", () => {
    const { logger, lines } = recording();
    const log = withReaderFailuresAsDebug(logger, DiagLogLevel.WARN);
    log.error(FAILED);
    log.error(TIMED_OUT);
    log.error(OTHER);
    log.warn("td-monitoring: metrics export to … failed: connection refused");
    expect(lines).toEqual([
      `error ${OTHER}`,
      "warn td-monitoring: metrics export to … failed: connection refused",
    ]);
  });

  it("logs them as debug lines at DEBUG", () => {
    const { logger, lines } = recording();
    const log = withReaderFailuresAsDebug(logger, DiagLogLevel.DEBUG);
    log.error(FAILED);
    log.error(TIMED_OUT);
    expect(lines).toEqual([`debug ${FAILED}`, `debug ${TIMED_OUT}`]);
  });
});
