/**
 * The receiver over real HTTP: every data kind in both encodings, gzip or
 * not, each malformed case with its status and message, load shedding, and
 * the quiet answer to traces and logs.
 */
import http from "node:http";
import { gzipSync } from "node:zlib";
import { DatabaseSync } from "node:sqlite";
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type {
  HistogramSample,
  NumberSample,
} from "../../src/store/embedded/samples.js";
import { OtlpReceiver } from "../../src/receiver/server.js";
import {
  at,
  attributes,
  post,
  readAll,
  request,
  sampleCount,
  startHarness,
  values,
  type Encoding,
  type Harness,
} from "./harness.js";

const variants: Array<[Encoding, boolean]> = [
  ["json", false],
  ["json", true],
  ["protobuf", false],
  ["protobuf", true],
];

describe.each(variants)(
  "every data kind over %s (gzip %s)",
  (encoding, gzip) => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await startHarness();
    });
    afterAll(() => harness.stop());
    beforeEach(() => {
      harness.db.deleteOlderThan(Infinity);
    });

    const send = (payload: unknown) =>
      post(harness.url, payload, { encoding, gzip });

    it("stores gauges with resource and point attributes merged, point winning", async () => {
      const payload = request(
        [
          {
            name: "td.queue.length",
            unit: "{job}",
            gauge: {
              dataPoints: [
                {
                  timeUnixNano: at(1),
                  asInt: "3",
                  attributes: attributes({
                    "td.queue.name": "render",
                    host: "point",
                  }),
                },
              ],
            },
          },
        ],
        { "service.name": "svc", host: "resource" },
      );

      expect((await send(payload)).status).toBe(200);
      const [series] = readAll(harness.db, "td.queue.length");
      expect(series!.series).toMatchObject({
        kind: "gauge",
        unit: "{job}",
        temporality: "unspecified",
        monotonic: false,
        labels: {
          "service.name": "svc",
          host: "point",
          "td.queue.name": "render",
        },
      });
      expect(values(series)).toEqual([3]);
    });

    it("stores sums cumulative and delta, monotonic or not", async () => {
      const sum = (
        name: string,
        aggregationTemporality: number,
        isMonotonic: boolean,
      ) => ({
        name,
        sum: {
          aggregationTemporality,
          isMonotonic,
          dataPoints: [
            { startTimeUnixNano: at(0), timeUnixNano: at(1), asDouble: 2.5 },
          ],
        },
      });
      const payload = request([
        sum("cumulative.up", 2, true),
        sum("delta.up", 1, true),
        sum("cumulative.updown", 2, false),
      ]);

      expect((await send(payload)).status).toBe(200);
      const shape = (metric: string) => {
        const { temporality, monotonic } = readAll(harness.db, metric)[0]!
          .series;
        return { temporality, monotonic };
      };
      expect(shape("cumulative.up")).toEqual({
        temporality: "cumulative",
        monotonic: true,
      });
      expect(shape("delta.up")).toEqual({
        temporality: "delta",
        monotonic: true,
      });
      expect(shape("cumulative.updown")).toEqual({
        temporality: "cumulative",
        monotonic: false,
      });
    });

    it("keeps the start time a restarted process moves", async () => {
      const point = (start: number, time: number, value: string) => ({
        startTimeUnixNano: at(start),
        timeUnixNano: at(time),
        asInt: value,
      });
      const payload = request([
        {
          name: "restarts",
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: [
              point(0, 10, "5"),
              point(0, 20, "8"),
              point(15, 30, "2"),
            ],
          },
        },
      ]);

      expect((await send(payload)).status).toBe(200);
      const samples = readAll(harness.db, "restarts")[0]!
        .samples as NumberSample[];
      expect(samples.map((s) => s.value)).toEqual([5, 8, 2]);
      expect(samples.map((s) => s.startTimeNanos)).toEqual([
        BigInt(at(0)),
        BigInt(at(0)),
        BigInt(at(15)),
      ]);
    });

    it("stores explicit-bucket histograms with sum, min and max", async () => {
      const payload = request([
        {
          name: "http.server.request.duration",
          unit: "s",
          histogram: {
            aggregationTemporality: 2,
            dataPoints: [
              {
                startTimeUnixNano: at(0),
                timeUnixNano: at(1),
                count: "6",
                sum: 1.25,
                bucketCounts: ["1", "2", "3"],
                explicitBounds: [0.1, 0.5],
                min: 0.05,
                max: 0.9,
              },
            ],
          },
        },
      ]);

      expect((await send(payload)).status).toBe(200);
      const [series] = readAll(harness.db, "http.server.request.duration");
      expect(series!.series).toMatchObject({
        kind: "histogram",
        temporality: "cumulative",
        unit: "s",
      });
      expect(series!.samples[0]).toMatchObject({
        count: 6,
        sum: 1.25,
        bounds: [0.1, 0.5],
        bucketCounts: [1, 2, 3],
        min: 0.05,
        max: 0.9,
      });
    });

    it("keeps exponential histograms as explicit buckets", async () => {
      // Scale 0: base 2; positive buckets at offset 0 cover (1,2], (2,4].
      const payload = request([
        {
          name: "exp",
          exponentialHistogram: {
            aggregationTemporality: 1,
            dataPoints: [
              {
                timeUnixNano: at(1),
                count: "7",
                sum: 12,
                scale: 0,
                zeroCount: "1",
                positive: { offset: 0, bucketCounts: ["2", "3"] },
                negative: { offset: 1, bucketCounts: ["1"] },
              },
            ],
          },
        },
      ]);

      expect((await send(payload)).status).toBe(200);
      const [series] = readAll(harness.db, "exp");
      expect(series!.series).toMatchObject({
        kind: "exponential_histogram",
        temporality: "delta",
      });
      const sample = series!.samples[0] as HistogramSample;
      // (-inf,-2] 1 | (-2,0] 1 zero | (0,2] 2 | (2,4] 3 | +Inf 0
      expect(sample.bounds).toEqual([-2, 0, 2, 4]);
      expect(sample.bucketCounts).toEqual([1, 1, 2, 3, 0]);
      expect(sample.count).toBe(7);
    });

    it("refuses summaries and bad points per point, with the reason, storing the rest", async () => {
      const payload = request([
        {
          name: "legacy.summary",
          summary: {
            dataPoints: [{ timeUnixNano: at(1), count: "1", sum: 2 }],
          },
        },
        {
          name: "mixed",
          gauge: {
            dataPoints: [
              { timeUnixNano: at(1), asDouble: 1 },
              { timeUnixNano: "0", asDouble: 2 },
              { timeUnixNano: at(3) },
            ],
          },
        },
      ]);

      const answer = await send(payload);

      expect(answer.status).toBe(200);
      expect(answer.body.partialSuccess).toEqual({
        rejectedDataPoints: "3",
        errorMessage:
          'resourceMetrics[0].scopeMetrics[0].metrics[0].summary.dataPoints[0] (metric "legacy.summary"): summary points are not stored; export this metric as a histogram; ' +
          'resourceMetrics[0].scopeMetrics[0].metrics[1].gauge.dataPoints[1] (metric "mixed"): timeUnixNano is missing or 0; ' +
          'resourceMetrics[0].scopeMetrics[0].metrics[1].gauge.dataPoints[2] (metric "mixed"): has neither asDouble nor asInt',
      });
      expect(values(readAll(harness.db, "mixed")[0])).toEqual([1]);
      expect(readAll(harness.db, "legacy.summary")).toEqual([]);
    });

    it("refuses a histogram whose buckets do not match its bounds", async () => {
      const payload = request([
        {
          name: "bad.histogram",
          histogram: {
            aggregationTemporality: 2,
            dataPoints: [
              {
                timeUnixNano: at(1),
                count: "3",
                bucketCounts: ["1", "2"],
                explicitBounds: [1, 2],
              },
            ],
          },
        },
      ]);

      const answer = await send(payload);

      expect(answer.body.partialSuccess).toMatchObject({
        rejectedDataPoints: "1",
      });
      expect(
        String(
          (answer.body.partialSuccess as { errorMessage: string }).errorMessage,
        ),
      ).toContain("has 2 bucketCounts for 2 explicitBounds; expected 3");
      expect(sampleCount(harness.db)).toBe(0);
    });

    it("answers traces and logs with success, storing nothing", async () => {
      for (const path of ["/v1/traces", "/v1/logs"]) {
        const answer = await post(harness.url, request([]), {
          encoding,
          gzip,
          path,
        });
        expect(answer.status).toBe(200);
      }
      expect(sampleCount(harness.db)).toBe(0);
    });
  },
);

describe("malformed requests", () => {
  let harness: Harness;
  const gauge = request([
    {
      name: "g",
      gauge: { dataPoints: [{ timeUnixNano: at(1), asDouble: 1 }] },
    },
  ]);

  beforeAll(async () => {
    harness = await startHarness({ maxRequestBytes: 4096 });
    await post(harness.url, gauge);
  });
  afterAll(() => harness.stop());

  const cases: Array<{
    name: string;
    send: () => Promise<Awaited<ReturnType<typeof post>>>;
    status: number;
    message: RegExp;
  }> = [
    {
      name: "JSON that does not parse",
      send: () => post(harness.url, Buffer.from("{not json")),
      status: 400,
      message: /^request body is not valid JSON: /,
    },
    {
      name: "protobuf that does not decode",
      send: () =>
        post(harness.url, Buffer.from([0x0a, 0xff, 0xff, 0x01]), {
          encoding: "protobuf",
        }),
      status: 400,
      message: /^request body is not a protobuf ExportMetricsServiceRequest: /,
    },
    {
      name: "a field of the wrong type",
      send: () => post(harness.url, Buffer.from('{"resourceMetrics":5}')),
      status: 400,
      message: /^resourceMetrics: expected an array, got 5$/,
    },
    {
      name: "an int64 that is not an integer",
      send: () =>
        post(
          harness.url,
          request([
            {
              name: "x",
              gauge: { dataPoints: [{ timeUnixNano: "12.5", asInt: 1 }] },
            },
          ]),
        ),
      status: 400,
      message:
        /dataPoints\[0\]\.timeUnixNano: "12\.5" is not an unsigned 64-bit integer$/,
    },
    {
      name: "gzip that is not gzip",
      send: () =>
        post(harness.url, Buffer.from("plain"), {
          headers: { "Content-Encoding": "gzip" },
        }),
      status: 400,
      message: /^request body is not valid gzip data: /,
    },
    {
      name: "a body over the size limit",
      send: () => post(harness.url, Buffer.alloc(5000, 0x20)),
      status: 413,
      message:
        /^request body is larger than 4096 bytes; export smaller batches$/,
    },
    {
      name: "a body over the size limit after gunzip",
      send: () =>
        post(harness.url, gzipSync(Buffer.alloc(100_000, 0x20)), {
          headers: { "Content-Encoding": "gzip" },
        }),
      status: 413,
      message: /^request body is larger than 4096 bytes after decompression; /,
    },
    {
      name: "another content type",
      send: () =>
        post(harness.url, Buffer.from("x"), { contentType: "text/plain" }),
      status: 415,
      message:
        /^content type "text\/plain" is not OTLP; send application\/x-protobuf or application\/json$/,
    },
    {
      name: "another content encoding",
      send: () =>
        post(harness.url, Buffer.from("x"), {
          headers: { "Content-Encoding": "br" },
        }),
      status: 415,
      message: /^content encoding "br" is not supported/,
    },
    {
      name: "an unknown path",
      send: () => post(harness.url, gauge, { path: "/v1/metricz" }),
      status: 404,
      message:
        /^no OTLP endpoint at \/v1\/metricz; send metrics to \/v1\/metrics$/,
    },
  ];

  it.each(cases)(
    "$name: $status, store unchanged",
    async ({ send, status, message }) => {
      const answer = await send();

      expect(answer.status).toBe(status);
      expect(String(answer.body.message)).toMatch(message);
      expect(sampleCount(harness.db)).toBe(1);
    },
  );

  it("answers protobuf requests with a protobuf Status", async () => {
    const answer = await post(harness.url, Buffer.from([0x0a, 0xff]), {
      encoding: "protobuf",
    });

    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toBe("application/x-protobuf");
    expect(answer.body).toMatchObject({ code: 3 });
    expect(String(answer.body.message)).toMatch(
      /^request body is not a protobuf/,
    );
  });

  it("answers GET with 405 and Allow: POST", async () => {
    const response = await fetch(harness.url);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    await response.arrayBuffer();
  });
});

describe("load shedding", () => {
  it("answers 503 with Retry-After while the in-flight limit is reached, then accepts again", async () => {
    const harness = await startHarness({
      maxInFlightRequests: 1,
      retryAfterSeconds: 7,
    });
    try {
      const body = Buffer.from(
        JSON.stringify(
          request([
            {
              name: "g",
              gauge: { dataPoints: [{ timeUnixNano: at(1), asDouble: 1 }] },
            },
          ]),
        ),
      );
      const slow = startSlowRequest(harness.url, body);
      await slow.headersSent;
      // The slow request holds the only slot until its body completes.
      await waitUntil(
        async () => (await post(harness.url, Buffer.from("{}"))).status === 503,
      );

      const refused = await post(harness.url, Buffer.from("{}"));
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("7");
      expect(String(refused.body.message)).toMatch(
        /^too many requests in flight \(1\); retry later$/,
      );

      expect(await slow.finish()).toBe(200);
      expect((await post(harness.url, Buffer.from("{}"))).status).toBe(200);
      expect(sampleCount(harness.db)).toBe(1);
    } finally {
      await harness.stop();
    }
  });

  it("answers 503 with Retry-After while another connection holds the write lock", async () => {
    const harness = await startHarness();
    harness.db.close();
    const { EmbeddedDatabase } =
      await import("../../src/store/embedded/database.js");
    const db = EmbeddedDatabase.open(harness.dataDir, {
      busyTimeoutMillis: 50,
    });
    const receiver = new OtlpReceiver(db, { port: 0, retryAfterSeconds: 2 });
    const { url } = await receiver.listen();
    const locker = new DatabaseSync(db.path);
    try {
      locker.exec("BEGIN IMMEDIATE");
      const payload = request([
        {
          name: "g",
          gauge: { dataPoints: [{ timeUnixNano: at(1), asDouble: 1 }] },
        },
      ]);

      const busy = await post(url, payload);
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("2");
      expect(String(busy.body.message)).toMatch(
        /^cannot store the points now \(database is locked\); retry later$/,
      );

      locker.exec("ROLLBACK");
      expect((await post(url, payload)).status).toBe(200);
    } finally {
      locker.close();
      await receiver.close();
      db.close();
      await harness.stop();
    }
  });
});

describe("logging", () => {
  it("logs one summary line per interval, not one per request", async () => {
    const lines: string[] = [];
    const logger = collectingLogger(lines);
    diag.setLogger(logger, {
      logLevel: DiagLogLevel.INFO,
      suppressOverrideMessage: true,
    });
    const harness = await startHarness({ logIntervalMillis: 60_000 });
    try {
      const payload = request([
        {
          name: "g",
          gauge: { dataPoints: [{ timeUnixNano: at(1), asDouble: 1 }] },
        },
      ]);
      await post(harness.url, payload);
      await post(harness.url, payload, { encoding: "protobuf" });
      await post(harness.url, Buffer.from("{"));
      await post(harness.url, payload, { path: "/v1/traces" });
      expect(lines.filter((line) => line.startsWith("info"))).toEqual([]);
    } finally {
      await harness.stop();
      diag.disable();
    }

    const info = lines.filter((line) => line.startsWith("info"));
    expect(info).toHaveLength(1);
    expect(info[0]).toMatch(
      /^info collector: 2 metric requests \(\d\.\d KiB\): 2 points stored, 0 rejected, 0 without value; refused 1 request \(400×1\); 1 trace\/log request ignored$/,
    );
    expect(lines.filter((line) => line.startsWith("warn"))).toEqual([
      expect.stringMatching(
        /^warn collector: refused a request \(400\): request body is not valid JSON: .*\(reported once\)$/,
      ),
    ]);
  });
});

function collectingLogger(lines: string[]): DiagLogger {
  const at = (level: string) => (message: string) =>
    void lines.push(`${level} ${message}`);
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    verbose: at("verbose"),
  };
}

/** A POST whose body arrives only when asked, holding an in-flight slot. */
function startSlowRequest(url: string, body: Buffer) {
  const target = new URL(url);
  let sent!: () => void;
  const headersSent = new Promise<void>((resolve) => (sent = resolve));
  const client = http.request({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Content-Length": body.length,
    },
  });
  const status = new Promise<number>((resolve, reject) => {
    client.on("response", (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    client.on("error", reject);
  });
  client.write(body.subarray(0, 1), () => sent());
  return {
    headersSent,
    finish(): Promise<number> {
      client.end(body.subarray(1));
      return status;
    },
  };
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not met within 1 s");
}
