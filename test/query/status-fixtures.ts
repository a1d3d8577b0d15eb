/**
 * Recordings for `status`: every metric it reads, with samples at T0 + 25 min
 * and T0 + 30 min inside its 5-minute window ending at T0 + 30 min, and the
 * status they give.
 */
import type { Status } from "../../src/manager.js";
import { FIXTURES, type Fixture } from "./cases.js";

const every5m = (last: number, before = last) => [0, 0, 0, 0, 0, before, last];
const gauge = (
  metric: string,
  labels: Record<string, string>,
  values: number[],
): Fixture => ({
  kind: "gauge",
  metric,
  labels,
  temporality: "unspecified",
  values,
});
const counter = (
  metric: string,
  labels: Record<string, string>,
  values: number[],
): Fixture => ({
  kind: "sum",
  metric,
  labels,
  temporality: "cumulative",
  values,
});
const Q2_BOUNDS = [0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048];
const latency = (
  labels: Record<string, string>,
  sum: number,
  counts: number[],
): Fixture => ({
  kind: "histogram",
  metric: "http.server.request.duration",
  labels: { "http.route": "/docs", "http.request.method": "GET", ...labels },
  bounds: Q2_BOUNDS,
  points: [
    [25, 0, counts.map(() => 0)],
    [30, sum, counts],
  ],
});

export const STATUS_FIXTURES: readonly Fixture[] = [
  gauge(
    "system.cpu.utilization",
    { "system.cpu.state": "idle" },
    every5m(0.75),
  ),
  gauge("system.cpu.utilization", { "system.cpu.state": "user" }, every5m(0.2)),
  ...FIXTURES.filter((f) => f.metric === "system.memory.utilization"),
  gauge(
    "system.filesystem.utilization",
    { "system.filesystem.mountpoint": "/" },
    every5m(0.7),
  ),
  gauge(
    "system.filesystem.utilization",
    { "system.filesystem.mountpoint": "/data" },
    every5m(0.25),
  ),
  counter(
    "system.network.io",
    { "system.device": "eth0", "network.io.direction": "receive" },
    [0, 0, 0, 0, 0, 3000, 6000],
  ),
  counter(
    "system.network.io",
    { "system.device": "eth0", "network.io.direction": "transmit" },
    [0, 0, 0, 0, 0, 6000, 12000],
  ),
  latency(
    { "http.response.status_code": "200" },
    3.6,
    [0, 0, 0, 0, 90, 0, 0, 0],
  ),
  latency(
    { "http.response.status_code": "500", "error.type": "500" },
    1.5,
    [0, 0, 0, 0, 0, 0, 10, 0],
  ),
  counter(
    "td.documents.processed",
    { "td.document.type": "invoice", "td.document.outcome": "ok" },
    [0, 20, 40, 60, 80, 100, 160],
  ),
  gauge("td.users.active", { "td.users.window": "5m" }, every5m(12)),
  gauge("td.users.active", { "td.users.window": "1h" }, every5m(40)),
  gauge("td.users.active", { "td.users.window": "24h" }, every5m(300)),
  gauge("td.sessions.active", {}, every5m(7)),
];

/** What `status` reads from STATUS_FIXTURES at T0 + 30 min (store and time left out). */
export const EXPECTED_STATUS: Omit<Status, "timeMillis" | "store"> = {
  windowSeconds: 300,
  system: {
    cpu: { usedPercent: 25 },
    memory: { usedPercent: 50 },
    disk: [
      { mountpoint: "/", usedPercent: 70 },
      { mountpoint: "/data", usedPercent: 25 },
    ],
    network: { receiveBytesPerSecond: 10, transmitBytesPerSecond: 20 },
  },
  application: {
    requestsPerSecond: 100 / 300,
    // Rank 95 of 100: half way into the (0.1024, 0.2048] bucket.
    latencyP95Seconds: 0.1536,
    errorRatePercent: 10,
    documentsPerSecond: 60 / 300,
  },
  users: { active: { "5m": 12, "1h": 40, "24h": 300 }, sessions: 7 },
  alerts: { info: 0, warning: 0, critical: 0 },
};
