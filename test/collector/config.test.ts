import { spawnSync } from "node:child_process";
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { catalog, type CatalogMetric } from "../../src/metrics/catalog.js";
import {
  collectorPorts,
  findCollector,
  findPrometheus,
  freePort,
  repoRoot,
  sendOtlpJson,
  start,
  startCollector,
  startOtlpSink,
  waitFor,
  type Running,
} from "./harness.js";
import {
  DELTA_METRIC,
  SMOKE_RESOURCE,
  SMOKE_VALUES,
  exportRequest,
} from "./otlp.js";

const collectorDir = join(repoRoot, "otel-collector");
const mainConfig = join(collectorDir, "config.yaml");
const overlays = ["overlays/signoz.yaml", "overlays/grafana-cloud.yaml"].map(
  (p) => join(collectorDir, p),
);
const configSets: [string, string[]][] = [
  ["config.yaml", [mainConfig]],
  ["config.yaml + signoz", [mainConfig, overlays[0]!]],
  ["config.yaml + grafana-cloud", [mainConfig, overlays[1]!]],
  ["config.yaml + both overlays", [mainConfig, ...overlays]],
];

const inCI = Boolean(process.env.CI);
const collector = findCollector();
const prometheus = findPrometheus();

if (!collector && !inCI) {
  console.warn(
    "test/collector: skipping the otelcol tests: no collector binary. " +
      "Build it with otel-collector/build.sh (minutes, cached) or set OTELCOL_BIN.",
  );
}
if (!prometheus && !inCI) {
  console.warn(
    "test/collector: skipping the live pipeline test: no prometheus binary (apt-get install prometheus).",
  );
}

/** The environment minus every variable the configs read, so defaults apply. */
function envWithoutConfigVariables(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(TD_|PROMETHEUS_|SIGNOZ_|GRAFANA_CLOUD_)/.test(key)) delete env[key];
  }
  return env;
}

function requireCollector(): string {
  if (!collector) {
    throw new Error(
      "CI requires the collector binary: run otel-collector/build.sh before the tests or set OTELCOL_BIN",
    );
  }
  return collector;
}

function readYaml(path: string): Record<string, unknown> {
  return parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

const KINDS = [
  "receivers",
  "processors",
  "exporters",
  "extensions",
  "connectors",
] as const;

function componentTypesUsed(paths: string[]): Record<string, Set<string>> {
  const used = Object.fromEntries(KINDS.map((k) => [k, new Set<string>()]));
  for (const path of paths) {
    const config = readYaml(path);
    for (const kind of KINDS) {
      const section = (config[kind] ?? {}) as Record<string, unknown>;
      for (const id of Object.keys(section)) used[kind]!.add(id.split("/")[0]!);
    }
  }
  return used;
}

describe("collector configs, read as text", () => {
  it.each([mainConfig, ...overlays])(
    "%s takes every variable with a default",
    (path) => {
      const text = readFileSync(path, "utf8");
      const references = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
      expect(references.length).toBeGreaterThan(0);
      for (const reference of references) {
        expect(reference, path).toMatch(/^env:[A-Z][A-Z0-9_]*:-/);
      }
    },
  );

  it.each([mainConfig, ...overlays])(
    "%s puts memory_limiter first and batch last in every pipeline",
    (path) => {
      // memory_limiter first, so that it refuses data before any other
      // processor holds it; batch last, so batches are what is exported.
      const { service } = readYaml(path) as {
        service: { pipelines: Record<string, { processors: string[] }> };
      };
      const pipelines = Object.entries(service.pipelines);
      expect(pipelines.length).toBeGreaterThan(0);
      for (const [name, { processors }] of pipelines) {
        expect(processors[0], `${path} ${name}`).toBe("memory_limiter");
        expect(processors.at(-1), `${path} ${name}`).toBe("batch");
      }
    },
  );

  it("listens on loopback unless told otherwise", () => {
    const config = readYaml(mainConfig) as {
      receivers: { otlp: { protocols: Record<string, { endpoint: string }> } };
    };
    const endpoints = Object.values(config.receivers.otlp.protocols).map(
      (p) => p.endpoint,
    );
    expect(endpoints).toEqual([
      "${env:TD_OTELCOL_OTLP_HTTP_ENDPOINT:-127.0.0.1:4318}",
      "${env:TD_OTELCOL_OTLP_GRPC_ENDPOINT:-127.0.0.1:4317}",
    ]);
    // td-monitor's embedded collector must not share the receiver's port.
    expect(readFileSync(mainConfig, "utf8")).toContain(
      "${env:TD_MONITOR_OTLP_ENDPOINT:-http://127.0.0.1:4328}",
    );
  });

  it("pins every builder module to one collector release", () => {
    const manifest = readYaml(join(collectorDir, "builder-config.yaml")) as {
      dist: { version: string };
      [kind: string]: unknown;
    };
    const version = `v${manifest.dist.version}`;
    const modules = [
      "receivers",
      "processors",
      "exporters",
      "extensions",
      "providers",
    ]
      .flatMap((kind) => (manifest[kind] ?? []) as { gomod: string }[])
      .map((m) => m.gomod.split(" "));
    expect(modules.length).toBeGreaterThan(5);
    const stable = new Set<string>();
    for (const [path, moduleVersion] of modules) {
      // Stable core modules (v1.x) move in step with the v0.x release.
      if (moduleVersion!.startsWith("v1.")) stable.add(moduleVersion!);
      else expect(moduleVersion, path).toBe(version);
    }
    expect(stable.size).toBeLessThanOrEqual(1);
  });
});

describe.skipIf(!collector && !inCI)("otelcol validate", () => {
  let bin: string;
  let scratch: string;
  beforeAll(() => {
    bin = requireCollector();
    scratch = mkdtempSync(join(tmpdir(), "td-otelcol-validate-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function validate(paths: string[]) {
    return spawnSync(
      bin,
      ["validate", ...paths.flatMap((p) => ["--config", p])],
      {
        encoding: "utf8",
        env: envWithoutConfigVariables(),
        cwd: scratch,
      },
    );
  }

  it.each(configSets)("accepts %s", (_name, paths) => {
    const result = validate(paths);
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.status).toBe(0);
  });

  it("rejects a config whose pipeline names an undefined exporter", () => {
    const broken = join(scratch, "broken.yaml");
    writeFileSync(
      broken,
      "service:\n  pipelines:\n    metrics/broken:\n      receivers: [otlp]\n      exporters: [otlp_http/nowhere]\n",
    );
    const result = validate([mainConfig, broken]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("otlp_http/nowhere");
  });

  it("was built with exactly the components the configs use", () => {
    const result = spawnSync(bin, ["components"], { encoding: "utf8" });
    expect(result.status).toBe(0);
    const built = parse(result.stdout) as Record<
      string,
      { name: string }[] | null
    >;
    const used = componentTypesUsed([mainConfig, ...overlays]);
    for (const kind of KINDS) {
      const names = new Set((built[kind] ?? []).map((c) => c.name));
      expect([...names].sort(), kind).toEqual([...used[kind]!].sort());
    }
  });
});

// ---------------------------------------------------------------------------

function seriesNames(metric: CatalogMetric): string[] {
  const base = metric.prometheusName;
  if (metric.shape !== "histogram") return [base];
  return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf((!collector || !prometheus) && !inCI)("live pipeline", () => {
  const ENVIRONMENT = "smoke";
  let scratch: string;
  let dataDir: string;
  let promUrl: string;
  let otlpUrl: string;
  let collectorEnv: NodeJS.ProcessEnv;
  let prom: Running | undefined;
  let otelcol: Running | undefined;
  let startPrometheus: () => Promise<void>;
  let sink: Awaited<ReturnType<typeof startOtlpSink>>;

  const explain = () =>
    `--- otelcol ---\n${otelcol?.output().slice(-4000) ?? ""}\n` +
    `--- prometheus ---\n${prom?.output().slice(-2000) ?? ""}`;

  async function startPipeline() {
    otelcol = await startCollector(requireCollector(), [mainConfig], {
      cwd: scratch,
      env: collectorEnv,
    });
  }

  async function send(body: unknown) {
    const { status, text } = await sendOtlpJson(otlpUrl, body);
    expect(status, text).toBe(200);
  }

  async function query(promql: string): Promise<PromVector[]> {
    const url = `${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const body = (await (await fetch(url)).json()) as {
      data: { result: PromVector[] };
    };
    return body.data.result;
  }

  beforeAll(async () => {
    if (!prometheus)
      throw new Error("CI requires prometheus (apt-get install prometheus)");
    scratch = mkdtempSync(join(tmpdir(), "td-otelcol-live-"));
    dataDir = join(scratch, "data", "monitoring");
    sink = await startOtlpSink();

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(
      join(scratch, "prometheus.yml"),
      "global:\n  scrape_interval: 1m\n",
    );
    startPrometheus = async () => {
      prom = start(
        prometheus,
        [
          `--config.file=${join(scratch, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(scratch, "prometheus")}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          "--web.enable-remote-write-receiver",
          "--log.level=warn",
        ],
        { cwd: scratch },
      );
      await waitFor(
        "Prometheus to be ready",
        async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined),
        20_000,
        explain,
      );
    };
    await startPrometheus();

    const ports = await collectorPorts();
    otlpUrl = ports.otlpUrl;
    collectorEnv = {
      ...envWithoutConfigVariables(),
      ...ports.env,
      TD_MONITORING_DATA_DIR: dataDir,
      TD_MONITORING_ENVIRONMENT: ENVIRONMENT,
      PROMETHEUS_REMOTE_WRITE_URL: `${promUrl}/api/v1/write`,
      TD_MONITOR_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
    };

    await startPipeline();
    await send(exportRequest(catalog));
  });

  afterAll(async () => {
    await otelcol?.stop();
    await prom?.stop();
    await sink?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("remote-writes every catalog metric to Prometheus under its prometheusName", async () => {
    const expected = catalog.flatMap(seriesNames);
    const selector = encodeURIComponent(
      `{job="${SMOKE_RESOURCE["service.name"]}"}`,
    );
    const names = await waitFor(
      "every catalog series in Prometheus",
      async () => {
        const response = await fetch(
          `${promUrl}/api/v1/label/__name__/values?match[]=${selector}`,
        );
        const body = (await response.json()) as { data: string[] };
        return expected.every((n) => body.data.includes(n))
          ? body.data
          : undefined;
      },
      30_000,
      explain,
    );
    // Nothing else: resource attributes travel on target_info only.
    expect(names.filter((n) => n !== "target_info").sort()).toEqual(
      [...expected].sort(),
    );

    const [documents] = await query("td_documents_processed_total");
    expect(documents?.metric).toMatchObject({
      job: SMOKE_RESOURCE["service.name"],
      instance: SMOKE_RESOURCE["service.instance.id"],
      host_name: SMOKE_RESOURCE["host.name"],
      deployment_environment_name: ENVIRONMENT,
      td_document_type: "invoice",
      td_document_outcome: "success",
    });
    expect(Number(documents?.value[1])).toBe(SMOKE_VALUES.documentsProcessed);

    const [queue] = await query("td_queue_length");
    expect(Number(queue?.value[1])).toBe(SMOKE_VALUES.queueLength);

    // Sent as delta; remote write only carries cumulative series.
    const delta = catalog.find((m) => m.name === DELTA_METRIC)!;
    const [uses] = await query(delta.prometheusName);
    expect(Number(uses?.value[1])).toBe(SMOKE_VALUES.featureUsesDelta);

    const duration = catalog.find(
      (m) => m.name === "td.document.processing.duration",
    )!;
    const buckets = await query(`${duration.prometheusName}_bucket`);
    const bounds = buckets.map((b) => b.metric.le).sort();
    expect(bounds).toEqual([...duration.buckets!.map(String), "+Inf"].sort());
  });

  it("sends the same points to td-monitor's endpoint over OTLP/HTTP", async () => {
    const request = await waitFor(
      "a request at the td-monitor stand-in",
      async () => sink.requests.find((r) => r.url === "/v1/metrics"),
      15_000,
      explain,
    );
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/x-protobuf");
    expect(request.headers["content-encoding"]).toBe("gzip");
    // Protobuf keeps strings as UTF-8 bytes.
    for (const metric of catalog) {
      expect(request.body.includes(metric.name), metric.name).toBe(true);
    }
    expect(request.body.includes("deployment.environment.name")).toBe(true);
  });

  it("archives the points as OTLP/JSON lines under data/monitoring/metrics/", async () => {
    const archive = join(dataDir, "metrics", "archive", "metrics.jsonl");
    const lines = await waitFor(
      "the file archive",
      async () => {
        if (!existsSync(archive)) return undefined;
        const text = readFileSync(archive, "utf8").trim();
        return text ? text.split("\n") : undefined;
      },
      15_000,
      explain,
    );
    const names = new Set<string>();
    const environments = new Set<string>();
    for (const line of lines) {
      const request = JSON.parse(line) as {
        resourceMetrics: {
          resource: {
            attributes: { key: string; value: { stringValue?: string } }[];
          };
          scopeMetrics: { metrics: { name: string }[] }[];
        }[];
      };
      for (const rm of request.resourceMetrics) {
        for (const a of rm.resource.attributes) {
          if (a.key === "deployment.environment.name")
            environments.add(a.value.stringValue!);
        }
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) names.add(m.name);
      }
    }
    expect([...names].sort()).toEqual(catalog.map((m) => m.name).sort());
    expect([...environments]).toEqual([ENVIRONMENT]);
  });

  it("names sums as cases N1 and N3 say, and ends N2's buckets at +Inf", async () => {
    // After the archive test, which expects only catalog names there; a job
    // of its own keeps these out of the catalog series checked above.
    const job = "td-naming-cases";
    const nanos = (millis: number) => `${BigInt(millis) * 1_000_000n}`;
    const now = Date.now();
    const sum = (name: string, unit: string, value: number) => ({
      name,
      unit,
      sum: {
        aggregationTemporality: 2, // cumulative
        isMonotonic: true,
        dataPoints: [
          {
            startTimeUnixNano: nanos(now - 60_000),
            timeUnixNano: nanos(now),
            asDouble: value,
          },
        ],
      },
    });
    await send({
      resourceMetrics: [
        {
          resource: {
            attributes: [{ key: "service.name", value: { stringValue: job } }],
          },
          scopeMetrics: [
            {
              metrics: [
                sum("http.server.requests", "{request}", 11),
                sum("foo", "ms", 13),
              ],
            },
          ],
        },
      ],
    });
    // N1: an annotation unit ({request}) adds no unit word, only _total.
    // N3: ms is spelled out as milliseconds, then _total.
    const values = await waitFor(
      "both sums in Prometheus",
      async () => {
        const found = await query(
          `{__name__=~"http_server_requests_total|foo_milliseconds_total",job="${job}"}`,
        );
        return found.length === 2 ? found : undefined;
      },
      30_000,
      explain,
    );
    expect(
      Object.fromEntries(
        values.map((v) => [v.metric.__name__, Number(v.value[1])]),
      ),
    ).toEqual({ http_server_requests_total: 11, foo_milliseconds_total: 13 });

    // N2 on the catalog's own histogram (sent in beforeAll with one
    // observation in each of its 14 finite buckets and in +Inf): the last
    // bucket is le="+Inf" and holds the count.
    const [inf] = await query(
      `http_server_request_duration_seconds_bucket{le="+Inf",job="${SMOKE_RESOURCE["service.name"]}"}`,
    );
    const [count] = await query(
      `http_server_request_duration_seconds_count{job="${SMOKE_RESOURCE["service.name"]}"}`,
    );
    expect(Number(inf?.value[1])).toBe(15);
    expect(Number(count?.value[1])).toBe(15);
  });

  it("remote-writes exports in order, so Prometheus refuses none of them", async () => {
    // Regression: each write-ahead-log read-out (every 5 s) holds several
    // exports; sent in parallel, a newer sample of a series landed first
    // and Prometheus refused the older one for good as out of order.
    const gauge = catalog.find((m) => m.name === "td.queue.length")!;
    const exports = 8;
    for (let i = 1; i <= exports; i += 1) {
      await send(exportRequest([gauge], { value: 100 + i }));
      // Beyond the batch processor's 1 s timeout: one WAL entry each.
      await new Promise((resolve) => setTimeout(resolve, 1200));
    }
    const series = `${gauge.prometheusName}{job="${SMOKE_RESOURCE["service.name"]}"}[1m]`;
    const values = await waitFor(
      `${exports} samples in Prometheus`,
      async () => {
        const url = `${promUrl}/api/v1/query?query=${encodeURIComponent(series)}`;
        const body = (await (await fetch(url)).json()) as {
          data: { result: { values: [number, string][] }[] };
        };
        const sent = (body.data.result[0]?.values ?? [])
          .map(([, v]) => Number(v))
          .filter((v) => v > 100);
        return sent.length === exports ? sent : undefined;
      },
      20_000,
      explain,
    );
    expect(values).toEqual(Array.from({ length: exports }, (_, i) => 101 + i));
    expect(prom!.output()).not.toMatch(/out of order/i);
  });

  it("keeps undelivered points across a collector restart", async () => {
    // Both destinations are down: td-monitor answers 503, Prometheus is gone.
    const marker = catalog.find((m) => m.name === "td.errors")!;
    const markerValue = 99;
    sink.state.failing = true;
    await prom!.stop();
    const delivered = sink.requests.length;
    const rejected = sink.state.rejected;
    await send(exportRequest([marker], { value: markerValue }));
    // The exporter tries, fails, and holds the batch in its persistent queue;
    // remote write has it in its write-ahead log by then.
    await waitFor(
      "a rejected delivery",
      async () => (sink.state.rejected > rejected ? true : undefined),
      10_000,
      explain,
    );
    await otelcol!.stop();
    expect(sink.requests.length).toBe(delivered);

    // Nothing new is sent after the restart: whatever arrives was kept.
    sink.state.failing = false;
    await startPipeline();
    await startPrometheus();
    const replayed = await waitFor(
      "td-monitor to get the queued batch after the restart",
      async () =>
        sink.requests
          .slice(delivered)
          .find((r) => r.body.includes(marker.name)),
      20_000,
      explain,
    );
    expect(replayed.body.includes(marker.name)).toBe(true);
    await waitFor(
      "Prometheus to get the write-ahead-logged point after the restart",
      async () => {
        const [errors] = await query(marker.prometheusName);
        return Number(errors?.value[1]) === markerValue ? true : undefined;
      },
      30_000,
      explain,
    );
  });
});

// The OTLP/JSON the overlay exporters send, as far as this test reads it.
interface SentPoint {
  asDouble?: number;
  asInt?: string;
}
interface SentMetric {
  name: string;
  sum?: { aggregationTemporality: number; dataPoints: SentPoint[] };
}
interface SentRequest {
  resourceMetrics: { scopeMetrics: { metrics: SentMetric[] }[] }[];
}

function sumsIn(bodies: Buffer[], name: string) {
  const found: { temporality: number; values: number[] }[] = [];
  for (const body of bodies) {
    const request = JSON.parse(body.toString("utf8")) as SentRequest;
    for (const rm of request.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const metric of sm.metrics) {
          if (metric.name !== name || !metric.sum) continue;
          found.push({
            temporality: metric.sum.aggregationTemporality,
            values: metric.sum.dataPoints.map(
              (p) => p.asDouble ?? Number(p.asInt),
            ),
          });
        }
      }
    }
  }
  return found;
}

describe.skipIf(!collector && !inCI)("live overlays", () => {
  const DELTA = 1;
  const CUMULATIVE = 2;
  let scratch: string;
  let otelcol: Running | undefined;
  const sinks: Awaited<ReturnType<typeof startOtlpSink>>[] = [];
  let signoz: (typeof sinks)[number];
  let grafana: (typeof sinks)[number];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "td-otelcol-overlays-"));
    const [tdMonitor, promWrite] = [
      await startOtlpSink(),
      await startOtlpSink(),
    ];
    signoz = await startOtlpSink();
    grafana = await startOtlpSink();
    sinks.push(tdMonitor, promWrite, signoz, grafana);

    // Test-only overlay, merged last like any other: JSON instead of protobuf
    // so that the test can read the temporality the destinations receive.
    const jsonOverlay = join(scratch, "json-encoding.yaml");
    writeFileSync(
      jsonOverlay,
      [
        "exporters:",
        "  otlp_http/signoz: { encoding: json, compression: none }",
        "  otlp_http/grafana-cloud: { encoding: json, compression: none }",
        "",
      ].join("\n"),
    );
    const ports = await collectorPorts();
    otelcol = await startCollector(
      requireCollector(),
      [mainConfig, ...overlays, jsonOverlay],
      {
        cwd: scratch,
        env: {
          ...envWithoutConfigVariables(),
          ...ports.env,
          TD_MONITORING_DATA_DIR: join(scratch, "data"),
          TD_MONITOR_OTLP_ENDPOINT: `http://127.0.0.1:${tdMonitor.port}`,
          PROMETHEUS_REMOTE_WRITE_URL: `http://127.0.0.1:${promWrite.port}/api/v1/write`,
          SIGNOZ_OTLP_ENDPOINT: `http://127.0.0.1:${signoz.port}`,
          SIGNOZ_INGESTION_KEY: "signoz-test-key",
          GRAFANA_CLOUD_OTLP_ENDPOINT: `http://127.0.0.1:${grafana.port}/otlp`,
          GRAFANA_CLOUD_OTLP_AUTHORIZATION: "Basic MTIzNDU2OnRlc3QtdG9rZW4=",
        },
      },
    );

    const counter = catalog.find((m) => m.name === "td.documents.processed")!;
    const deltaCounter = catalog.find((m) => m.name === DELTA_METRIC)!;
    // Two cumulative readings of one counter, then a delta counter: SigNoz
    // should get the difference, Grafana Cloud the running totals.
    const startMillis = Date.now() - 60_000;
    const first = exportRequest([counter, deltaCounter], { startMillis });
    const { status } = await sendOtlpJson(ports.otlpUrl, first);
    expect(status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const second = exportRequest([counter], { startMillis, value: 10 });
    expect((await sendOtlpJson(ports.otlpUrl, second)).status).toBe(200);
  });

  afterAll(async () => {
    await otelcol?.stop();
    for (const sink of sinks) await sink.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const explain = () => otelcol?.output().slice(-4000) ?? "";

  it("sends SigNoz delta sums with its ingestion key", async () => {
    const sums = await waitFor(
      "SigNoz to receive the counter's delta",
      async () => {
        const found = sumsIn(
          signoz.requests.map((r) => r.body),
          "td.documents.processed",
        );
        return found.length > 0 ? found : undefined;
      },
      15_000,
      explain,
    );
    // The first cumulative reading has no predecessor, so it yields no delta.
    expect(sums).toEqual([
      { temporality: DELTA, values: [10 - SMOKE_VALUES.documentsProcessed] },
    ]);
    expect(
      sumsIn(
        signoz.requests.map((r) => r.body),
        DELTA_METRIC,
      ),
    ).toEqual([
      { temporality: DELTA, values: [SMOKE_VALUES.featureUsesDelta] },
    ]);
    expect(signoz.requests[0]!.url).toBe("/v1/metrics");
    expect(signoz.requests[0]!.headers["signoz-ingestion-key"]).toBe(
      "signoz-test-key",
    );
  });

  it("sends Grafana Cloud cumulative sums with its authorization", async () => {
    const sums = await waitFor(
      "Grafana Cloud to receive both readings",
      async () => {
        const found = sumsIn(
          grafana.requests.map((r) => r.body),
          "td.documents.processed",
        );
        return found.flatMap((f) => f.values).length >= 2 ? found : undefined;
      },
      15_000,
      explain,
    );
    expect(sums.every((s) => s.temporality === CUMULATIVE)).toBe(true);
    expect(sums.flatMap((s) => s.values)).toEqual([
      SMOKE_VALUES.documentsProcessed,
      10,
    ]);
    expect(
      sumsIn(
        grafana.requests.map((r) => r.body),
        DELTA_METRIC,
      ),
    ).toEqual([
      { temporality: CUMULATIVE, values: [SMOKE_VALUES.featureUsesDelta] },
    ]);
    expect(grafana.requests[0]!.url).toBe("/otlp/v1/metrics");
    expect(grafana.requests[0]!.headers.authorization).toBe(
      "Basic MTIzNDU2OnRlc3QtdG9rZW4=",
    );
  });
});
