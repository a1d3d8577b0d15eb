/**
 * The monitoring configuration, read once from the standard OpenTelemetry
 * environment and our own `TD_MONITORING_*` switches. A bad value never
 * throws: it costs one warning that names the variable and the value used
 * instead.
 *
 * @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
import { readFileSync } from "node:fs";
import { validateHeaderName, validateHeaderValue } from "node:http";

/** How the OTLP exporter encodes its requests. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/** Which aggregation temporality the OTLP exporter asks for. */
export type TemporalityPreference = "cumulative" | "delta" | "lowmemory";

/** Where metrics go; several may be chosen at once. */
export type MetricsExporterName = "otlp" | "prometheus" | "console";

/** The OTLP/HTTP exporter's settings. */
/** PEM files named by `OTEL_EXPORTER_OTLP_[METRICS_]CERTIFICATE`, `CLIENT_KEY`, `CLIENT_CERTIFICATE`. */
export interface OtlpTls {
  readonly ca?: Buffer;
  readonly key?: Buffer;
  readonly cert?: Buffer;
}

export interface OtlpConfig {
  /** The full metrics URL, e.g. `http://localhost:4318/v1/metrics`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly protocol: OtlpProtocol;
  readonly timeoutMillis: number;
  readonly compression: "gzip" | "none";
  readonly temporality: TemporalityPreference;
  /** PEM contents for an HTTPS collector with a private CA or client certificates. */
  readonly tls: OtlpTls;
}

/** Everything the register entry needs to start metrics. */
export interface MonitoringConfig {
  /** `OTEL_SDK_DISABLED=true`: start nothing at all. */
  readonly disabled: boolean;
  /** Empty when `OTEL_METRICS_EXPORTER=none`. */
  readonly exporters: readonly MetricsExporterName[];
  readonly otlp: OtlpConfig;
  readonly exportIntervalMillis: number;
  readonly exportTimeoutMillis: number;
  /** Where the Prometheus exporter listens (`OTEL_EXPORTER_PROMETHEUS_*`). */
  readonly prometheus: { readonly host: string; readonly port: number };
  /** `OTEL_SERVICE_NAME`, when set. */
  readonly serviceName?: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, parsed. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** `TD_MONITORING_PER_CPU=true`: one CPU series per logical CPU. */
  readonly perCpu: boolean;
  /** `TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS`: the bound on the last flush. */
  readonly shutdownTimeoutMillis: number;
}

/** Receives one message per bad value. */
export type ConfigWarning = (message: string) => void;

/** The environment, as `process.env` holds it. */
export type Environment = Readonly<Record<string, string | undefined>>;

const DEFAULT_ENDPOINT = "http://localhost:4318";
const METRICS_PATH = "v1/metrics";

/**
 * Reads the configuration from an environment, warning once per bad value.
 *
 * @example readMonitoringConfig(process.env, (m) => diag.warn(m))
 */
export function readMonitoringConfig(
  env: Environment,
  warn: ConfigWarning,
): MonitoringConfig {
  const read = new EnvReader(env, warn);
  const exportIntervalMillis = read.positiveInteger(
    "OTEL_METRIC_EXPORT_INTERVAL",
    60_000,
  );
  return {
    disabled: read.boolean("OTEL_SDK_DISABLED", false),
    exporters: readExporters(read),
    otlp: readOtlp(read),
    exportIntervalMillis,
    exportTimeoutMillis: readExportTimeout(read, exportIntervalMillis),
    prometheus: {
      host: read.string("OTEL_EXPORTER_PROMETHEUS_HOST") ?? "127.0.0.1",
      port: read.port("OTEL_EXPORTER_PROMETHEUS_PORT", 9464),
    },
    serviceName: read.string("OTEL_SERVICE_NAME"),
    resourceAttributes: read.resourceAttributes("OTEL_RESOURCE_ATTRIBUTES"),
    perCpu: read.boolean("TD_MONITORING_PER_CPU", false),
    shutdownTimeoutMillis: read.positiveInteger(
      "TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS",
      5_000,
    ),
  };
}

function readExporters(read: EnvReader): MetricsExporterName[] {
  const names = read.list("OTEL_METRICS_EXPORTER");
  if (names === undefined) return ["otlp"];
  if (names.length === 1 && names[0] === "none") return [];

  const known = new Set<string>(["otlp", "prometheus", "console"]);
  const chosen = [...new Set(names.filter((name) => known.has(name)))];
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length === 0) return chosen as MetricsExporterName[];

  const used = chosen.length > 0 ? chosen : ["otlp"];
  read.warnInvalid(
    "OTEL_METRICS_EXPORTER",
    `has unknown exporter(s) ${unknown.map((n) => `"${n}"`).join(", ")}` +
      ` (expected otlp, prometheus, console or none)`,
    used.join(","),
  );
  return used as MetricsExporterName[];
}

function readOtlp(read: EnvReader): OtlpConfig {
  return {
    url: readOtlpUrl(read),
    headers: {
      ...read.headers("OTEL_EXPORTER_OTLP_HEADERS"),
      ...read.headers("OTEL_EXPORTER_OTLP_METRICS_HEADERS"),
    },
    protocol: otlpSetting<OtlpConfig["protocol"]>(
      "PROTOCOL",
      (name, fallback) =>
        read.oneOf(name, ["http/protobuf", "http/json"] as const, fallback),
      "http/protobuf",
    ),
    timeoutMillis: otlpSetting(
      "TIMEOUT",
      (name, fallback) => read.positiveInteger(name, fallback),
      10_000,
    ),
    compression: otlpSetting<OtlpConfig["compression"]>(
      "COMPRESSION",
      (name, fallback) => read.oneOf(name, ["gzip", "none"] as const, fallback),
      "none",
    ),
    temporality: read.oneOf(
      "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
      ["cumulative", "delta", "lowmemory"] as const,
      "cumulative",
    ),
    tls: {
      ca: read.file(signalSpecific(read, "CERTIFICATE"), "the system's CAs"),
      key: read.file(signalSpecific(read, "CLIENT_KEY"), "no client key"),
      cert: read.file(
        signalSpecific(read, "CLIENT_CERTIFICATE"),
        "no client certificate",
      ),
    },
  };
}

/**
 * An OTLP setting read by `readOne` from `OTEL_EXPORTER_OTLP_METRICS_<suffix>`,
 * else `OTEL_EXPORTER_OTLP_<suffix>`, else `fallback`. The signal-specific
 * variable wins when set; one that is unset or invalid leaves the general one
 * in force (a bad `..._METRICS_TIMEOUT` next to `OTEL_EXPORTER_OTLP_TIMEOUT=5000`
 * means 5000, not the default). The general variable is read only when used,
 * so a bad one that the specific overrides costs no warning.
 */
function otlpSetting<T>(
  suffix: string,
  readOne: (name: string, fallback: Fallback<T>) => T,
  fallback: T,
): T {
  return readOne(`OTEL_EXPORTER_OTLP_METRICS_${suffix}`, () =>
    readOne(`OTEL_EXPORTER_OTLP_${suffix}`, fallback),
  );
}

// The signal-specific variable wins when set; the general one otherwise.
function signalSpecific(read: EnvReader, suffix: string): string {
  const specific = `OTEL_EXPORTER_OTLP_METRICS_${suffix}`;
  return read.string(specific) === undefined
    ? `OTEL_EXPORTER_OTLP_${suffix}`
    : specific;
}

// The signal-specific endpoint is used as is; the general one is a base URL
// that gets `v1/metrics` appended, as the OTLP exporter specification says.
function readOtlpUrl(read: EnvReader): string {
  const fromBase = () => {
    const base = read.url("OTEL_EXPORTER_OTLP_ENDPOINT", DEFAULT_ENDPOINT);
    return base.endsWith("/") ? base + METRICS_PATH : `${base}/${METRICS_PATH}`;
  };
  return read.url("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", fromBase);
}

function readExportTimeout(read: EnvReader, intervalMillis: number): number {
  const name = "OTEL_METRIC_EXPORT_TIMEOUT";
  const timeout = read.positiveInteger(name, 30_000);
  // The periodic reader refuses a timeout longer than its interval; only a
  // timeout the user chose is worth a warning when it is cut.
  if (timeout <= intervalMillis) return timeout;
  if (read.string(name) !== undefined) {
    read.warnInvalid(
      name,
      `is longer than OTEL_METRIC_EXPORT_INTERVAL (${intervalMillis})`,
      String(intervalMillis),
      timeout,
    );
  }
  return intervalMillis;
}

/**
 * What a setting falls back to: a value, or how to read it, for a fallback
 * that is itself another variable and should be read only when needed.
 */
type Fallback<T> = T | (() => T);

function valueOf<T>(fallback: Fallback<T>): T {
  return typeof fallback === "function" ? (fallback as () => T)() : fallback;
}

/** Reads typed values from an environment and warns about bad ones. */
class EnvReader {
  constructor(
    private readonly env: Environment,
    private readonly warn: ConfigWarning,
  ) {}

  /** The trimmed value, or undefined when unset or empty. */
  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  list(name: string): string[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    return value
      .split(",")
      .map((item) => item.trim().toLowerCase())
      .filter((item) => item !== "");
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === "true" || value === "false") return value === "true";
    this.warnInvalid(name, "is not true or false", String(fallback));
    return fallback;
  }

  positiveInteger(name: string, fallback: Fallback<number>): number {
    const value = this.string(name);
    if (value === undefined) return valueOf(fallback);
    const parsed = Number(value);
    if (Number.isInteger(parsed) && parsed > 0) return parsed;
    const used = valueOf(fallback);
    this.warnInvalid(
      name,
      "is not a positive whole number of milliseconds",
      String(used),
    );
    return used;
  }

  port(name: string, fallback: number): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (Number.isInteger(parsed) && parsed >= 0 && parsed < 65536) {
      return parsed;
    }
    this.warnInvalid(name, "is not a port number", String(fallback));
    return fallback;
  }

  oneOf<T extends string>(
    name: string,
    allowed: readonly T[],
    fallback: Fallback<T>,
  ): T {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return valueOf(fallback);
    const match = allowed.find((candidate) => candidate === value);
    if (match !== undefined) return match;
    const used = valueOf(fallback);
    this.warnInvalid(name, `is not one of ${allowed.join(", ")}`, used);
    return used;
  }

  /** An http(s) URL; the fallback (with a warning) when it is not one. */
  url(name: string, fallback: Fallback<string>): string {
    const value = this.string(name);
    if (value === undefined) return valueOf(fallback);
    try {
      const url = new URL(value);
      if (url.protocol === "http:" || url.protocol === "https:") return value;
    } catch {
      // Reported below, as for a URL of the wrong scheme.
    }
    const used = valueOf(fallback);
    this.warn(
      `td-monitoring: ${name}=${quote(redactUrl(value))} is not an http(s) URL; ` +
        `using ${redactUrl(used)}`,
    );
    return used;
  }

  /**
   * A `key=value,key=value` list, percent-decoded. Malformed entries, and
   * those HTTP cannot carry (a name that is not a token, a control character
   * or a character beyond Latin-1 in the value), are dropped: sent, they
   * would fail every export. The warning names them by position only, since
   * header values are often secrets.
   */
  headers(name: string): Record<string, string> {
    const value = this.string(name);
    if (value === undefined) return {};
    const headers: Record<string, string> = {};
    const bad: number[] = [];
    let notHttp = false;
    value.split(",").forEach((entry, index) => {
      const pair = parseHeader(entry);
      const sendable = pair !== undefined && httpCanCarry(...pair);
      notHttp ||= pair !== undefined && !sendable;
      if (sendable) headers[pair[0]] = pair[1];
      else bad.push(index + 1);
    });
    if (bad.length > 0) {
      const kept = Object.keys(headers);
      this.warn(
        `td-monitoring: ${name} entr${bad.length === 1 ? "y" : "ies"} ` +
          `${bad.join(", ")} ${bad.length === 1 ? "is" : "are"} not ` +
          `"key=value"${notHttp ? " with a valid HTTP header name and value" : ""} ` +
          `(values not shown: headers may hold secrets); using ` +
          (kept.length === 0 ? "no headers" : `only ${kept.join(", ")}`),
      );
    }
    return headers;
  }

  /** `OTEL_RESOURCE_ATTRIBUTES`: any malformed entry discards the whole list. */
  resourceAttributes(name: string): Record<string, string> {
    const value = this.string(name);
    if (value === undefined) return {};
    const attributes: Record<string, string> = {};
    for (const entry of value.split(",")) {
      const pair = parseHeader(entry);
      if (pair === undefined) {
        this.warnInvalid(
          name,
          `has a malformed entry ${quote(entry.trim())}`,
          "no attributes from it",
        );
        return {};
      }
      attributes[pair[0]] = pair[1];
    }
    return attributes;
  }

  /** The contents of the file the variable names; unreadable files are warned about. */
  file(name: string, usedInstead: string): Buffer | undefined {
    const path = this.string(name);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      this.warnInvalid(name, `cannot be read (${code})`, usedInstead);
      return undefined;
    }
  }

  warnInvalid(
    name: string,
    problem: string,
    used: string,
    shown: unknown = this.env[name],
  ): void {
    this.warn(
      `td-monitoring: ${name}=${quote(String(shown))} ${problem}; using ${used}`,
    );
  }
}

function parseHeader(entry: string): [string, string] | undefined {
  const at = entry.indexOf("=");
  if (at <= 0) return undefined;
  try {
    const key = decodeURIComponent(entry.slice(0, at).trim());
    const value = decodeURIComponent(entry.slice(at + 1).trim());
    return key === "" ? undefined : [key, value];
  } catch {
    return undefined;
  }
}

/** Whether Node's HTTP client accepts the header, as it checks on each request. */
function httpCanCarry(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** The URL without its user name and password, for log lines. */
export function redactUrl(value: string): string {
  return value.replace(/\/\/[^/@]*@/, "//***@");
}
