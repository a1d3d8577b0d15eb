/**
 * The receiving cases R1–R4 of the field cases, through a running receiver,
 * in OTLP/JSON and (where the case allows) protobuf.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Query } from "../../src/query/model.js";
import { R2_DOUBLES, r4HistogramPoints } from "../helpers/field-cases.js";
import { EmbeddedStore } from "../../src/store/embedded/query.js";
import type {
  HistogramSample,
  NumberSample,
} from "../../src/store/embedded/samples.js";
import {
  at,
  T,
  post,
  readAll,
  request,
  sampleCount,
  startHarness,
  values,
  type Encoding,
  type Harness,
} from "./harness.js";

const encodings: Encoding[] = ["json", "protobuf"];

/** The epoch milliseconds of `at(seconds)`. */
const millisAt = (seconds: number) => Number(T / 1_000_000n) + seconds * 1000;

/** A query of one metric over [from, to] seconds after T, ungrouped. */
function ask(
  metric: string,
  statistic: Query["statistic"],
  from: number,
  to: number,
): Query {
  return {
    metric,
    statistic,
    startMillis: millisAt(from),
    endMillis: millisAt(to),
    filters: [],
    groupBy: [],
  };
}

/** The single value a query answers, read through the embedded store. */
async function queryValue(harness: Harness, query: Query): Promise<number> {
  const result = await new EmbeddedStore(harness.db, "embedded:test").query(
    query,
  );
  expect(result.series).toHaveLength(1);
  return result.series[0]!.value;
}

describe.each(encodings)("receiving cases over %s", (encoding) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());
  beforeEach(() => {
    harness.db.deleteOlderThan(Infinity);
  });

  it("R1: int64 values and nanosecond times as strings stay exact", async () => {
    const sum = (point: Record<string, unknown>) =>
      request([
        {
          name: "r1.sum",
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: [point],
          },
        },
      ]);
    const answer = await post(
      harness.url,
      sum({ timeUnixNano: "1700000000123456789", asInt: "9007199254740993" }),
      { encoding },
    );

    expect(answer.status).toBe(200);
    const [series] = readAll(harness.db, "r1.sum");
    const sample = series!.samples[0] as NumberSample;
    expect(sample.exactValue).toBe(9007199254740993n);
    expect(sample.timeNanos).toBe(1700000000123456789n);
  });

  it("R4: flagged points store no sample; the histogram increase is 10 with no reset", async () => {
    const duration = "td.document.processing.duration";
    const payload = request([
      {
        name: "r4.gauge",
        gauge: { dataPoints: [{ timeUnixNano: at(1), asDouble: 5, flags: 1 }] },
      },
      {
        name: duration,
        unit: "s",
        histogram: {
          aggregationTemporality: 2,
          dataPoints: r4HistogramPoints(at),
        },
      },
      {
        name: "r4.sum",
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: [{ timeUnixNano: at(1), asInt: "3", flags: 3 }],
        },
      },
    ]);

    const answer = await post(harness.url, payload, { encoding });

    expect(answer.status).toBe(200);
    expect(answer.body).not.toHaveProperty("partialSuccess");
    expect(readAll(harness.db, "r4.gauge")).toEqual([]);
    expect(readAll(harness.db, "r4.sum")).toEqual([]);
    const [histogram] = readAll(harness.db, duration);
    const samples = histogram!.samples as HistogramSample[];
    expect(samples.map((s) => s.count)).toEqual([100, 110]);
    expect(samples[1]!.startTimeNanos).toBe(samples[0]!.startTimeNanos);
    // Over exactly the samples' span nothing is extrapolated: 110 − 100. Had
    // the flagged count 0 been kept, the drop would read as a reset: 110.
    const increase = ask(duration, { kind: "increase" }, 10, 30);
    expect(await queryValue(harness, increase)).toBe(10);
  });
});

describe("receiving cases only OTLP/JSON can express", () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());
  beforeEach(() => {
    harness.db.deleteOlderThan(Infinity);
  });

  it("R1: the same point with bare JSON numbers is accepted, still exact", async () => {
    const text = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"r1.bare","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"timeUnixNano":1700000000123456789,"asInt":9007199254740993}]}}]}]}]}`;

    const answer = await post(harness.url, Buffer.from(text));

    expect(answer.status).toBe(200);
    const sample = readAll(harness.db, "r1.bare")[0]!
      .samples[0] as NumberSample;
    expect(sample.exactValue).toBe(9007199254740993n);
    expect(sample.timeNanos).toBe(1700000000123456789n);
  });

  it('R2: NaN, Infinity, -Infinity and "1.5" are stored and read back by a query', async () => {
    const queue = "td.queue.length";
    const payload = request([
      {
        name: queue,
        gauge: {
          dataPoints: R2_DOUBLES.map((asDouble, i) => ({
            timeUnixNano: at(i + 1),
            asDouble,
          })),
        },
      },
    ]);

    const answer = await post(harness.url, payload);

    expect(answer.status).toBe(200);
    expect(values(readAll(harness.db, queue)[0])).toEqual([
      NaN,
      Infinity,
      -Infinity,
      1.5,
    ]);
    // `last` over the half second up to each point: the value as sent.
    const lasts = [1, 2, 3, 4].map((s) =>
      queryValue(harness, ask(queue, { kind: "last" }, s - 0.5, s)),
    );
    expect(await Promise.all(lasts)).toEqual([NaN, Infinity, -Infinity, 1.5]);
    // Over all four, max and min ignore the NaN as max_over_time does.
    expect(await queryValue(harness, ask(queue, { kind: "max" }, 1, 4))).toBe(
      Infinity,
    );
    expect(await queryValue(harness, ask(queue, { kind: "min" }, 1, 4))).toBe(
      -Infinity,
    );
    expect(await queryValue(harness, ask(queue, { kind: "count" }, 1, 4))).toBe(
      4,
    );
  });

  it('R2: "inf" is refused with a 400 that names it, and nothing is stored', async () => {
    const payload = request([
      {
        name: "r2.bad",
        gauge: {
          dataPoints: [
            { timeUnixNano: at(1), asDouble: 1 },
            { timeUnixNano: at(2), asDouble: "inf" },
          ],
        },
      },
    ]);

    const answer = await post(harness.url, payload);

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1].asDouble: "inf" is not a number; expected a JSON number or "NaN", "Infinity", "-Infinity"',
    );
    expect(sampleCount(harness.db)).toBe(0);
  });

  it("R3: scopeMetrics and the old instrumentationLibraryMetrics store the metric once; unknown keys ignored", async () => {
    const metric = {
      name: "r3.gauge",
      fooBar: 1,
      gauge: { dataPoints: [{ timeUnixNano: at(1), asDouble: 7, fooBar: 1 }] },
    };
    const payload = {
      resourceMetrics: [
        {
          fooBar: 1,
          scopeMetrics: [{ scope: { name: "new" }, metrics: [metric] }],
          instrumentationLibraryMetrics: [
            { instrumentationLibrary: { name: "old" }, metrics: [metric] },
          ],
        },
      ],
    };

    const answer = await post(harness.url, payload);

    expect(answer.status).toBe(200);
    const series = readAll(harness.db, "r3.gauge");
    expect(series).toHaveLength(1);
    expect(values(series[0])).toEqual([7]);
  });

  it("R3: a sender with only instrumentationLibraryMetrics is read too", async () => {
    const payload = {
      resourceMetrics: [
        {
          instrumentationLibraryMetrics: [
            {
              metrics: [
                {
                  name: "r3.old",
                  gauge: { dataPoints: [{ timeUnixNano: at(1), asInt: 4 }] },
                },
              ],
            },
          ],
        },
      ],
    };

    expect((await post(harness.url, payload)).status).toBe(200);
    expect(values(readAll(harness.db, "r3.old")[0])).toEqual([4]);
  });
});
