/**
 * The same recordings and questions for every store: the fixture series
 * (written into the embedded store as OTLP points, and into a real
 * Prometheus as OpenMetrics) and the queries with their hand-computed
 * answers, including the field cases Q1–Q3.
 */
import { findMetric } from "../../src/metrics/catalog.js";
import { sanitizePrometheusName } from "../../src/metrics/prometheus-name.js";
import type { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import type {
  IngestPoint,
  SeriesKey,
} from "../../src/store/embedded/samples.js";
import type { BucketCount, Query } from "../../src/query/model.js";
import { cumulativeFromDelta } from "../../src/query/series.js";

/** 2023-11-14T22:00:00Z: every fixture starts here. */
export const T0 = Date.UTC(2023, 10, 14, 22);
export const MINUTE = 60_000;

interface NumberFixture {
  readonly kind: "gauge" | "sum";
  readonly metric: string;
  readonly labels: Record<string, string>;
  readonly temporality: "cumulative" | "delta" | "unspecified";
  /** One value every 5 minutes from T0. */
  readonly values: readonly number[];
}

interface HistogramFixture {
  readonly kind: "histogram";
  readonly metric: string;
  readonly labels: Record<string, string>;
  readonly bounds: readonly number[];
  /** Cumulative OTLP points: [minutes after T0, sum, per-bucket counts]. */
  readonly points: ReadonlyArray<readonly [number, number, readonly number[]]>;
}

export type Fixture = NumberFixture | HistogramFixture;

const Q2_BOUNDS = [0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048];
// Q2's cumulative counts (4, 420, 1484, 2651, 3714, 5097, 6657, 7364) per bucket.
const Q2_COUNTS = [4, 416, 1064, 1167, 1063, 1383, 1560, 707];
const zeros = (n: number) => Array.from({ length: n }, () => 0);
const ok = { "td.document.outcome": "ok" };
const route = (path: string) => ({
  "http.route": path,
  "http.request.method": "GET",
  "http.response.status_code": "200",
});

export const FIXTURES: readonly Fixture[] = [
  {
    kind: "sum",
    metric: "td.documents.processed",
    labels: { "td.document.type": "invoice", ...ok },
    temporality: "cumulative",
    values: [0, 1, 2, 3, 2, 3, 4], // Q1
  },
  {
    kind: "sum",
    metric: "td.documents.processed",
    labels: { "td.document.type": "invoice", "td.document.outcome": "failed" },
    temporality: "cumulative",
    values: [0, 0, 1, 1, 1, 1, 2],
  },
  {
    kind: "sum",
    metric: "td.documents.processed",
    labels: { "td.document.type": "letter", ...ok },
    temporality: "delta", // cumulative: 5, 8, 8, 10, 14, 15, 21
    values: [5, 3, 0, 2, 4, 1, 6],
  },
  {
    kind: "gauge",
    metric: "system.memory.utilization",
    labels: { "system.memory.state": "used" },
    temporality: "unspecified",
    values: [0.5, 0.6, 0.7, 0.8, 0.9, 0.4, 0.5],
  },
  {
    kind: "gauge",
    metric: "system.memory.utilization",
    labels: { "system.memory.state": "free" },
    temporality: "unspecified",
    values: [0.5, 0.4, 0.3, 0.2, 0.1, 0.6, 0.5],
  },
  {
    kind: "histogram",
    metric: "http.server.request.duration",
    labels: route("/docs"),
    bounds: Q2_BOUNDS,
    points: [
      [0, 0, zeros(8)],
      [30, 368.2, Q2_COUNTS],
    ],
  },
  {
    kind: "histogram",
    metric: "http.server.request.duration",
    labels: route("/health"),
    bounds: Q2_BOUNDS,
    points: [
      [0, 0, zeros(8)],
      [30, 0, zeros(8)],
    ],
  },
  {
    // Fewer than two buckets (Q3): only +Inf.
    kind: "histogram",
    metric: "td.user.satisfaction",
    labels: {},
    bounds: [],
    points: [
      [0, 0, [0]],
      [30, 12, [3]],
    ],
  },
  {
    // Restarted before 30 min (cumulative 0, 1, 2, 1 at ≤1 s; 0, 3, 5, 2 at
    // ≤5 s; 0, 3, 6, 2 in all), so every bucket resets.
    kind: "histogram",
    metric: "td.document.processing.duration",
    labels: { "td.document.type": "invoice" },
    bounds: [1, 5],
    points: [
      [0, 0, [0, 0, 0]],
      [10, 9, [1, 2, 0]],
      [20, 20, [2, 3, 1]],
      [30, 4, [1, 1, 0]],
    ],
  },
  {
    kind: "histogram",
    metric: "td.document.processing.duration",
    labels: { "td.document.type": "letter" },
    bounds: [1, 5],
    points: [
      [0, 0, [0, 0, 0]],
      [30, 14, [0, 2, 1]],
    ],
  },
];

/**
 * A question and its answer: [labels, value] per group, points for range
 * queries and buckets for distributions.
 */
export interface QueryCase {
  readonly name: string;
  readonly query: Query;
  readonly expected: ReadonlyArray<{
    readonly labels: Record<string, string>;
    readonly value: number;
    readonly points?: ReadonlyArray<readonly [number, number]>;
    readonly buckets?: readonly BucketCount[];
  }>;
}

export const END = T0 + 30 * MINUTE;
const invoiceOk = [
  { key: "td.document.type", op: "=", value: "invoice" },
  { key: "td.document.outcome", op: "=", value: "ok" },
] as const;
const used = [{ key: "system.memory.state", op: "=", value: "used" }] as const;
const docs = [{ key: "http.route", op: "=", value: "/docs" }] as const;

function ask(
  metric: string,
  statistic: Query["statistic"],
  extra: Partial<Query> = {},
): Query {
  return {
    metric,
    statistic,
    startMillis: T0,
    endMillis: END,
    filters: [],
    groupBy: [],
    ...extra,
  };
}

const documents = "td.documents.processed";
const memory = "system.memory.utilization";
const latency = "http.server.request.duration";
const duration = "td.document.processing.duration";
const invoice = [
  { key: "td.document.type", op: "=", value: "invoice" },
] as const;
const distribution = { kind: "distribution" } as const;

/** Buckets from their upper bounds and counts, each starting at the bound before. */
function bucketsOf(
  bounds: readonly number[],
  counts: readonly number[],
): BucketCount[] {
  return counts.map((count, i) => ({
    lowerBound: bounds[i - 1] ?? -Infinity,
    upperBound: bounds[i] ?? Infinity,
    count,
  }));
}
const one = (value: number) => [{ labels: {}, value }];
const p = (q: number) => ({ kind: "quantile", q }) as const;

export const CASES: readonly QueryCase[] = [
  // Counters
  {
    name: "Q1: increase across a reset",
    query: ask(documents, { kind: "increase" }, { filters: invoiceOk }),
    expected: one(7),
  },
  {
    name: "Q1: rate across a reset",
    query: ask(documents, { kind: "rate" }, { filters: invoiceOk }),
    expected: one(7 / 1800),
  },
  {
    name: "increase by type, delta and cumulative series alike",
    query: ask(
      documents,
      { kind: "increase" },
      { groupBy: ["td.document.type"] },
    ),
    expected: [
      { labels: { "td.document.type": "invoice" }, value: 9 },
      { labels: { "td.document.type": "letter" }, value: 16 },
    ],
  },
  {
    name: "increase extrapolated to the window's edges",
    query: ask(
      documents,
      { kind: "increase" },
      {
        filters: invoiceOk,
        startMillis: T0 + 2 * MINUTE,
        endMillis: T0 + 28 * MINUTE,
      },
    ),
    // Samples 1, 2, 3, 2, 3 over 20 min (+5 with the reset), 3 min to each edge.
    expected: one(5 * (26 / 20)),
  },
  {
    name: "a delta counter extrapolated from its running total",
    query: ask(
      documents,
      { kind: "increase" },
      {
        filters: [{ key: "td.document.type", op: "=", value: "letter" }],
        startMillis: T0 + 2 * MINUTE,
        endMillis: T0 + 28 * MINUTE,
      },
    ),
    // Running totals 8, 8, 10, 14, 15 inside the window.
    expected: one(7 * (26 / 20)),
  },
  {
    name: "regex and not-equal filters",
    query: ask(
      documents,
      { kind: "increase" },
      {
        filters: [
          { key: "td.document.type", op: "=~", value: "inv.*" },
          { key: "td.document.outcome", op: "!=", value: "failed" },
        ],
      },
    ),
    expected: one(7),
  },
  {
    name: "negative regex filter",
    query: ask(
      documents,
      { kind: "rate" },
      { filters: [{ key: "td.document.type", op: "!~", value: "inv.*" }] },
    ),
    expected: one(16 / 1800),
  },
  {
    name: "counter last sums the series' totals",
    query: ask(documents, { kind: "last" }, { groupBy: ["td.document.type"] }),
    expected: [
      { labels: { "td.document.type": "invoice" }, value: 6 },
      { labels: { "td.document.type": "letter" }, value: 21 },
    ],
  },
  {
    name: "counter count of samples",
    query: ask(documents, { kind: "count" }, { filters: invoiceOk }),
    expected: one(7),
  },
  {
    name: "increase per 10-minute step",
    query: ask(
      documents,
      { kind: "increase" },
      { filters: invoiceOk, startMillis: T0 + 10 * MINUTE, stepSeconds: 600 },
    ),
    expected: [
      {
        labels: {},
        value: 5,
        points: [
          [T0 + 10 * MINUTE, 2],
          [T0 + 20 * MINUTE, 3],
          [T0 + 30 * MINUTE, 2],
        ],
      },
    ],
  },

  // Gauges
  {
    name: "gauge avg",
    query: ask(memory, { kind: "avg" }, { filters: used }),
    expected: one(4.4 / 7),
  },
  {
    name: "gauge max",
    query: ask(memory, { kind: "max" }, { filters: used }),
    expected: one(0.9),
  },
  {
    name: "gauge min",
    query: ask(memory, { kind: "min" }, { filters: used }),
    expected: one(0.4),
  },
  {
    name: "gauge last",
    query: ask(memory, { kind: "last" }, { filters: used }),
    expected: one(0.5),
  },
  {
    name: "gauge count",
    query: ask(memory, { kind: "count" }, { filters: used }),
    expected: one(7),
  },
  {
    name: "gauge p95 interpolates between samples",
    query: ask(memory, p(0.95), { filters: used }),
    expected: one(0.8 * 0.3 + 0.9 * 0.7),
  },
  {
    name: "gauge p50",
    query: ask(memory, p(0.5), { filters: used }),
    expected: one(0.6),
  },
  {
    name: "gauge sum of the series' last samples",
    query: ask(memory, { kind: "sum" }),
    expected: one(1),
  },
  {
    name: "gauge avg by state",
    query: ask(memory, { kind: "avg" }, { groupBy: ["system.memory.state"] }),
    expected: [
      { labels: { "system.memory.state": "free" }, value: 2.6 / 7 },
      { labels: { "system.memory.state": "used" }, value: 4.4 / 7 },
    ],
  },
  {
    name: "gauge p50 per 10-minute step",
    query: ask(memory, p(0.5), {
      filters: used,
      startMillis: T0 + 10 * MINUTE,
      stepSeconds: 600,
    }),
    expected: [
      {
        labels: {},
        value: 0.7,
        points: [
          [T0 + 10 * MINUTE, 0.6],
          [T0 + 20 * MINUTE, 0.8],
          [T0 + 30 * MINUTE, 0.5],
        ],
      },
    ],
  },

  // Histograms
  {
    name: "Q2: p95 from buckets",
    query: ask(latency, p(0.95), { filters: docs }),
    expected: one(0.2048),
  },
  {
    name: "Q2: p50 from buckets",
    query: ask(latency, p(0.5), { filters: docs }),
    expected: one(0.0256 + 0.0256 * (1031 / 1063)),
  },
  {
    name: "histogram p99",
    query: ask(latency, p(0.99)),
    expected: one(0.2048),
  },
  {
    name: "histogram max",
    query: ask(latency, { kind: "max" }, { filters: docs }),
    expected: one(0.2048),
  },
  {
    name: "histogram avg",
    query: ask(latency, { kind: "avg" }, { filters: docs }),
    expected: one(368.2 / 7364),
  },
  {
    name: "histogram count",
    query: ask(latency, { kind: "count" }),
    expected: one(7364),
  },
  {
    name: "histogram rate",
    query: ask(latency, { kind: "rate" }),
    expected: one(7364 / 1800),
  },
  {
    name: "histogram sum",
    query: ask(latency, { kind: "sum" }),
    expected: one(368.2),
  },
  {
    name: "Q3: no observations, by route",
    query: ask(latency, p(0.95), { groupBy: ["http.route"] }),
    expected: [
      { labels: { "http.route": "/docs" }, value: 0.2048 },
      { labels: { "http.route": "/health" }, value: NaN },
    ],
  },
  {
    name: "histogram min by route",
    query: ask(latency, { kind: "min" }, { groupBy: ["http.route"] }),
    expected: [
      { labels: { "http.route": "/docs" }, value: 0 },
      { labels: { "http.route": "/health" }, value: NaN },
    ],
  },
  {
    name: "Q3: fewer than two buckets",
    query: ask("td.user.satisfaction", p(0.5)),
    expected: one(NaN),
  },
  {
    name: "Q3: q = -0.1",
    query: ask(latency, p(-0.1), { filters: docs }),
    expected: one(-Infinity),
  },
  {
    name: "Q3: q = 1.1",
    query: ask(latency, p(1.1), { filters: docs }),
    expected: one(Infinity),
  },
  {
    name: "Q3: q = NaN",
    query: ask(latency, p(NaN), { filters: docs }),
    expected: one(NaN),
  },

  // Distributions
  {
    name: "Q2: distribution by route, an idle route's buckets empty",
    query: ask(latency, distribution, { groupBy: ["http.route"] }),
    expected: [
      {
        labels: { "http.route": "/docs" },
        value: 7364,
        buckets: bucketsOf(Q2_BOUNDS, Q2_COUNTS),
      },
      {
        labels: { "http.route": "/health" },
        value: 0,
        buckets: bucketsOf(Q2_BOUNDS, zeros(8)),
      },
    ],
  },
  {
    name: "distribution with only a +Inf bucket",
    query: ask("td.user.satisfaction", distribution),
    expected: [{ labels: {}, value: 3, buckets: bucketsOf([], [3]) }],
  },
  {
    name: "distribution across a reset in every bucket",
    query: ask(duration, distribution, { filters: invoice }),
    // ≤1: 1 + 2 before the drop = 3; ≤5: 2 + 5 = 7; all: 2 + 6 = 8.
    expected: [{ labels: {}, value: 8, buckets: bucketsOf([1, 5], [3, 4, 1]) }],
  },
  {
    name: "distribution summed across the series of a group",
    query: ask(duration, distribution),
    // invoice 3, 7, 8 and letter 0, 2, 3, cumulative.
    expected: [
      { labels: {}, value: 11, buckets: bucketsOf([1, 5], [3, 6, 2]) },
    ],
  },
  {
    name: "distribution by type",
    query: ask(duration, distribution, { groupBy: ["td.document.type"] }),
    expected: [
      {
        labels: { "td.document.type": "invoice" },
        value: 8,
        buckets: bucketsOf([1, 5], [3, 4, 1]),
      },
      {
        labels: { "td.document.type": "letter" },
        value: 3,
        buckets: bucketsOf([1, 5], [0, 2, 1]),
      },
    ],
  },
  {
    name: "distribution extrapolated to the window's edges",
    query: ask(duration, distribution, {
      filters: invoice,
      startMillis: T0 + 5 * MINUTE,
      endMillis: T0 + 25 * MINUTE,
    }),
    // Samples at 10 and 20 min, 5 min from each edge: every increase doubles
    // (cumulative 1, 2, 3 → 2, 4, 6); no bucket's slope reaches zero before
    // the start.
    expected: [{ labels: {}, value: 6, buckets: bucketsOf([1, 5], [2, 2, 2]) }],
  },
  {
    name: "distribution per 10-minute step: points are totals",
    query: ask(duration, distribution, {
      filters: invoice,
      startMillis: T0 + 10 * MINUTE,
      stepSeconds: 600,
    }),
    // Over [10, 30] min: ≤1 0 + 2, ≤5 -1 + 5, all -1 + 6 (the reset).
    expected: [
      {
        labels: {},
        value: 5,
        points: [
          [T0 + 10 * MINUTE, 3],
          [T0 + 20 * MINUTE, 3],
          [T0 + 30 * MINUTE, 2],
        ],
        buckets: bucketsOf([1, 5], [2, 2, 1]),
      },
    ],
  },
  {
    name: "distribution without data in the window",
    query: ask(latency, distribution, {
      startMillis: END + MINUTE,
      endMillis: END + 2 * MINUTE,
    }),
    expected: [],
  },
  {
    name: "no data in the window",
    query: ask(
      memory,
      { kind: "avg" },
      { startMillis: END + MINUTE, endMillis: END + 2 * MINUTE },
    ),
    expected: [],
  },
];

const nanos = (millis: number) => BigInt(millis) * 1_000_000n;
const timeOf = (index: number) => T0 + index * 5 * MINUTE;

/** The fixtures as the OTLP points the receiver would hand the embedded store. */
export function ingestPoints(
  fixtures: readonly Fixture[] = FIXTURES,
): IngestPoint[] {
  return fixtures.flatMap((fixture) => {
    const metric = findMetric(fixture.metric);
    if (metric === undefined)
      throw new Error(`no catalog metric ${fixture.metric}`);
    const series: SeriesKey = {
      metric: metric.name,
      kind: fixture.kind,
      unit: metric.unit,
      temporality:
        fixture.kind === "histogram" ? "cumulative" : fixture.temporality,
      monotonic: fixture.kind === "sum",
      labels: fixture.labels,
    };
    if (fixture.kind !== "histogram") {
      return fixture.values.map((value, i): IngestPoint => {
        const start =
          fixture.temporality === "delta" ? timeOf(i - 1) : T0 - MINUTE;
        return {
          type: "number",
          series,
          timeNanos: nanos(timeOf(i)),
          startTimeNanos: nanos(start),
          value,
        };
      });
    }
    return fixture.points.map(([minutes, sum, counts]): IngestPoint => ({
      type: "histogram",
      series,
      timeNanos: nanos(T0 + minutes * MINUTE),
      startTimeNanos: nanos(T0 - MINUTE),
      count: BigInt(counts.reduce((a, b) => a + b, 0)),
      sum,
      bounds: fixture.bounds,
      bucketCounts: counts.map(BigInt),
    }));
  });
}

/** Writes the fixtures into an embedded database. */
export function loadEmbedded(
  db: EmbeddedDatabase,
  fixtures: readonly Fixture[] = FIXTURES,
): void {
  db.ingest(ingestPoints(fixtures));
}

/**
 * The fixtures as OpenMetrics, named and labelled as the collector's
 * Prometheus translation would, delta sums already made cumulative (as the
 * collector's deltatocumulative processor does).
 */
export function openMetrics(fixtures: readonly Fixture[] = FIXTURES): string {
  const families = new Map<string, string[]>();
  for (const fixture of fixtures) {
    const metric = findMetric(fixture.metric);
    if (metric === undefined)
      throw new Error(`no catalog metric ${fixture.metric}`);
    const family =
      metric.shape === "counter"
        ? metric.prometheusName.replace(/_total$/, "")
        : metric.prometheusName;
    const lines = families.get(family) ?? [`# TYPE ${family} ${metric.shape}`];
    families.set(family, lines);
    lines.push(...fixtureLines(fixture, metric.prometheusName));
  }
  return [...[...families.values()].flat(), "# EOF", ""].join("\n");
}

function fixtureLines(fixture: Fixture, name: string): string[] {
  if (fixture.kind !== "histogram") {
    const values =
      fixture.temporality === "delta"
        ? cumulativeFromDelta(
            fixture.values.map((value, i) => ({
              timeMillis: timeOf(i),
              value,
            })),
          )
        : fixture.values.map((value, i) => ({ timeMillis: timeOf(i), value }));
    return values.map(
      ({ timeMillis, value }) =>
        `${name}${labelText(fixture.labels)} ${value} ${timeMillis / 1000}`,
    );
  }
  return fixture.points.flatMap(([minutes, sum, counts]) => {
    const seconds = (T0 + minutes * MINUTE) / 1000;
    let total = 0;
    const buckets = counts.map((count, i) => {
      total += count;
      const le =
        fixture.bounds[i] === undefined ? "+Inf" : String(fixture.bounds[i]);
      return `${name}_bucket${labelText({ ...fixture.labels, le })} ${total} ${seconds}`;
    });
    return [
      ...buckets,
      `${name}_count${labelText(fixture.labels)} ${total} ${seconds}`,
      `${name}_sum${labelText(fixture.labels)} ${sum} ${seconds}`,
    ];
  });
}

function labelText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(
    ([key, value]) =>
      `${key === "le" ? key : sanitizePrometheusName(key)}=${JSON.stringify(value)}`,
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}
