/**
 * The typed app meters on a real MeterProvider with the catalog's views,
 * read back through the SDK's in-memory exporter.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import {
  DiagLogLevel,
  diag,
  type MeterProvider as ApiMeterProvider,
} from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { ActiveUsers } from "../../src/metrics/active-users.js";
import { catalog } from "../../src/metrics/catalog.js";
import {
  createAppMetrics,
  type AppMetrics,
  type ProcessedDocument,
} from "../../src/metrics/meters.js";
import { buildViews, METER_NAME } from "../../src/metrics/views.js";

let provider: MeterProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
});

async function collect(
  build: (p: MeterProvider) => void,
): Promise<Map<string, MetricData>> {
  const exporter = new InMemoryMetricExporter(
    AggregationTemporality.CUMULATIVE,
  );
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 60_000,
  });
  provider = new MeterProvider({ readers: [reader], views: buildViews() });
  build(provider);
  await reader.forceFlush();
  const metrics = exporter
    .getMetrics()
    .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  return new Map(metrics.map((m) => [m.descriptor.name, m]));
}

function points(
  metric: MetricData | undefined,
): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  return ((metric?.dataPoints ?? []) as Array<DataPoint<unknown>>).map((p) => ({
    attributes: p.attributes,
    value: p.value,
  }));
}

describe("app meters", () => {
  it("record each catalog app metric with its unit and attributes", async () => {
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider, features: ["export-pdf"] });
      m.documentProcessed({
        type: "invoice",
        outcome: "success",
        durationSeconds: 0.3,
        sizeBytes: 5000,
      });
      m.documentProcessed({
        type: "invoice",
        outcome: "failure",
        durationSeconds: 2,
      });
      m.queueLength("render", 7);
      m.cacheLookup("templates", true);
      m.error("TimeoutError");
      m.error(new RangeError("x"));
      m.userActive("alice");
      m.newUser();
      m.sessionStarted();
      m.sessionStarted();
      m.sessionEnded();
      m.featureUsed("export-pdf");
      m.satisfaction(5);
    });
    for (const entry of catalog.filter((c) => c.source === "app")) {
      expect(exported.get(entry.name)?.descriptor.unit, entry.name).toBe(
        entry.unit,
      );
    }
    expect(points(exported.get("td.documents.processed"))).toEqual([
      {
        attributes: {
          "td.document.type": "invoice",
          "td.document.outcome": "success",
        },
        value: 1,
      },
      {
        attributes: {
          "td.document.type": "invoice",
          "td.document.outcome": "failure",
        },
        value: 1,
      },
    ]);
    expect(
      points(exported.get("td.errors")).map((p) => p.attributes["error.type"]),
    ).toEqual(["TimeoutError", "RangeError"]);
    expect(points(exported.get("td.sessions.active"))).toEqual([
      { attributes: {}, value: 1 },
    ]);
    expect(points(exported.get("td.queue.length"))).toEqual([
      { attributes: { "td.queue.name": "render" }, value: 7 },
    ]);
    const size = points(exported.get("td.document.size"))[0]?.value as {
      buckets: { boundaries: number[] };
    };
    expect(size.buckets.boundaries).toEqual(
      catalog.find((c) => c.name === "td.document.size")?.buckets,
    );
  });

  it("counts features off the allow-list as other", async () => {
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider, features: ["export-pdf"] });
      m.featureUsed("export-pdf");
      m.featureUsed("user-42-dashboard");
      m.featureUsed("beta");
      m.allowFeatures(["beta"]);
      m.featureUsed("beta");
    });
    expect(points(exported.get("td.feature.usage"))).toEqual([
      { attributes: { "td.feature.name": "export-pdf" }, value: 1 },
      { attributes: { "td.feature.name": "other" }, value: 2 },
      { attributes: { "td.feature.name": "beta" }, value: 1 },
    ]);
  });

  it("drops satisfaction scores outside 1..5 and bad sizes instead of recording them", async () => {
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider });
      for (const score of [0, 6, Number.NaN, 3, 4.5]) m.satisfaction(score);
      m.queueLength("q", -1);
    });
    const satisfaction = points(exported.get("td.user.satisfaction"))[0]
      ?.value as { count: number; sum: number };
    expect(satisfaction.count).toBe(2);
    expect(satisfaction.sum).toBe(7.5);
    expect(exported.get("td.queue.length")?.dataPoints ?? []).toHaveLength(0);
  });

  it("reports distinct active users per window and never an id", async () => {
    let now = Date.UTC(2025, 0, 1, 12, 0);
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider, now: () => now });
      m.userActive("alice"); // 12:00
      now += 118 * 60_000;
      m.userActive("bob"); // 13:58
      now += 52 * 60_000;
      m.userActive("carol"); // 14:50
      m.userActive("carol");
      now += 10 * 60_000; // read at 15:00
    });
    const byWindow = Object.fromEntries(
      points(exported.get("td.users.active")).map((p) => [
        p.attributes["td.users.window"],
        p.value,
      ]),
    );
    expect(byWindow).toEqual({ "5m": 0, "1h": 1, "24h": 3 });
    expect(JSON.stringify(points(exported.get("td.users.active")))).not.toMatch(
      /alice|bob|carol/,
    );
  });
});

describe("catalog views", () => {
  it("cap td.errors at its cardinality limit, folding the rest into the overflow series without losing a count", async () => {
    const limit = catalog.find(
      (m) => m.name === "td.errors",
    )!.cardinalityLimit!;
    const exported = await collect((meterProvider) => {
      const m = createAppMetrics({ meterProvider });
      for (let i = 0; i < limit + 50; i++) m.error(`Error${i}`);
    });

    const errors = points(exported.get("td.errors"));
    expect(errors).toHaveLength(limit);
    const overflow = errors.filter(
      (p) => p.attributes["otel.metric.overflow"] === true,
    );
    expect(overflow).toEqual([
      { attributes: { "otel.metric.overflow": true }, value: 51 },
    ]);
    const total = errors.reduce((sum, p) => sum + (p.value as number), 0);
    expect(total).toBe(limit + 50);
  });

  it("keep only a metric's allowed attributes, so a raw path or a user id never becomes a series", async () => {
    const exported = await collect((meterProvider) => {
      meterProvider
        .getMeter(METER_NAME)
        .createHistogram("http.server.request.duration", { unit: "s" })
        .record(0.05, {
          "http.request.method": "GET",
          "http.route": "/documents/:id",
          "url.path": "/documents/123",
          "user.id": "u-42",
        });
    });

    expect(points(exported.get("http.server.request.duration"))).toEqual([
      {
        attributes: {
          "http.request.method": "GET",
          "http.route": "/documents/:id",
        },
        value: expect.objectContaining({ count: 1, sum: 0.05 }),
      },
    ]);
  });
});

describe("ActiveUsers", () => {
  it("counts a handful of users exactly, 300 within 2 % and 20 000 within 3 %", () => {
    const users = new ActiveUsers(() => 0);
    for (let i = 0; i < 10; i++) users.record(`user-${i}`);
    expect(users.count("5m")).toBe(10);
    for (let i = 10; i < 300; i++) users.record(`user-${i}`);
    expect(Math.abs(users.count("5m") - 300)).toBeLessThanOrEqual(6);
    for (let i = 300; i < 20_000; i++) users.record(`user-${i}`);
    expect(Math.abs(users.count("1h") - 20_000) / 20_000).toBeLessThan(0.03);
  });

  it("forgets users once they leave every window, keeping memory bounded", () => {
    let now = 0;
    const users = new ActiveUsers(() => now);
    for (let minute = 0; minute < 3 * 24 * 60; minute += 7) {
      now = minute * 60_000;
      users.record(`user-${minute}`);
    }
    const internals = users as unknown as {
      minutes: Map<number, unknown>;
      hours: Map<number, unknown>;
    };
    expect(internals.minutes.size).toBeLessThanOrEqual(61);
    expect(internals.hours.size).toBeLessThanOrEqual(25);
    // Over the last 24 h (and up to one hour more), one user every 7
    // minutes, give or take the sketch's 3 %.
    const count = users.count("24h");
    expect(count).toBeGreaterThanOrEqual(0.97 * Math.floor((24 * 60) / 7));
    expect(count).toBeLessThanOrEqual(1.03 * Math.ceil((25 * 60) / 7));
  });
});

/** Collects what `diag` is told at WARN and above while `run` runs. */
async function warningsOf(run: () => Promise<void> | void): Promise<string[]> {
  const warnings: string[] = [];
  const record = (message: string) => warnings.push(message);
  diag.setLogger(
    {
      error: record,
      warn: record,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  try {
    await run();
  } finally {
    diag.disable();
  }
  return warnings;
}

// Throws on every look at it, as a revoked proxy or a hostile getter would.
const TRAP = new Proxy(
  {},
  {
    get: () => {
      throw new Error("trap: get");
    },
    has: () => {
      throw new Error("trap: has");
    },
  },
);

// What JavaScript callers have been seen to pass, and worse.
const HOSTILE: ReadonlyArray<readonly [string, unknown]> = [
  ["undefined", undefined],
  ["null", null],
  ["NaN", Number.NaN],
  ["Infinity", Infinity],
  ["{}", {}],
  ["[]", []],
  ["a Symbol", Symbol("user")],
  ["a function", () => 1],
  ["a huge string", "x".repeat(1_000_000)],
  ['"5"', "5"],
  ['"-1"', "-1"],
  ['"abc"', "abc"],
  ["42", 42],
  ["42n", 42n],
  ["a proxy that throws", TRAP],
];

type Method = Exclude<keyof AppMetrics, "flush">;
const METHODS: ReadonlyArray<readonly [Method, number]> = [
  ["documentProcessed", 1],
  ["queueLength", 2],
  ["cacheLookup", 2],
  ["error", 1],
  ["userActive", 1],
  ["newUser", 0],
  ["sessionStarted", 0],
  ["sessionEnded", 0],
  ["featureUsed", 1],
  ["satisfaction", 1],
  ["allowFeatures", 1],
];

describe("app meters given anything", () => {
  it.each(METHODS)(
    "%s throws for no value in any position, even called unbound",
    async (method, arity) => {
      await warningsOf(async () => {
        await collect((meterProvider) => {
          const m = createAppMetrics({ meterProvider });
          const call = m[method] as (...args: unknown[]) => void;
          for (const [, value] of HOSTILE) {
            expect(() => call(value, value)).not.toThrow();
            for (let position = 0; position < arity; position++) {
              const args: unknown[] = ["q", 3];
              args[position] = value;
              expect(() => call(...args)).not.toThrow();
            }
            expect(() =>
              m.documentProcessed({
                type: value,
                outcome: value,
                durationSeconds: value,
                sizeBytes: value,
              } as unknown as ProcessedDocument),
            ).not.toThrow();
          }
        });
      });
    },
  );

  it("flush never rejects, even when the provider's flush throws", async () => {
    const throwing = {
      getMeter: () => {
        throw new Error("no meter");
      },
      forceFlush: () => {
        throw new Error("no flush");
      },
    } as unknown as ApiMeterProvider;
    const warnings = await warningsOf(async () => {
      const m = createAppMetrics({ meterProvider: throwing });
      await expect(m.flush()).resolves.toBeUndefined();
      await expect(m.flush()).resolves.toBeUndefined();
      m.newUser();
      m.newUser();
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^td-monitoring: metrics.flush\(\) failed .*no flush/,
      ),
      expect.stringMatching(
        /^td-monitoring: metrics.newUser\(\) failed .*no meter/,
      ),
    ]);
  });

  // The inputs of the first report (userActive(42), error(null),
  // documentProcessed(), allowFeatures(5), satisfaction('5')), each with
  // what it must record.
  it.each<{
    name: string;
    calls: (m: AppMetrics) => void;
    metric: string;
    expected: unknown;
  }>([
    {
      name: "numeric and bigint user ids count as users, 42 and '42' as one",
      calls: (m) => {
        m.userActive(42);
        m.userActive("42");
        m.userActive(7n);
        for (const [, value] of HOSTILE.slice(0, 8)) {
          m.userActive(value as string);
        }
      },
      metric: "td.users.active",
      expected: { "5m": 2, "1h": 2, "24h": 2 },
    },
    {
      name: "error(null), error(undefined) and error({}) count as unknown",
      calls: (m) => {
        m.error(null);
        m.error(undefined);
        m.error({});
        m.error({ name: "AbortError" });
        m.error(new TypeError("x"));
      },
      metric: "td.errors",
      expected: { unknown: 3, AbortError: 1, TypeError: 1 },
    },
    {
      name: "documents without an object, a type or an outcome are dropped",
      calls: (m) => {
        const call = m.documentProcessed as (...args: unknown[]) => void;
        call();
        call(null);
        call({});
        call({ type: "invoice" });
        call({ type: "invoice", outcome: "ok" });
        call({ type: "invoice", outcome: "success", durationSeconds: "0.5" });
      },
      metric: "td.documents.processed",
      expected: { invoice: 1 },
    },
    {
      name: "satisfaction accepts numeric strings and drops the rest",
      calls: (m) => {
        m.satisfaction("5");
        m.satisfaction(" 2 ");
        for (const [, value] of HOSTILE) m.satisfaction(value as number);
      },
      metric: "td.user.satisfaction",
      expected: { count: 3, sum: 12 },
    },
    {
      name: "allowFeatures(5) leaves the allow-list; a lone string is one name",
      calls: (m) => {
        const allow = m.allowFeatures as (features: unknown) => void;
        allow(5);
        m.featureUsed("export-pdf");
        allow("beta");
        m.featureUsed("beta");
        allow(["x", 5, null]);
        m.featureUsed("x");
      },
      metric: "td.feature.usage",
      expected: { "export-pdf": 1, beta: 1, x: 1 },
    },
  ])("$name", async ({ calls, metric, expected }) => {
    const exported = await collect((meterProvider) => {
      calls(createAppMetrics({ meterProvider, features: ["export-pdf"] }));
    });
    const recorded = points(exported.get(metric));
    if (metric === "td.user.satisfaction") {
      const { count, sum } = recorded[0]?.value as {
        count: number;
        sum: number;
      };
      expect({ count, sum }).toEqual(expected);
      return;
    }
    const key = Object.keys(recorded[0]?.attributes ?? {}).find((k) =>
      /window|error.type|document.type|feature.name/.test(k),
    );
    const byKey = Object.fromEntries(
      recorded.map((p) => [p.attributes[key ?? ""], p.value]),
    );
    expect(byKey).toEqual(expected);
  });

  it("cuts a huge string attribute instead of exporting it whole", async () => {
    const exported = await collect((meterProvider) => {
      createAppMetrics({ meterProvider }).error("E".repeat(1_000_000));
    });
    const [point] = points(exported.get("td.errors"));
    expect(String(point?.attributes["error.type"])).toHaveLength(256);
  });
});

describe("warnings about dropped values", () => {
  it("say a string score is not a number, and quote an out-of-range one as given", async () => {
    const warnings = await warningsOf(() => {
      const m = createAppMetrics({ meterProvider: new MeterProvider() });
      m.satisfaction("abc");
      m.satisfaction("abc");
      m.satisfaction("7");
      m.satisfaction("5");
    });
    expect(warnings).toEqual([
      expect.stringContaining('satisfaction score "abc" is not a number;'),
      expect.stringContaining('satisfaction score "7" is outside [1, 5];'),
    ]);
  });

  it("warn once per feature counted as other, saying how to allow it", async () => {
    const warnings = await warningsOf(() => {
      const m = createAppMetrics({ meterProvider: new MeterProvider() });
      m.featureUsed("export-pdf");
      m.featureUsed("export-pdf");
    });
    expect(warnings).toEqual([
      'td-monitoring: feature "export-pdf" is not on the allow-list and was ' +
        'counted as "other"; to count it by name, call ' +
        'metrics.allowFeatures(["export-pdf", …]) at startup',
    ]);
  });

  it("name at most 20 unknown features, then say once that more go unnamed", async () => {
    const warnings = await warningsOf(() => {
      const m = createAppMetrics({ meterProvider: new MeterProvider() });
      for (let i = 0; i < 100; i++) m.featureUsed(`generated-${i}`);
    });
    expect(warnings).toHaveLength(21);
    expect(warnings[19]).toContain('"generated-19"');
    expect(warnings[20]).toMatch(/further names are not warned about/);
  });
});
