/**
 * The two exporters besides OTLP, chosen by OTEL_METRICS_EXPORTER: a
 * Prometheus pull endpoint and the console, each in a real child process.
 */
import { afterEach, describe, expect, it } from "vitest";
import { catalog, findMetric } from "../../src/metrics/catalog.js";
import { freePort } from "../helpers/prometheus.js";
import { get, startApp, type ChildApp } from "./child-app.js";

let app: ChildApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe("OTEL_METRICS_EXPORTER=prometheus", () => {
  it("serves the catalog's Prometheus names on 127.0.0.1", async () => {
    const scrapePort = await freePort();
    app = await startApp({
      loader: "--require",
      app: "http-server.cjs",
      env: {
        OTEL_METRICS_EXPORTER: "prometheus",
        OTEL_EXPORTER_PROMETHEUS_PORT: String(scrapePort),
      },
    });
    for (let i = 0; i < 3; i++) expect(await get(app.port, "/")).toBe(200);

    const text = await scrape(scrapePort);
    const latency = findMetric("http.server.request.duration");
    const uptime = findMetric("process.uptime");
    const network = findMetric("system.network.io");
    expect(text).toMatch(
      new RegExp(
        `^${latency?.prometheusName}_bucket\\{.*le="\\+Inf".*\\} 3`,
        "m",
      ),
    );
    expect(text).toMatch(
      new RegExp(`^${latency?.prometheusName}_count\\{.*\\} 3`, "m"),
    );
    expect(text).toMatch(
      new RegExp(`^${uptime?.prometheusName}\\{.*\\} \\d`, "m"),
    );
    expect(text).toMatch(new RegExp(`^${network?.prometheusName}\\{`, "m"));

    // Every host and runtime metric the register entry emits is there by the
    // name the collector would give it.
    const emitted = catalog.filter(
      (m) => m.source === "host" || m.source === "runtime",
    );
    for (const metric of emitted) {
      if (metric.name === "v8js.gc.duration") continue; // only after a collection
      const name =
        metric.shape === "histogram"
          ? `${metric.prometheusName}_count`
          : metric.prometheusName;
      expect(text, metric.name).toMatch(new RegExp(`^${name}[{ ]`, "m"));
    }
  });
});

describe("OTEL_METRICS_EXPORTER=console", () => {
  it("prints the last interval when a short script ends", async () => {
    app = await startApp({
      loader: "--import",
      app: "short-task.mjs",
      env: { OTEL_METRICS_EXPORTER: "console" },
      waitForPort: false,
    });
    const { code } = await app.exited;

    expect(code).toBe(0);
    expect(app.stdout()).toContain("td.documents.processed");
    expect(app.stdout()).toContain("td.queue.length");
  });
});
