/**
 * `MonitoringManager`: the programmatic face of the readers. What
 * `td-monitor status` and `td-monitor stats` print, as objects.
 *
 * @example
 * const manager = new MonitoringManager({ store: "prometheus:http://127.0.0.1:9090" });
 * await manager.collectMetrics();
 * console.log(manager.getStatus().system.cpu.usedPercent);
 * const latency = await manager.getMetricStats("api_latency", { start: Date.now() - 3_600_000, end: Date.now() });
 * await manager.close();
 */
import path from "node:path";
import { diag } from "@opentelemetry/api";
import { AlertStore } from "./alerts/alert-store.js";
import { SEVERITIES, type Severity } from "./alerts/rule.js";
import type { AlertRecord } from "./alerts/state-file.js";
import type { CatalogMetric } from "./metrics/catalog.js";
import {
  QueryError,
  type AttributeFilter,
  type MetricShape,
  type Query,
  type QueryResult,
  type Statistic,
} from "./query/model.js";
import { resolveMetric } from "./query/resolve.js";
import { isDefinedFor, resultUnit } from "./query/statistic.js";
import { resolveDataDir } from "./store/embedded/paths.js";
import { openStore, parseStoreSpec } from "./store/open-store.js";
import type { MetricStore } from "./store/types.js";

/** Options of {@link MonitoringManager}. */
export interface MonitoringManagerOptions {
  /**
   * The store to read: a MetricStore, or a `--store` value such as
   * `embedded:data/monitoring` or `prometheus:http://127.0.0.1:9090`.
   * Default: `TD_MONITORING_STORE`, else the embedded store.
   */
  readonly store?: MetricStore | string;
  /**
   * Where the alert evaluator keeps its state. Default: `<data dir>/alerts`
   * of the embedded store read (`embedded:DIR` gives `DIR/alerts`), else of
   * `TD_MONITORING_DATA_DIR` or `data/monitoring`.
   */
  readonly alertsDir?: string;
  /** The window of the status' rates and latencies. Default 300. */
  readonly statusWindowSeconds?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
}

/** A time as epoch milliseconds or a Date. */
export type TimeInput = number | Date;

/** What to compute stats over. */
export interface StatsOptions {
  readonly start: TimeInput;
  /** Default: now. */
  readonly end?: TimeInput;
  readonly filters?: readonly AttributeFilter[];
  /**
   * Attribute keys to break the stats down by. Default: the metric's
   * `defaultGroupBy` when its series are parts of a whole (CPU states,
   * memory used and free), else none; `[]` asks for no breakdown.
   */
  readonly groupBy?: readonly string[];
}

/** The statistics `stats` reports, in the order it prints them. */
export const STAT_NAMES = [
  "avg",
  "min",
  "max",
  "p50",
  "p95",
  "p99",
  "count",
  "rate",
  "increase",
  "last",
] as const;
export type StatName = (typeof STAT_NAMES)[number];

/** One value per statistic; null where the shape does not define it or the data gives none. */
export type StatValues = Record<StatName, number | null>;

/** The stats of a metric over a time range. */
export interface MetricStats extends StatValues {
  /** The catalog name. */
  readonly metric: string;
  readonly shape: MetricShape;
  /** The metric's unit. */
  readonly unit: string;
  /** The unit of each statistic; null where the shape does not define it. */
  readonly units: Record<StatName, string | null>;
  readonly startMillis: number;
  readonly endMillis: number;
  /** The attributes the groups are broken down by; the default or those asked for. */
  readonly groupBy: readonly string[];
  /**
   * Per group when a group-by was asked for or defaulted, ordered by labels.
   * Under a defaulted group-by the overall values are null: pooling the parts
   * of a whole (CPU idle with CPU user) gives no meaningful number.
   */
  readonly groups: ReadonlyArray<{
    readonly labels: Readonly<Record<string, string>>;
    readonly values: StatValues;
  }>;
}

/** The state of the host, the service and its users at one time. */
export interface Status {
  readonly timeMillis: number;
  readonly windowSeconds: number;
  readonly store: string;
  readonly system: {
    readonly cpu: { readonly usedPercent: number | null };
    readonly memory: { readonly usedPercent: number | null };
    readonly disk: ReadonlyArray<{
      readonly mountpoint: string;
      readonly usedPercent: number;
    }>;
    readonly network: {
      readonly receiveBytesPerSecond: number | null;
      readonly transmitBytesPerSecond: number | null;
    };
  };
  readonly application: {
    readonly requestsPerSecond: number | null;
    readonly latencyP95Seconds: number | null;
    /** Requests with an `error.type` (5xx, aborted) over all requests. */
    readonly errorRatePercent: number | null;
    readonly documentsPerSecond: number | null;
  };
  readonly users: {
    /**
     * Distinct users by window (`5m`, `1h`, `24h`, in that order), summed
     * over the services and instances that report them.
     */
    readonly active: Readonly<Record<string, number>>;
    readonly sessions: number | null;
  };
  /** Firing alerts by severity; null when the alert state cannot be read. */
  readonly alerts: Readonly<Record<Severity, number>> | null;
}

const STATISTICS: Record<StatName, Statistic> = {
  avg: { kind: "avg" },
  min: { kind: "min" },
  max: { kind: "max" },
  p50: { kind: "quantile", q: 0.5 },
  p95: { kind: "quantile", q: 0.95 },
  p99: { kind: "quantile", q: 0.99 },
  count: { kind: "count" },
  rate: { kind: "rate" },
  increase: { kind: "increase" },
  last: { kind: "last" },
};

/** Reads status and stats from one store. */
export class MonitoringManager {
  private store: MetricStore | undefined;
  private readonly storeChoice: MetricStore | string | undefined;
  private readonly alertsDirChoice: string | undefined;
  private readonly statusWindowSeconds: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly clock: () => number;
  private status: Status | undefined;

  constructor(options: MonitoringManagerOptions = {}) {
    const { env = process.env, clock = Date.now } = options;
    const { statusWindowSeconds = 300 } = options;
    if (!(statusWindowSeconds > 0)) {
      throw new RangeError(
        `statusWindowSeconds must be a positive number, got ${statusWindowSeconds}`,
      );
    }
    this.storeChoice = options.store;
    this.env = env;
    this.clock = clock;
    this.statusWindowSeconds = statusWindowSeconds;
    this.alertsDirChoice = options.alertsDir;
  }

  /**
   * The alerts beside the series read: `status --store embedded:DIR` counted
   * the alerts of `data/monitoring` while `alerts list --data-dir DIR` listed
   * DIR's. Parsed on use, as the store is, so a bad spec fails on first use.
   */
  private alertsDir(): string {
    if (this.alertsDirChoice !== undefined) return this.alertsDirChoice;
    const choice = this.storeChoice;
    const spec =
      typeof choice === "object" ? undefined : parseStoreSpec(choice, this.env);
    const dataDir =
      spec?.kind === "embedded"
        ? spec.dataDir
        : resolveDataDir(undefined, this.env);
    return path.join(dataDir, "alerts");
  }

  /** The store, opened on first use so that constructing never fails on I/O. */
  getStore(): MetricStore {
    if (this.store !== undefined) return this.store;
    const choice = this.storeChoice;
    this.store =
      typeof choice === "object"
        ? choice
        : openStore(parseStoreSpec(choice, this.env));
    return this.store;
  }

  /** Answers one query in the query model. */
  async query(query: Query): Promise<QueryResult> {
    return this.getStore().query(query);
  }

  /**
   * Reads the status from the store, as of now or of `atMillis`;
   * `getStatus()` returns it afterwards.
   */
  async collectMetrics(options: { atMillis?: number } = {}): Promise<Status> {
    this.status = await readStatus(
      this.getStore(),
      options.atMillis ?? this.clock(),
      this.statusWindowSeconds,
      () => firingBySeverity(this.alertsDir(), options.atMillis),
    );
    return this.status;
  }

  /** The status of the last `collectMetrics()`; throws before the first. */
  getStatus(): Status {
    if (this.status === undefined) {
      throw new Error("no status yet; await manager.collectMetrics() first");
    }
    return this.status;
  }

  /**
   * avg, min, max, p50, p95, p99, count, rate, increase and last of a metric
   * (catalog name, Prometheus name or alias) over a time range, each with
   * its unit; statistics the metric's shape does not define are null.
   */
  async getMetricStats(
    metric: string,
    options: StatsOptions,
  ): Promise<MetricStats> {
    const entry = resolveMetric(metric);
    const startMillis = toMillis(options.start);
    const endMillis =
      options.end === undefined ? this.clock() : toMillis(options.end);
    const base = {
      metric: entry.name,
      startMillis,
      endMillis,
      filters: options.filters ?? [],
    };
    const store = this.getStore();
    const defaulted = options.groupBy === undefined;
    const groupBy = options.groupBy ?? entry.defaultGroupBy ?? [];
    const [overall, grouped] = await Promise.all([
      defaulted && groupBy.length > 0
        ? Promise.resolve([])
        : statValues(store, entry, { ...base, groupBy: [] }),
      groupBy.length === 0
        ? Promise.resolve([])
        : statValues(store, entry, { ...base, groupBy }),
    ]);
    if (!defaulted)
      await requireAttributes(store, entry, base, grouped, groupBy);
    return {
      ...(overall[0]?.values ?? emptyValues()),
      metric: entry.name,
      shape: entry.shape,
      unit: entry.unit,
      units: statUnits(entry),
      startMillis,
      endMillis,
      groupBy,
      groups: grouped,
    };
  }

  /**
   * Pending and firing alerts (most severe, then most recent first),
   * optionally of one severity, from the evaluator's state.
   *
   * @example await manager.getActiveAlerts({ severity: "critical" })
   */
  async getActiveAlerts(
    options: { severity?: Severity } = {},
  ): Promise<AlertRecord[]> {
    return new AlertStore(this.alertsDir(), {
      clock: this.clock,
    }).getActiveAlerts(options);
  }

  /**
   * Resolves an alert by hand. If its condition still holds, the series
   * starts over: a new alert goes pending at the next evaluation (see
   * docs/alerts.md, "Resolving by hand").
   */
  async resolveAlert(
    id: string,
    note = "resolved through the API",
  ): Promise<AlertRecord> {
    return new AlertStore(this.alertsDir(), { clock: this.clock }).resolve(
      id,
      note,
    );
  }

  /** Closes the store; safe to call twice. */
  async close(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    // A store passed in belongs to the caller.
    if (store !== undefined && typeof this.storeChoice !== "object") {
      await store.close();
    }
  }
}

function toMillis(time: TimeInput): number {
  return time instanceof Date ? time.getTime() : time;
}

function emptyValues(): StatValues {
  return Object.fromEntries(
    STAT_NAMES.map((name) => [name, null]),
  ) as StatValues;
}

function statUnits(metric: CatalogMetric): Record<StatName, string | null> {
  const entries = STAT_NAMES.map((name) => {
    const statistic = STATISTICS[name];
    return [
      name,
      isDefinedFor(metric.shape, statistic)
        ? resultUnit(metric.shape, metric.unit, statistic)
        : null,
    ];
  });
  return Object.fromEntries(entries) as Record<StatName, string | null>;
}

type BaseQuery = Omit<Query, "statistic">;

/**
 * Throws a QueryError when a group-by key is on none of the series, naming
 * the attributes that are: grouping by a misspelt key gave one silent
 * `(none)` row.
 */
async function requireAttributes(
  store: MetricStore,
  metric: CatalogMetric,
  base: { startMillis: number; endMillis: number },
  groups: ReadonlyArray<{ labels: Record<string, string> }>,
  groupBy: readonly string[],
): Promise<void> {
  if (groups.length === 0) return;
  const missing = groupBy.filter((key) =>
    groups.every(({ labels }) => labels[key] === undefined),
  );
  if (missing.length === 0) return;
  const series = await store.listSeries(
    metric.name,
    base.startMillis,
    base.endMillis,
  );
  // Prometheus spells `system.cpu.state` as `system_cpu_state`.
  const byPromName = new Map(
    metric.attributes.map((key) => [key.replace(/[^a-zA-Z0-9_]/g, "_"), key]),
  );
  const present = [
    ...new Set(
      series.flatMap((s) =>
        Object.keys(s.labels).map((key) => byPromName.get(key) ?? key),
      ),
    ),
  ].sort();
  const keys = missing.map((key) => `"${key}"`).join(", ");
  throw new QueryError(
    `no series of ${metric.name} has the attribute ${keys}; ${
      present.length === 0
        ? "its series have no attributes"
        : `its series have ${present.join(", ")}`
    }`,
  );
}

/** Every defined statistic, one query each, joined by group. */
async function statValues(
  store: MetricStore,
  metric: CatalogMetric,
  base: BaseQuery,
): Promise<Array<{ labels: Record<string, string>; values: StatValues }>> {
  const names = STAT_NAMES.filter((name) =>
    isDefinedFor(metric.shape, STATISTICS[name]),
  );
  const results = await Promise.all(
    names.map((name) => store.query({ ...base, statistic: STATISTICS[name] })),
  );
  const groups = new Map<
    string,
    { labels: Record<string, string>; values: StatValues }
  >();
  results.forEach((result, i) => {
    for (const { labels, value } of result.series) {
      const key = JSON.stringify(labels);
      const group = groups.get(key) ?? { labels, values: emptyValues() };
      group.values[names[i] as StatName] = Number.isNaN(value) ? null : value;
      groups.set(key, group);
    }
  });
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => group);
}

/** The status at `nowMillis`: every figure one query over the window before it. */
async function readStatus(
  store: MetricStore,
  nowMillis: number,
  windowSeconds: number,
  readAlerts: () => Promise<Status["alerts"]>,
): Promise<Status> {
  const ask = (
    metric: string,
    statistic: Statistic,
    filters: readonly AttributeFilter[] = [],
    groupBy: readonly string[] = [],
  ) =>
    store.query({
      metric,
      statistic,
      startMillis: nowMillis - windowSeconds * 1000,
      endMillis: nowMillis,
      filters,
      groupBy,
    });
  const last = { kind: "last" } as const;
  const rate = { kind: "rate" } as const;
  const hasError = [{ key: "error.type", op: "!=", value: "" }] as const;
  const latency = "http.server.request.duration";

  const [idle, memory, disks, network, requests, errors, p95, documents] =
    await Promise.all([
      ask("system.cpu.utilization", last, [
        { key: "system.cpu.state", op: "=", value: "idle" },
      ]),
      ask("system.memory.utilization", last, [
        { key: "system.memory.state", op: "=", value: "used" },
      ]),
      ask(
        "system.filesystem.utilization",
        last,
        [],
        ["system.filesystem.mountpoint"],
      ),
      ask("system.network.io", rate, [], ["network.io.direction"]),
      ask(latency, rate),
      ask(latency, rate, hasError),
      ask(latency, { kind: "quantile", q: 0.95 }),
      ask("td.documents.processed", rate),
    ]);
  // Users and sessions are counted per process: two services with 7 and 54
  // users have 61, so their last values are added, never averaged.
  const total = { kind: "sum" } as const;
  const [users, sessions, alerts] = await Promise.all([
    ask("td.users.active", total, [], ["td.users.window"]),
    ask("td.sessions.active", total),
    readAlerts(),
  ]);

  const idleFraction = single(idle);
  const requestRate = single(requests);
  return {
    timeMillis: nowMillis,
    windowSeconds,
    store: store.description,
    system: {
      cpu: {
        usedPercent: idleFraction === null ? null : (1 - idleFraction) * 100,
      },
      memory: { usedPercent: percent(single(memory)) },
      disk: disks.series.map(({ labels, value }) => ({
        mountpoint: labels["system.filesystem.mountpoint"] ?? "",
        usedPercent: value * 100,
      })),
      network: {
        receiveBytesPerSecond: byLabel(
          network,
          "network.io.direction",
          "receive",
        ),
        transmitBytesPerSecond: byLabel(
          network,
          "network.io.direction",
          "transmit",
        ),
      },
    },
    application: {
      requestsPerSecond: requestRate,
      latencyP95Seconds: single(p95),
      errorRatePercent:
        requestRate === null || requestRate === 0
          ? null
          : ((single(errors) ?? 0) / requestRate) * 100,
      documentsPerSecond: single(documents),
    },
    users: {
      active: byWindow(users),
      sessions: single(sessions),
    },
    alerts,
  };
}

const USER_WINDOWS = ["5m", "1h", "24h"];

/** Active users by window, shortest first; windows we do not know last. */
function byWindow(result: QueryResult): Record<string, number> {
  const rank = (window: string) => {
    const i = USER_WINDOWS.indexOf(window);
    return i === -1 ? USER_WINDOWS.length : i;
  };
  const entries = result.series
    .map(
      ({ labels, value }) => [labels["td.users.window"] ?? "", value] as const,
    )
    .sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(entries);
}

/** The only value of an ungrouped result; null without data. */
function single(result: QueryResult): number | null {
  const value = result.series[0]?.value;
  return value === undefined || Number.isNaN(value) ? null : value;
}

function percent(fraction: number | null): number | null {
  return fraction === null ? null : fraction * 100;
}

function byLabel(
  result: QueryResult,
  key: string,
  value: string,
): number | null {
  return result.series.find((s) => s.labels[key] === value)?.value ?? null;
}

/**
 * Alerts firing by severity: now, those in the firing state; at a past time,
 * those fired by then and not yet resolved, from the alerts' timestamps (an
 * alert that fired later is not counted, one since resolved is).
 */
async function firingBySeverity(
  alertsDir: string,
  atMillis?: number,
): Promise<Status["alerts"]> {
  try {
    const alerts = await new AlertStore(alertsDir).list();
    const firing =
      atMillis === undefined
        ? (alert: AlertRecord) => alert.state === "firing"
        : (alert: AlertRecord) =>
            alert.firedAtMillis !== undefined &&
            alert.firedAtMillis <= atMillis &&
            (alert.resolvedAtMillis === undefined ||
              alert.resolvedAtMillis > atMillis);
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<
      Severity,
      number
    >;
    for (const alert of alerts) {
      if (firing(alert)) counts[alert.severity] += 1;
    }
    return counts;
  } catch (error) {
    diag.warn(
      `status: cannot read the alert state in ${alertsDir}: ${(error as Error).message}`,
    );
    return null;
  }
}
