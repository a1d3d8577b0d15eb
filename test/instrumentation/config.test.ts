/**
 * Reading the OpenTelemetry environment: defaults, the values the
 * specification allows, and one clear warning per bad value.
 */
import { describe, expect, it } from "vitest";
import {
  readMonitoringConfig,
  type Environment,
} from "../../src/instrumentation/config.js";
import { startApp } from "./child-app.js";

function read(env: Environment) {
  const warnings: string[] = [];
  const config = readMonitoringConfig(env, (message) => warnings.push(message));
  return { config, warnings };
}

describe("readMonitoringConfig", () => {
  it("exports over OTLP/HTTP protobuf to localhost:4318 when nothing is set", () => {
    const { config, warnings } = read({});
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      disabled: false,
      exporters: ["otlp"],
      otlp: {
        url: "http://localhost:4318/v1/metrics",
        protocol: "http/protobuf",
        headers: {},
        timeoutMillis: 10_000,
        compression: "none",
        temporality: "cumulative",
      },
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 30_000,
      perCpu: false,
      shutdownTimeoutMillis: 5_000,
      resourceAttributes: {},
    });
  });

  it("honours the specification's variables", () => {
    const { config, warnings } = read({
      OTEL_SDK_DISABLED: "TRUE",
      OTEL_SERVICE_NAME: "td-generator",
      OTEL_RESOURCE_ATTRIBUTES:
        "deployment.environment.name=prod,team=docs%20team",
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318/base/",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=secret,x-a=1",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-a=2",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "gzip",
      OTEL_METRIC_EXPORT_INTERVAL: "15000",
      OTEL_METRIC_EXPORT_TIMEOUT: "5000",
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "Delta",
      OTEL_METRICS_EXPORTER: "otlp, prometheus",
      TD_MONITORING_PER_CPU: "true",
      TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS: "2500",
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      disabled: true,
      serviceName: "td-generator",
      resourceAttributes: {
        "deployment.environment.name": "prod",
        team: "docs team",
      },
      exporters: ["otlp", "prometheus"],
      otlp: {
        url: "https://collector.example:4318/base/v1/metrics",
        headers: { "api-key": "secret", "x-a": "2" },
        protocol: "http/json",
        timeoutMillis: 2000,
        compression: "gzip",
        temporality: "delta",
      },
      exportIntervalMillis: 15_000,
      exportTimeoutMillis: 5_000,
      perCpu: true,
      shutdownTimeoutMillis: 2_500,
    });
  });

  it("uses the metrics endpoint as given, and the signal-specific protocol over the general one", () => {
    const { config } = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://127.0.0.1:9999/custom",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf",
    });
    expect(config.otlp.url).toBe("http://127.0.0.1:9999/custom");
    expect(config.otlp.protocol).toBe("http/protobuf");
  });

  it("exports nothing for OTEL_METRICS_EXPORTER=none", () => {
    expect(read({ OTEL_METRICS_EXPORTER: "none" }).config.exporters).toEqual(
      [],
    );
  });

  it("cuts an export timeout longer than the interval to the interval", () => {
    const quiet = read({ OTEL_METRIC_EXPORT_INTERVAL: "500" });
    expect(quiet.config.exportTimeoutMillis).toBe(500);
    expect(quiet.warnings).toEqual([]);
    const chosen = read({
      OTEL_METRIC_EXPORT_INTERVAL: "500",
      OTEL_METRIC_EXPORT_TIMEOUT: "800",
    });
    expect(chosen.config.exportTimeoutMillis).toBe(500);
    expect(chosen.warnings).toEqual([
      'td-monitoring: OTEL_METRIC_EXPORT_TIMEOUT="800" is longer than OTEL_METRIC_EXPORT_INTERVAL (500); using 500',
    ]);
  });
});

// Each bad value: the one warning it gives and the value used instead.
const BAD_VALUES: Array<
  [
    Environment,
    string,
    (config: ReturnType<typeof readMonitoringConfig>) => unknown,
    unknown,
  ]
> = [
  [
    { OTEL_METRIC_EXPORT_INTERVAL: "abc" },
    'td-monitoring: OTEL_METRIC_EXPORT_INTERVAL="abc" is not a positive whole number of milliseconds; using 60000',
    (c) => c.exportIntervalMillis,
    60_000,
  ],
  [
    { OTEL_METRIC_EXPORT_TIMEOUT: "-5" },
    'td-monitoring: OTEL_METRIC_EXPORT_TIMEOUT="-5" is not a positive whole number of milliseconds; using 30000',
    (c) => c.exportTimeoutMillis,
    30_000,
  ],
  [
    { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
    'td-monitoring: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not one of http/protobuf, http/json; using http/protobuf',
    (c) => c.otlp.protocol,
    "http/protobuf",
  ],
  [
    { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "thrift" },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="thrift" is not one of http/protobuf, http/json; using http/protobuf',
    (c) => c.otlp.protocol,
    "http/protobuf",
  ],
  // A bad signal-specific value leaves the general variable in force.
  [
    {
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "thrift",
    },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="thrift" is not one of http/protobuf, http/json; using http/json',
    (c) => c.otlp.protocol,
    "http/json",
  ],
  [
    { OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "abc" },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_TIMEOUT="abc" is not a positive whole number of milliseconds; using 10000',
    (c) => c.otlp.timeoutMillis,
    10_000,
  ],
  [
    {
      OTEL_EXPORTER_OTLP_TIMEOUT: "5000",
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "0",
    },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_TIMEOUT="0" is not a positive whole number of milliseconds; using 5000',
    (c) => c.otlp.timeoutMillis,
    5000,
  ],
  [
    {
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "zstd",
    },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_COMPRESSION="zstd" is not one of gzip, none; using gzip',
    (c) => c.otlp.compression,
    "gzip",
  ],
  [
    {
      OTEL_EXPORTER_OTLP_HEADERS: "a=1,b=2",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "a=3,junk",
    },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_HEADERS entry 2 is not "key=value" (values not shown: headers may hold secrets); using only a',
    (c) => c.otlp.headers,
    { a: "3", b: "2" },
  ],
  [
    { OTEL_EXPORTER_OTLP_HEADERS: "api-key=s3cret,Bearer s3cret,x-b=2" },
    'td-monitoring: OTEL_EXPORTER_OTLP_HEADERS entry 2 is not "key=value" (values not shown: headers may hold secrets); using only api-key, x-b',
    (c) => c.otlp.headers,
    { "api-key": "s3cret", "x-b": "2" },
  ],
  [
    { OTEL_EXPORTER_OTLP_TIMEOUT: "10s" },
    'td-monitoring: OTEL_EXPORTER_OTLP_TIMEOUT="10s" is not a positive whole number of milliseconds; using 10000',
    (c) => c.otlp.timeoutMillis,
    10_000,
  ],
  [
    { OTEL_EXPORTER_OTLP_COMPRESSION: "brotli" },
    'td-monitoring: OTEL_EXPORTER_OTLP_COMPRESSION="brotli" is not one of gzip, none; using none',
    (c) => c.otlp.compression,
    "none",
  ],
  [
    { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "sometimes" },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="sometimes" is not one of cumulative, delta, lowmemory; using cumulative',
    (c) => c.otlp.temporality,
    "cumulative",
  ],
  [
    { OTEL_METRICS_EXPORTER: "otlp,zipkin" },
    'td-monitoring: OTEL_METRICS_EXPORTER="otlp,zipkin" has unknown exporter(s) "zipkin" (expected otlp, prometheus, console or none); using otlp',
    (c) => c.exporters,
    ["otlp"],
  ],
  [
    { OTEL_METRICS_EXPORTER: "jaeger" },
    'td-monitoring: OTEL_METRICS_EXPORTER="jaeger" has unknown exporter(s) "jaeger" (expected otlp, prometheus, console or none); using otlp',
    (c) => c.exporters,
    ["otlp"],
  ],
  [
    { OTEL_SDK_DISABLED: "yes" },
    'td-monitoring: OTEL_SDK_DISABLED="yes" is not true or false; using false',
    (c) => c.disabled,
    false,
  ],
  [
    { OTEL_EXPORTER_OTLP_ENDPOINT: "https://user:pw@[bad" },
    'td-monitoring: OTEL_EXPORTER_OTLP_ENDPOINT="https://***@[bad" is not an http(s) URL; using http://localhost:4318',
    (c) => c.otlp.url,
    "http://localhost:4318/v1/metrics",
  ],
  [
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "not-a-url",
    },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="not-a-url" is not an http(s) URL; using http://collector:4318/v1/metrics',
    (c) => c.otlp.url,
    "http://collector:4318/v1/metrics",
  ],
  [
    { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "ftp://collector/v1/metrics" },
    'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="ftp://collector/v1/metrics" is not an http(s) URL; using http://localhost:4318/v1/metrics',
    (c) => c.otlp.url,
    "http://localhost:4318/v1/metrics",
  ],
  [
    { OTEL_RESOURCE_ATTRIBUTES: "team=docs,broken" },
    'td-monitoring: OTEL_RESOURCE_ATTRIBUTES="team=docs,broken" has a malformed entry "broken"; using no attributes from it',
    (c) => c.resourceAttributes,
    {},
  ],
  [
    { TD_MONITORING_PER_CPU: "1" },
    'td-monitoring: TD_MONITORING_PER_CPU="1" is not true or false; using false',
    (c) => c.perCpu,
    false,
  ],
  [
    { TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS: "0" },
    'td-monitoring: TD_MONITORING_SHUTDOWN_TIMEOUT_MILLIS="0" is not a positive whole number of milliseconds; using 5000',
    (c) => c.shutdownTimeoutMillis,
    5_000,
  ],
  [
    { OTEL_EXPORTER_PROMETHEUS_PORT: "99999" },
    'td-monitoring: OTEL_EXPORTER_PROMETHEUS_PORT="99999" is not a port number; using 9464',
    (c) => c.prometheus.port,
    9464,
  ],
];

describe.each(BAD_VALUES)("a bad value: %o", (env, warning, pick, used) => {
  it("gives one warning naming the variable and the value used instead", () => {
    const { config, warnings } = read(env);
    expect(warnings).toEqual([warning]);
    expect(pick(config)).toEqual(used);
  });
});

describe("a signal-specific OTLP variable next to the general one", () => {
  it("is used alone when good: the bad general value it overrides costs no warning", () => {
    const { config, warnings } = read({
      OTEL_EXPORTER_OTLP_COMPRESSION: "brotli",
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "gzip",
    });
    expect(warnings).toEqual([]);
    expect(config.otlp.compression).toBe("gzip");
  });

  it("falls back past a bad general value to the default when both are bad, warning about each", () => {
    const { config, warnings } = read({
      OTEL_EXPORTER_OTLP_TIMEOUT: "soon",
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "later",
    });
    expect(warnings).toEqual([
      'td-monitoring: OTEL_EXPORTER_OTLP_TIMEOUT="soon" is not a positive whole number of milliseconds; using 10000',
      'td-monitoring: OTEL_EXPORTER_OTLP_METRICS_TIMEOUT="later" is not a positive whole number of milliseconds; using 10000',
    ]);
    expect(config.otlp.timeoutMillis).toBe(10_000);
  });
});

describe("bad values in a real app", () => {
  it("are each warned about exactly once on stderr, and the app still runs", async () => {
    const app = await startApp({
      loader: "--require",
      app: "http-server.cjs",
      env: {
        OTEL_METRICS_EXPORTER: "none",
        OTEL_METRIC_EXPORT_INTERVAL: "abc",
        OTEL_EXPORTER_OTLP_TIMEOUT: "abc",
        OTEL_EXPORTER_OTLP_COMPRESSION: "brotli",
        OTEL_EXPORTER_OTLP_HEADERS: "novalue",
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "sometimes",
        OTEL_LOG_LEVEL: "chatty",
      },
    });
    try {
      const stderr = app.stderr();
      for (const variable of [
        "OTEL_METRIC_EXPORT_INTERVAL",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "OTEL_LOG_LEVEL",
      ]) {
        expect(
          stderr.split(variable).length - 1,
          `${variable} in:\n${stderr}`,
        ).toBe(1);
      }
      const response = await fetch(`http://127.0.0.1:${app.port}/`);
      expect(response.status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it("with the OTLP exporter, the exporter's own reading of them adds no second warning", async () => {
    const app = await startApp({
      loader: "--require",
      app: "http-server.cjs",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
        OTEL_EXPORTER_OTLP_TIMEOUT: "abc",
        OTEL_EXPORTER_OTLP_COMPRESSION: "brotli",
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "sometimes",
      },
    });
    try {
      const stderr = app.stderr();
      for (const variable of [
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
      ]) {
        expect(
          stderr.split(variable).length - 1,
          `${variable} in:\n${stderr}`,
        ).toBe(1);
      }
    } finally {
      await app.stop();
    }
  });
});
