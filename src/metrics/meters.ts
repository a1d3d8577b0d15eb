/**
 * TD Generator's own meters, as a typed API:
 *
 * ```ts
 * import { metrics } from "td-monitoring";
 * metrics.documentProcessed({ type: "invoice", outcome: "success", durationSeconds: 0.42 });
 * ```
 *
 * Every method records on the global MeterProvider (the one the register
 * entry starts), under the catalog's names, units and attributes. Before a
 * provider exists the calls cost next to nothing and record nothing; the
 * instruments are made again when the global provider changes.
 */
import {
  diag,
  metrics as otelMetrics,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterProvider,
  type UpDownCounter,
} from "@opentelemetry/api";
import {
  ACTIVE_USER_WINDOWS,
  ActiveUsers,
  type ActiveUserWindow,
} from "./active-users.js";
import { instrumentOptions, requireMetric } from "./catalog.js";
import { METER_NAME, METER_VERSION } from "./views.js";

/** How processing a document ended. */
export type DocumentOutcome = "success" | "failure";

/** One processed document, for {@link AppMetrics.documentProcessed}. */
export interface ProcessedDocument {
  /** The document type, e.g. `invoice`; keep the set small and fixed. */
  readonly type: string;
  readonly outcome: DocumentOutcome;
  /** How long processing took, in seconds. */
  readonly durationSeconds?: number;
  /** The size of the generated document, in bytes. */
  readonly sizeBytes?: number;
}

/** Options of {@link createAppMetrics}. */
export interface AppMetricsOptions {
  /**
   * The provider to record on; by default the global one, looked up on each
   * call so that a provider set later is picked up.
   */
  readonly meterProvider?: MeterProvider;
  /** Feature names counted by name; any other is counted as `other`. */
  readonly features?: readonly string[];
  /** The clock of the active-user windows, in epoch milliseconds. */
  readonly now?: () => number;
}

/** The app meters; see docs/instrumentation.md for an example of each. */
export interface AppMetrics {
  /** Counts a processed document and records its duration and size. */
  documentProcessed(document: ProcessedDocument): void;
  /** Sets the number of jobs waiting in a queue. */
  queueLength(queue: string, length: number): void;
  /** Counts a cache lookup as a hit or a miss. */
  cacheLookup(cache: string, hit: boolean): void;
  /** Counts an error by type: a string, or an Error's name. */
  error(type: string | Error): void;
  /** Notes that a user was active; the id is hashed and never exported. */
  userActive(userId: string): void;
  /** Counts a user seen for the first time (e.g. at sign-up). */
  newUser(): void;
  sessionStarted(): void;
  sessionEnded(): void;
  /** Counts one use of a feature (names off the allow-list count as `other`). */
  featureUsed(feature: string): void;
  /** Records a satisfaction score from 1 to 5; other values are dropped. */
  satisfaction(score: number): void;
  /** Sets the features counted by name (see {@link AppMetricsOptions.features}). */
  allowFeatures(features: readonly string[]): void;
  /** Exports what has been recorded now, e.g. before `process.exit()`. */
  flush(): Promise<void>;
}

/** The feature name recorded for features off the allow-list. */
export const OTHER_FEATURE = "other";

/** App meters on a given provider (or the global one). */
export function createAppMetrics(options: AppMetricsOptions = {}): AppMetrics {
  return new AppMeters(options);
}

interface Instruments {
  readonly documents: Counter;
  readonly documentDuration: Histogram;
  readonly documentSize: Histogram;
  readonly queueLength: Gauge;
  readonly cacheLookups: Counter;
  readonly errors: Counter;
  readonly sessions: UpDownCounter;
  readonly newUsers: Counter;
  readonly features: Counter;
  readonly satisfaction: Histogram;
}

class AppMeters implements AppMetrics {
  private readonly activeUsers: ActiveUsers;
  private features: ReadonlySet<string>;
  private provider: MeterProvider | undefined;
  private instruments: Instruments | undefined;
  private readonly warned = new Set<string>();

  constructor(private readonly options: AppMetricsOptions) {
    this.activeUsers = new ActiveUsers(options.now);
    this.features = new Set(options.features ?? []);
  }

  documentProcessed({
    type,
    outcome,
    durationSeconds,
    sizeBytes,
  }: ProcessedDocument): void {
    const i = this.current();
    const attributes = {
      "td.document.type": type,
      "td.document.outcome": outcome,
    };
    i.documents.add(1, attributes);
    if (durationSeconds !== undefined) {
      if (this.valid("durationSeconds", durationSeconds, 0, Infinity)) {
        i.documentDuration.record(durationSeconds, attributes);
      }
    }
    if (
      sizeBytes !== undefined &&
      this.valid("sizeBytes", sizeBytes, 0, Infinity)
    ) {
      i.documentSize.record(sizeBytes, { "td.document.type": type });
    }
  }

  queueLength(queue: string, length: number): void {
    if (!this.valid("queue length", length, 0, Infinity)) return;
    this.current().queueLength.record(length, { "td.queue.name": queue });
  }

  cacheLookup(cache: string, hit: boolean): void {
    this.current().cacheLookups.add(1, {
      "td.cache.name": cache,
      "td.cache.result": hit ? "hit" : "miss",
    });
  }

  error(type: string | Error): void {
    const name = typeof type === "string" ? type : type.name || "Error";
    this.current().errors.add(1, { "error.type": name });
  }

  userActive(userId: string): void {
    this.current();
    this.activeUsers.record(userId);
  }

  newUser(): void {
    this.current().newUsers.add(1);
  }

  sessionStarted(): void {
    this.current().sessions.add(1);
  }

  sessionEnded(): void {
    this.current().sessions.add(-1);
  }

  featureUsed(feature: string): void {
    const name = this.features.has(feature) ? feature : OTHER_FEATURE;
    this.current().features.add(1, { "td.feature.name": name });
  }

  satisfaction(score: number): void {
    if (!this.valid("satisfaction score", score, 1, 5)) return;
    this.current().satisfaction.record(score);
  }

  allowFeatures(features: readonly string[]): void {
    this.features = new Set(features);
  }

  async flush(): Promise<void> {
    const provider =
      this.options.meterProvider ?? otelMetrics.getMeterProvider();
    const flushable = provider as MeterProvider & {
      forceFlush?: () => Promise<void>;
    };
    await flushable.forceFlush?.();
  }

  // The provider is compared by identity on each call, which is cheap; the
  // instruments are rebuilt only when it changed.
  private current(): Instruments {
    const provider =
      this.options.meterProvider ?? otelMetrics.getMeterProvider();
    if (this.instruments === undefined || provider !== this.provider) {
      this.provider = provider;
      this.instruments = this.createInstruments(
        provider.getMeter(METER_NAME, METER_VERSION),
      );
    }
    return this.instruments;
  }

  private createInstruments(meter: Meter): Instruments {
    meter
      .createObservableGauge("td.users.active", options("td.users.active"))
      .addCallback((result) => {
        for (const window of Object.keys(ACTIVE_USER_WINDOWS)) {
          result.observe(this.activeUsers.count(window as ActiveUserWindow), {
            "td.users.window": window,
          });
        }
      });
    return {
      documents: meter.createCounter(
        "td.documents.processed",
        options("td.documents.processed"),
      ),
      documentDuration: meter.createHistogram(
        "td.document.processing.duration",
        options("td.document.processing.duration"),
      ),
      documentSize: meter.createHistogram(
        "td.document.size",
        options("td.document.size"),
      ),
      queueLength: meter.createGauge(
        "td.queue.length",
        options("td.queue.length"),
      ),
      cacheLookups: meter.createCounter(
        "td.cache.lookups",
        options("td.cache.lookups"),
      ),
      errors: meter.createCounter("td.errors", options("td.errors")),
      sessions: meter.createUpDownCounter(
        "td.sessions.active",
        options("td.sessions.active"),
      ),
      newUsers: meter.createCounter("td.users.new", options("td.users.new")),
      features: meter.createCounter(
        "td.feature.usage",
        options("td.feature.usage"),
      ),
      satisfaction: meter.createHistogram(
        "td.user.satisfaction",
        options("td.user.satisfaction"),
      ),
    };
  }

  // Bad values are dropped; each kind is reported once, not per call.
  private valid(
    what: string,
    value: number,
    min: number,
    max: number,
  ): boolean {
    if (Number.isFinite(value) && value >= min && value <= max) return true;
    if (!this.warned.has(what)) {
      this.warned.add(what);
      diag.warn(
        `td-monitoring: ${what} ${value} is outside [${min}, ${max}]; dropped ` +
          `(further bad values of this kind are dropped silently)`,
      );
    }
    return false;
  }
}

function options(name: string) {
  return instrumentOptions(requireMetric(name));
}

/** TD Generator's meters on the global MeterProvider. */
export const metrics: AppMetrics = createAppMetrics();
