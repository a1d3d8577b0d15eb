/**
 * The catalog metrics the report reads, checked against the catalog when the
 * module loads so a renamed metric fails loudly rather than as an empty
 * section.
 */
import { findMetric } from "../metrics/catalog.js";

function named(name: string): string {
  if (findMetric(name)?.name !== name) {
    throw new Error(`BUG: report names metric "${name}", not in the catalog`);
  }
  return name;
}

/** Catalog names of the metrics the report reads. */
export const METRICS = {
  cpu: named("system.cpu.utilization"),
  memory: named("system.memory.utilization"),
  filesystem: named("system.filesystem.utilization"),
  diskIo: named("system.disk.io"),
  network: named("system.network.io"),
  uptime: named("process.uptime"),
  eventLoopDelayP99: named("nodejs.eventloop.delay.p99"),
  eventLoopUtilization: named("nodejs.eventloop.utilization"),
  gcDuration: named("v8js.gc.duration"),
  httpDuration: named("http.server.request.duration"),
  documents: named("td.documents.processed"),
  documentDuration: named("td.document.processing.duration"),
  queue: named("td.queue.length"),
  cache: named("td.cache.lookups"),
  errors: named("td.errors"),
  activeUsers: named("td.users.active"),
  sessions: named("td.sessions.active"),
  newUsers: named("td.users.new"),
  features: named("td.feature.usage"),
  satisfaction: named("td.user.satisfaction"),
} as const;

/** Attribute keys and values the report filters and groups on. */
export const ATTRIBUTES = {
  cpuState: "system.cpu.state",
  memoryState: "system.memory.state",
  mountpoint: "system.filesystem.mountpoint",
  diskDirection: "disk.io.direction",
  networkDirection: "network.io.direction",
  route: "http.route",
  statusCode: "http.response.status_code",
  documentType: "td.document.type",
  documentOutcome: "td.document.outcome",
  queueName: "td.queue.name",
  cacheName: "td.cache.name",
  cacheResult: "td.cache.result",
  errorType: "error.type",
  usersWindow: "td.users.window",
  feature: "td.feature.name",
  instance: "service.instance.id",
} as const;

// What the attributes the report groups by are called in a row's label.
const ATTRIBUTE_NOUNS: Readonly<Record<string, string>> = {
  [ATTRIBUTES.mountpoint]: "mountpoint",
  [ATTRIBUTES.diskDirection]: "direction",
  [ATTRIBUTES.networkDirection]: "direction",
  [ATTRIBUTES.route]: "route",
  [ATTRIBUTES.documentType]: "document type",
  [ATTRIBUTES.queueName]: "queue name",
  [ATTRIBUTES.cacheName]: "cache name",
  [ATTRIBUTES.errorType]: "error type",
  [ATTRIBUTES.feature]: "feature name",
  [ATTRIBUTES.instance]: "instance id",
};

/**
 * The label of the row holding the series that lack the attribute a table
 * groups by, such as requests that matched no route: `(no route)`. Stores
 * group them under the empty value (PromQL's `by` does the same), which
 * would otherwise show as a row without a name.
 */
export function missingLabel(key: string): string {
  return `(no ${ATTRIBUTE_NOUNS[key] ?? key})`;
}
