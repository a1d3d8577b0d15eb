/**
 * The OTLP transport's failure warnings: the endpoint (redacted) and the
 * real cause, once per cause, for a collector that answers with an error
 * status or not at all.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DiagLogLevel, diag } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { OtlpHttpTransport } from "../../src/instrumentation/otlp-exporter.js";

let server: http.Server | undefined;
afterEach(async () => {
  diag.disable();
  server?.closeAllConnections();
  await new Promise<void>((resolve) =>
    server ? server.close(() => resolve()) : resolve(),
  );
  server = undefined;
});

async function collector(handler: http.RequestListener): Promise<number> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function warnings(): string[] {
  const lines: string[] = [];
  const record = (message: string) => lines.push(message);
  const ignore = () => undefined;
  diag.setLogger(
    {
      error: record,
      warn: record,
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return lines;
}

function transport(port: number): OtlpHttpTransport {
  return new OtlpHttpTransport({
    url: `http://user:secret@127.0.0.1:${port}/v1/metrics`,
    headers: {},
    gzip: false,
    tls: {},
    newError: (message, code) => Object.assign(new Error(message), { code }),
  });
}

describe("OTLP transport failure warnings", () => {
  it.each([
    {
      answer: "HTTP 400",
      handler: ((_req, res) =>
        res.writeHead(400).end()) as http.RequestListener,
      cause: "HTTP 400 Bad Request",
    },
    {
      answer: "HTTP 503 with Retry-After beyond the timeout",
      handler: ((_req, res) =>
        res
          .writeHead(503, { "retry-after": "60" })
          .end()) as http.RequestListener,
      cause: "HTTP 503 Service Unavailable",
    },
    {
      answer: "no answer",
      handler: (() => undefined) as http.RequestListener,
      cause: "no response within 300 ms (timed out)",
    },
  ])("name the endpoint and the cause: $answer", async ({ handler, cause }) => {
    const port = await collector(handler);
    const lines = warnings();
    const t = transport(port);
    await t.send(new Uint8Array([1]), 300);
    await t.send(new Uint8Array([1]), 300);
    t.shutdown();
    expect(lines).toEqual([
      `td-monitoring: metrics export to http://***@127.0.0.1:${port}/v1/metrics ` +
        `failed: ${cause}`,
    ]);
  });
});
