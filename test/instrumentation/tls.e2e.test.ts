/**
 * A collector behind HTTPS with a private CA: the certificate variables of
 * the OTLP exporter specification make the export trusted.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCapture, type CaptureServer } from "../helpers/otlp-capture.js";
import { startApp, type ChildApp } from "./child-app.js";

let dir: string;
let collector: CaptureServer;
const apps: ChildApp[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "td-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  collector = await startCapture({
    tls: {
      key: readFileSync(join(dir, "key.pem")),
      cert: readFileSync(join(dir, "cert.pem")),
    },
  });
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(env: Record<string, string>): Promise<ChildApp> {
  const app = await startApp({
    loader: "--require",
    app: "http-server.cjs",
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_METRIC_EXPORT_INTERVAL: "300",
      ...env,
    },
  });
  apps.push(app);
  return app;
}

describe("OTEL_EXPORTER_OTLP_CERTIFICATE", () => {
  it("trusts the collector's private CA", async () => {
    await run({ OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, "cert.pem") });

    await collector.waitFor(1);
    expect(collector.captures[0]?.contentType).toBe("application/x-protobuf");
  });

  it("warns once and keeps serving when the file cannot be read", async () => {
    const missing = join(dir, "missing.pem");
    const app = await run({ OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: missing });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const warnings = app
      .stderr()
      .split("\n")
      .filter((line) =>
        line.includes("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE"),
      );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      "cannot be read (ENOENT); using the system's CAs",
    );
  });
});
