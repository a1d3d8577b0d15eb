/**
 * The service under load in the HTTP overhead benchmark: one small JSON
 * response per request, on node:http or Express, optionally with prom-client.
 * Prints `listening <port>` once it accepts connections.
 *
 *   BENCH_FRAMEWORK=plain|express   BENCH_PROM=1   node [--require …] server.cjs
 */
/* eslint-disable @typescript-eslint/no-require-imports --
   CommonJS on purpose: the auto-instrumentations register patches modules
   loaded through require(), and an ESM app would escape it. */
"use strict";
const http = require("node:http");

const framework = process.env.BENCH_FRAMEWORK ?? "plain";
const body = JSON.stringify({ ok: true, service: "bench" });
const prom = process.env.BENCH_PROM === "1" ? startProm() : undefined;

// prom-client as its docs show it: default metrics, a latency histogram
// observed when the response finishes, and /metrics for the scraper.
function startProm() {
  const client = require("prom-client");
  client.collectDefaultMetrics();
  const histogram = new client.Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests.",
    labelNames: ["method", "route", "status_code"],
    buckets: [
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ],
  });
  const observe = (req, res, route) => {
    const end = histogram.startTimer();
    res.once("finish", () =>
      end({ method: req.method, route, status_code: res.statusCode }),
    );
  };
  const metrics = async (res) => {
    res.setHeader("content-type", client.register.contentType);
    res.end(await client.register.metrics());
  };
  return { observe, metrics };
}

function reply(res) {
  res.setHeader("content-type", "application/json");
  res.end(body);
}

function plainServer() {
  return http.createServer((req, res) => {
    if (prom && req.url === "/metrics") return void prom.metrics(res);
    prom?.observe(req, res, "/hello/:id");
    reply(res);
  });
}

function expressServer() {
  const express = require("express");
  const app = express();
  if (prom) app.get("/metrics", (_req, res) => void prom.metrics(res));
  app.get("/hello/:id", (req, res) => {
    prom?.observe(req, res, "/hello/:id");
    reply(res);
  });
  return http.createServer(app);
}

const server = framework === "express" ? expressServer() : plainServer();
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
// SIGTERM's default would skip the register entries' flush; exit normally.
process.once("SIGTERM", () => server.close(() => process.exit(0)));
