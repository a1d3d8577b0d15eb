/**
 * The receiving cases R2 and R4 of the field cases: R4's points, shared with
 * the receiver's own test, and both as one OTLP/JSON export for otelcol, and the questions that read them back: the pipeline test sends
 * it through the collector into Prometheus (remote write) and td-monitor's
 * embedded store (OTLP), and both stores must answer alike.
 *
 * R1 and R3 stay with the receiver's own tests: Prometheus keeps float64
 * values (2^53 + 1 cannot survive it) and milliseconds, and the old
 * `instrumentationLibraryMetrics` key is otelcol's decoding, not ours.
 */
import type { AttributeFilter, Query } from "../../src/query/model.js";

/** Values no other series of the run carries, to keep the cases apart. */
const R2_QUEUE = "field-case-r2";
const R4_TYPE = "field-case-r4";

/** R2's doubles, one a second from the export's base time. */
export const R2_DOUBLES = ["NaN", "Infinity", "-Infinity", "1.5"] as const;

/**
 * R4's cumulative histogram points, OTLP/JSON: count 100 at 10 s, a point
 * flagged no-recorded-value with count 0 at 20 s, count 110 at 30 s. `at`
 * gives the time of a second as OTLP/JSON nanoseconds.
 */
export function r4HistogramPoints(
  at: (seconds: number) => string,
  attributes: unknown[] = [],
): unknown[] {
  const point = (seconds: number, count: number, flags = 0) => ({
    attributes,
    startTimeUnixNano: at(0),
    timeUnixNano: at(seconds),
    count: String(count),
    sum: count,
    bucketCounts: flags ? [] : ["0", String(count)],
    explicitBounds: flags ? [] : [1],
    flags,
  });
  return [point(10, 100), point(20, 0, 1), point(30, 110)];
}

/** The export, its points `seconds` after `baseMillis` (whole ms). */
export function fieldCasesExport(baseMillis: number): unknown {
  const at = (seconds: number) =>
    `${BigInt(baseMillis + seconds * 1000) * 1_000_000n}`;
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "field-cases" } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: "td.queue.length",
                unit: "{job}",
                gauge: {
                  dataPoints: R2_DOUBLES.map((asDouble, i) => ({
                    attributes: [
                      {
                        key: "td.queue.name",
                        value: { stringValue: R2_QUEUE },
                      },
                    ],
                    timeUnixNano: at(i + 1),
                    asDouble,
                  })),
                },
              },
              {
                // R4: the no-recorded-value point between 100 and 110 must
                // not read as a reset to 0.
                name: "td.document.processing.duration",
                unit: "s",
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: r4HistogramPoints(at, [
                    {
                      key: "td.document.type",
                      value: { stringValue: R4_TYPE },
                    },
                  ]),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** A question of the field cases, and its right answer. */
export interface FieldCaseQuestion {
  readonly name: string;
  readonly query: Query;
  readonly expected: number;
}

/** The questions, over windows `seconds` after `baseMillis`. */
export function fieldCaseQuestions(baseMillis: number): FieldCaseQuestion[] {
  const r2: AttributeFilter = {
    key: "td.queue.name",
    op: "=",
    value: R2_QUEUE,
  };
  const r4: AttributeFilter = {
    key: "td.document.type",
    op: "=",
    value: R4_TYPE,
  };
  const ask = (
    name: string,
    metric: string,
    statistic: Query["statistic"],
    [from, to]: [number, number],
    filter: AttributeFilter,
    expected: number,
  ): FieldCaseQuestion => ({
    name,
    query: {
      metric,
      statistic,
      startMillis: baseMillis + from * 1000,
      endMillis: baseMillis + to * 1000,
      filters: [filter],
      groupBy: [],
    },
    expected,
  });
  const queue = "td.queue.length";
  const documents = "td.document.processing.duration";
  return [
    // `last` over the half second up to each point: the value as sent.
    ...R2_DOUBLES.map((text, i) =>
      ask(
        `R2 last ${text}`,
        queue,
        { kind: "last" },
        [i + 0.5, i + 1],
        r2,
        Number(text),
      ),
    ),
    // Over all four, max and min pass over the NaN as max_over_time does.
    ask("R2 max", queue, { kind: "max" }, [1, 4], r2, Infinity),
    ask("R2 min", queue, { kind: "min" }, [1, 4], r2, -Infinity),
    ask("R2 count", queue, { kind: "count" }, [1, 4], r2, 4),
    // Over exactly the samples' span nothing is extrapolated: 110 − 100.
    ask("R4 increase", documents, { kind: "increase" }, [10, 30], r4, 10),
  ];
}
