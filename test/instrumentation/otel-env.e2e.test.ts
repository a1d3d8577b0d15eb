/**
 * The standard OTEL_* variables change what a real app exports, not only
 * what the configuration reads: each row starts the Express fixture under
 * `node --require td-monitoring/register` with its variables and asserts on
 * the requests a real local endpoint receives (path, headers, encoding,
 * temporality, resource), or that none arrive at all.
 *
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 * @see https://opentelemetry.io/docs/specs/otel/metrics/sdk_exporters/otlp/
 */
import { describe, expect, it } from "vitest";
import { findMetric, type Instrument } from "../../src/metrics/catalog.js";
import {
  attributesOf,
  metricsOf,
  startCapture,
  type Capture,
} from "../helpers/otlp-capture.js";
import { get, startApp } from "./child-app.js";

const INTERVAL_MILLIS = 200;
// A row that must send nothing waits this long: ten export intervals.
const SILENCE_MILLIS = 10 * INTERVAL_MILLIS;
// Arrives last: the fixture records its app meters at startup, the request
// is made once the app listens.
const LAST_METRIC = "http.server.request.duration";

interface Row {
  readonly name: string;
  /** The row's variables; `endpoint` is the capture server's base URL. */
  readonly env: (endpoint: string) => Record<string, string>;
  /** Checks every request received; absent: none may arrive. */
  readonly check?: (captures: readonly Capture[]) => void;
  /** The stderr lines that name an OTEL_ variable (default none). */
  readonly warnings?: readonly string[];
}

const DELTA = 1;
const CUMULATIVE = 2;
type Preference = "cumulative" | "delta" | "lowmemory";

// The specification's table of what each preference makes delta; every
// other sum and histogram stays cumulative.
const DELTA_INSTRUMENTS: Record<Preference, ReadonlySet<Instrument>> = {
  cumulative: new Set(),
  delta: new Set(["counter", "observable_counter", "histogram"]),
  lowmemory: new Set(["counter", "histogram"]),
};

// The kinds the fixture records that carry a temporality (gauges have none).
const KINDS_WITH_TEMPORALITY: Instrument[] = [
  "counter",
  "histogram",
  "observable_counter",
  "observable_updowncounter",
  "updowncounter",
];

/** Every sum and histogram has the temporality its instrument gets under `preference`. */
function expectTemporality(
  captures: readonly Capture[],
  preference: Preference,
): void {
  const seen = new Set<Instrument>();
  for (const metric of captures.flatMap((c) => metricsOf(c.body))) {
    const data = metric.sum ?? metric.histogram;
    if (data === undefined) continue;
    const instrument = findMetric(metric.name)?.instrument;
    expect(instrument, `${metric.name} is in the catalog`).toBeDefined();
    seen.add(instrument!);
    const expected = DELTA_INSTRUMENTS[preference].has(instrument!)
      ? DELTA
      : CUMULATIVE;
    expect(
      data.aggregationTemporality,
      `temporality of ${metric.name} (${instrument}) under ${preference}`,
    ).toBe(expected);
  }
  expect([...seen].sort()).toEqual(KINDS_WITH_TEMPORALITY);
}

function expectOnEvery(
  captures: readonly Capture[],
  read: (capture: Capture) => unknown,
  expected: unknown,
): void {
  expect(new Set(captures.map(read))).toEqual(new Set([expected]));
}

const rows: Row[] = [
  {
    name: "nothing but the endpoint: protobuf, no compression, cumulative, /v1/metrics appended",
    env: (endpoint) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }),
    check: (captures) => {
      expectOnEvery(captures, (c) => c.path, "/v1/metrics");
      expectOnEvery(captures, (c) => c.contentType, "application/x-protobuf");
      expectOnEvery(captures, (c) => c.headers["content-encoding"], undefined);
      expectTemporality(captures, "cumulative");
    },
  },
  {
    name: "OTEL_EXPORTER_OTLP_HEADERS and _METRICS_HEADERS arrive as request headers, the metrics one winning",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS:
        "x-tenant=acme, X-Both=general, x-encoded=a%20b%3Dc",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-both=metrics,x-signal=only-here",
    }),
    check: (captures) => {
      // Repeated names would arrive joined ("general, metrics").
      expectOnEvery(
        captures,
        (c) =>
          JSON.stringify([
            c.headers["x-tenant"],
            c.headers["x-both"],
            c.headers["x-encoded"],
            c.headers["x-signal"],
          ]),
        JSON.stringify(["acme", "metrics", "a b=c", "only-here"]),
      );
    },
  },
  {
    // Sent, any of these made Node refuse the request: every export failed.
    name: "OTEL_EXPORTER_OTLP_HEADERS entries HTTP cannot carry are dropped with one warning, the rest sent",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS:
        "x-tenant=acme,bad name=1,x-line=a%0Ab,x-euro=%E2%82%AC",
    }),
    check: (captures) =>
      expectOnEvery(
        captures,
        (c) =>
          JSON.stringify([
            c.headers["x-tenant"],
            c.headers["x-line"],
            c.headers["x-euro"],
          ]),
        JSON.stringify(["acme", undefined, undefined]),
      ),
    warnings: [
      'td-monitoring: OTEL_EXPORTER_OTLP_HEADERS entries 2, 3, 4 are not "key=value" with a valid HTTP header name and value (values not shown: headers may hold secrets); using only x-tenant',
    ],
  },
  {
    name: "OTEL_EXPORTER_OTLP_COMPRESSION=gzip gzips every request",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
    }),
    // The capture gunzips by this header; a body that is not gzip fails there.
    check: (captures) =>
      expectOnEvery(captures, (c) => c.headers["content-encoding"], "gzip"),
  },
  {
    name: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION=none wins over the general gzip",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "none",
    }),
    check: (captures) =>
      expectOnEvery(captures, (c) => c.headers["content-encoding"], undefined),
  },
  {
    name: "temporality preference delta: counters, observable counters and histograms delta",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
    }),
    check: (captures) => expectTemporality(captures, "delta"),
  },
  {
    // Enum values are case-insensitive in the specification.
    name: "temporality preference LowMemory: only synchronous counters and histograms delta",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "LowMemory",
    }),
    check: (captures) => expectTemporality(captures, "lowmemory"),
  },
  {
    name: "OTEL_EXPORTER_OTLP_ENDPOINT with a path gets v1/metrics appended after it",
    env: (endpoint) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `${endpoint}/otlp/` }),
    check: (captures) =>
      expectOnEvery(captures, (c) => c.path, "/otlp/v1/metrics"),
  },
  {
    name: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is used as is, over the general one",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: `${endpoint}/general`,
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${endpoint}/custom/ingest`,
    }),
    check: (captures) =>
      expectOnEvery(captures, (c) => c.path, "/custom/ingest"),
  },
  {
    name: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT without a path posts to /",
    env: (endpoint) => ({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: endpoint }),
    check: (captures) => expectOnEvery(captures, (c) => c.path, "/"),
  },
  {
    name: "OTEL_EXPORTER_OTLP_PROTOCOL=http/json sends JSON",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    }),
    // The capture parses the body by this type; protobuf would not parse.
    check: (captures) =>
      expectOnEvery(captures, (c) => c.contentType, "application/json"),
  },
  {
    name: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/protobuf wins over the general http/json",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf",
    }),
    check: (captures) =>
      expectOnEvery(captures, (c) => c.contentType, "application/x-protobuf"),
  },
  {
    name: "OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME reach the resource, the service name winning",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_RESOURCE_ATTRIBUTES:
        "service.name=from-attributes,deployment.environment.name=staging,team=docs%20team",
      OTEL_SERVICE_NAME: "from-service-name",
    }),
    check: (captures) =>
      expectOnEvery(
        captures,
        (c) =>
          JSON.stringify(
            c.body.resourceMetrics.map((rm) => {
              const resource = attributesOf(rm.resource?.attributes);
              return [
                resource["service.name"],
                resource["deployment.environment.name"],
                resource.team,
              ];
            }),
          ),
        JSON.stringify([["from-service-name", "staging", "docs team"]]),
      ),
  },
  {
    name: "OTEL_SDK_DISABLED=true sends nothing",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SDK_DISABLED: "true",
    }),
  },
  {
    name: "OTEL_METRICS_EXPORTER=none sends nothing",
    env: (endpoint) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_METRICS_EXPORTER: "none",
    }),
  },
];

/** Waits until the metric has arrived in some request; returns them all. */
async function captureUntil(
  capture: Awaited<ReturnType<typeof startCapture>>,
  metric: string,
): Promise<Capture[]> {
  for (let count = 1; ; count++) {
    await capture.waitFor(count);
    const arrived = capture.captures.slice(0, count);
    if (arrived.some((c) => metricsOf(c.body).some((m) => m.name === metric)))
      return arrived;
  }
}

describe("standard OTEL_* variables in a real app's export", () => {
  it.concurrent.each(rows)("$name", async (row) => {
    const capture = await startCapture();
    const app = await startApp({
      loader: "--require",
      app: "express-app.cjs",
      env: {
        OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL_MILLIS),
        ...row.env(capture.endpoint),
      },
    }).catch(async (error: unknown) => {
      await capture.close();
      throw error;
    });
    try {
      expect(await get(app.port, "/items/1")).toBe(200);
      if (row.check === undefined) {
        await new Promise((resolve) => setTimeout(resolve, SILENCE_MILLIS));
        expect(capture.captures).toEqual([]);
        // Still serving after all those intervals.
        expect(await get(app.port, "/items/2")).toBe(200);
      } else {
        row.check(await captureUntil(capture, LAST_METRIC));
      }
      // A valid value costs no warning, a bad one exactly one.
      expect(
        app
          .stderr()
          .split("\n")
          .filter((line) => line.includes("OTEL_")),
      ).toEqual(row.warnings ?? []);
    } finally {
      await app.stop();
      await capture.close();
    }
  });
});
