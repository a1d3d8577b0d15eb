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

/**
 * The app meters; see docs/instrumentation.md for an example of each.
 *
 * No method throws, whatever it is given (JavaScript callers can pass
 * anything): a value that cannot be recorded is dropped with one warning
 * through `diag` per kind of problem. The methods need no `this`, so they can
 * be passed around unbound.
 */
export interface AppMetrics {
  /** Counts a processed document and records its duration and size. */
  documentProcessed(document: ProcessedDocument): void;
  /** Sets the number of jobs waiting in a queue. */
  queueLength(queue: string, length: number): void;
  /** Counts a cache lookup as a hit or a miss. */
  cacheLookup(cache: string, hit: boolean): void;
  /**
   * Counts an error by type: a string, or an Error's name. Anything else a
   * `catch` can hand over (`null`, `undefined`, a plain value) is counted as
   * {@link UNKNOWN_ERROR}, since an error did happen.
   */
  error(typeOrError: unknown): void;
  /**
   * Notes that a user was active; the id is hashed and never exported. A
   * number or bigint id counts as its decimal string (`42` and `"42"` are
   * the same user).
   */
  userActive(userId: string | number | bigint): void;
  /** Counts a user seen for the first time (e.g. at sign-up). */
  newUser(): void;
  sessionStarted(): void;
  sessionEnded(): void;
  /**
   * Counts one use of a feature. Names off the allow-list count as `other`,
   * with one warning per name (for the first 20 names).
   */
  featureUsed(feature: string): void;
  /**
   * Records a satisfaction score from 1 to 5, a number or a numeric string
   * as a form sends it (`"4"`); other values are dropped.
   */
  satisfaction(score: number | string): void;
  /** Sets the features counted by name (see {@link AppMetricsOptions.features}). */
  allowFeatures(features: readonly string[]): void;
  /** Exports what has been recorded now, e.g. before `process.exit()`. */
  flush(): Promise<void>;
}

/** The feature name recorded for features off the allow-list. */
export const OTHER_FEATURE = "other";

/** The `error.type` recorded when `error()` is given no string or Error. */
export const UNKNOWN_ERROR = "unknown";

/** Attribute values longer than this are cut, so one bad call cannot bloat every export. */
const MAX_ATTRIBUTE_LENGTH = 256;

/** Unknown feature names warned about one by one; beyond, one line says so. */
const MAX_WARNED_FEATURES = 20;

/** App meters on a given provider (or the global one). */
export function createAppMetrics(options: AppMetricsOptions = {}): AppMetrics {
  return guarded(new AppMeters(options));
}

/**
 * The methods of `meters` bound, each behind a guard that turns anything it
 * throws into one warning per method: a bug of ours or a provider that
 * fails must cost the app a log line, never a request.
 */
function guarded(meters: AppMeters): AppMetrics {
  const warned = new Set<string>();
  const report = (method: string, error: unknown): void => {
    if (warned.has(method)) return;
    warned.add(method);
    diag.warn(
      `td-monitoring: metrics.${method}() failed and its value was dropped: ` +
        `${error instanceof Error ? error.message : describe(error)} ` +
        `(further failures of metrics.${method}() are dropped silently)`,
    );
  };
  const guard =
    <A extends unknown[]>(method: string, call: (...args: A) => void) =>
    (...args: A): void => {
      try {
        call.apply(meters, args);
      } catch (error) {
        report(method, error);
      }
    };
  return {
    documentProcessed: guard("documentProcessed", meters.documentProcessed),
    queueLength: guard("queueLength", meters.queueLength),
    cacheLookup: guard("cacheLookup", meters.cacheLookup),
    error: guard("error", meters.error),
    userActive: guard("userActive", meters.userActive),
    newUser: guard("newUser", meters.newUser),
    sessionStarted: guard("sessionStarted", meters.sessionStarted),
    sessionEnded: guard("sessionEnded", meters.sessionEnded),
    featureUsed: guard("featureUsed", meters.featureUsed),
    satisfaction: guard("satisfaction", meters.satisfaction),
    allowFeatures: guard("allowFeatures", meters.allowFeatures),
    flush: async () => {
      try {
        await meters.flush();
      } catch (error) {
        report("flush", error);
      }
    },
  };
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

// The parameters are `unknown`: the types of AppMetrics are a promise to
// TypeScript callers only, and every value is checked here.
class AppMeters {
  private readonly activeUsers: ActiveUsers;
  private features: ReadonlySet<string>;
  private provider: MeterProvider | undefined;
  private instruments: Instruments | undefined;
  private readonly warned = new Set<string>();
  private readonly unknownFeatures = new Set<string>();

  constructor(private readonly options: AppMetricsOptions) {
    this.activeUsers = new ActiveUsers(options.now);
    this.features = new Set(options.features ?? []);
  }

  documentProcessed(document: unknown): void {
    if (typeof document !== "object" || document === null) {
      return this.drop(
        "document",
        `document ${describe(document)} is not an object { type, outcome }`,
      );
    }
    const { type, outcome, durationSeconds, sizeBytes } = document as Partial<
      Record<keyof ProcessedDocument, unknown>
    >;
    const documentType = this.label("document type", type);
    if (documentType === undefined) return;
    if (outcome !== "success" && outcome !== "failure") {
      return this.drop(
        "document outcome",
        `document outcome ${describe(outcome)} is not "success" or "failure"`,
      );
    }

    const i = this.current();
    const attributes = {
      "td.document.type": documentType,
      "td.document.outcome": outcome,
    };
    i.documents.add(1, attributes);
    const duration =
      durationSeconds === undefined
        ? undefined
        : this.number("durationSeconds", durationSeconds, 0, Infinity);
    if (duration !== undefined) i.documentDuration.record(duration, attributes);
    const size =
      sizeBytes === undefined
        ? undefined
        : this.number("sizeBytes", sizeBytes, 0, Infinity);
    if (size !== undefined) {
      i.documentSize.record(size, { "td.document.type": documentType });
    }
  }

  queueLength(queue: unknown, length: unknown): void {
    const name = this.label("queue name", queue);
    const value = this.number("queue length", length, 0, Infinity);
    if (name === undefined || value === undefined) return;
    this.current().queueLength.record(value, { "td.queue.name": name });
  }

  cacheLookup(cache: unknown, hit: unknown): void {
    const name = this.label("cache name", cache);
    if (name === undefined) return;
    this.current().cacheLookups.add(1, {
      "td.cache.name": name,
      "td.cache.result": hit ? "hit" : "miss",
    });
  }

  error(typeOrError: unknown): void {
    this.current().errors.add(1, { "error.type": errorType(typeOrError) });
  }

  userActive(userId: unknown): void {
    let id: string;
    if (typeof userId === "string") id = userId;
    else if (typeof userId === "bigint") id = String(userId);
    else if (typeof userId === "number" && Number.isFinite(userId)) {
      id = String(userId);
    } else {
      return this.drop(
        "user id",
        `user id ${describe(userId)} is not a string or a number`,
      );
    }
    this.current();
    this.activeUsers.record(id);
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

  featureUsed(feature: unknown): void {
    const name = this.label("feature name", feature);
    if (name === undefined) return;
    const known = this.features.has(name);
    if (!known) this.warnUnknownFeature(name);
    this.current().features.add(1, {
      "td.feature.name": known ? name : OTHER_FEATURE,
    });
  }

  satisfaction(score: unknown): void {
    const value = this.number("satisfaction score", score, 1, 5);
    if (value === undefined) return;
    this.current().satisfaction.record(value);
  }

  allowFeatures(features: unknown): void {
    // A lone string would otherwise be iterated as its characters.
    const list = typeof features === "string" ? [features] : iterable(features);
    if (list === undefined) {
      return this.warnOnce(
        "allowFeatures",
        `td-monitoring: allowFeatures takes an array of feature names, not ` +
          `${describe(features)}; the allow-list is unchanged`,
      );
    }
    const names = list.filter((name) => typeof name === "string");
    if (names.length < list.length) {
      this.warnOnce(
        "allowFeatures names",
        `td-monitoring: allowFeatures ignored ` +
          `${list.length - names.length} names that are not strings`,
      );
    }
    this.features = new Set(names);
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

  /**
   * A string attribute value: a string (cut to MAX_ATTRIBUTE_LENGTH) or a
   * finite number's decimal form; undefined, and one warning, otherwise.
   */
  private label(what: string, value: unknown): string | undefined {
    if (typeof value === "string") return value.slice(0, MAX_ATTRIBUTE_LENGTH);
    if (typeof value === "number" && Number.isFinite(value)) {
      return String(value);
    }
    this.drop(`${what} type`, `${what} ${describe(value)} is not a string`);
    return undefined;
  }

  /**
   * A number within [min, max]: a number, or a numeric string as forms and
   * query strings carry them; undefined, and one warning, otherwise.
   */
  private number(
    what: string,
    value: unknown,
    min: number,
    max: number,
  ): number | undefined {
    const number =
      typeof value === "number"
        ? value
        : typeof value === "string" && value.trim() !== ""
          ? Number(value)
          : Number.NaN;
    if (Number.isNaN(number)) {
      this.drop(`${what} type`, `${what} ${describe(value)} is not a number`);
      return undefined;
    }
    if (Number.isFinite(number) && number >= min && number <= max) {
      return number;
    }
    this.drop(
      `${what} range`,
      `${what} ${describe(value)} is outside [${min}, ${max}]`,
    );
    return undefined;
  }

  // Bad values are dropped; each kind is reported once, not per call.
  private drop(kind: string, problem: string): void {
    this.warnOnce(
      kind,
      `td-monitoring: ${problem}; dropped ` +
        `(further bad values of this kind are dropped silently)`,
    );
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    diag.warn(message);
  }

  // Bounded: generated names (one per user, say) must not flood the log.
  private warnUnknownFeature(name: string): void {
    if (this.unknownFeatures.has(name)) return;
    if (this.unknownFeatures.size >= MAX_WARNED_FEATURES) {
      return this.warnOnce(
        "unknown features",
        `td-monitoring: more features off the allow-list were counted as ` +
          `"${OTHER_FEATURE}"; further names are not warned about`,
      );
    }
    this.unknownFeatures.add(name);
    diag.warn(
      `td-monitoring: feature ${describe(name)} is not on the allow-list ` +
        `and was counted as "${OTHER_FEATURE}"; to count it by name, call ` +
        `metrics.allowFeatures([${describe(name)}, …]) at startup`,
    );
  }
}

/** The `error.type` of what `error()` was given. */
function errorType(value: unknown): string {
  if (typeof value === "string") {
    return value === "" ? UNKNOWN_ERROR : value.slice(0, MAX_ATTRIBUTE_LENGTH);
  }
  if (typeof value !== "object" || value === null) return UNKNOWN_ERROR;
  // An Error, or what passes for one (from another realm, or a library's).
  const { name } = value as { name?: unknown };
  if (typeof name === "string" && name !== "") {
    return name.slice(0, MAX_ATTRIBUTE_LENGTH);
  }
  return value instanceof Error ? "Error" : UNKNOWN_ERROR;
}

function iterable(value: unknown): unknown[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (!(Symbol.iterator in value)) return undefined;
  return Array.from(value as Iterable<unknown>);
}

/**
 * A value as a warning quotes it: never throws (a Symbol does in a template
 * string) and never runs long.
 */
function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(
        value.length > 40 ? `${value.slice(0, 40)}…` : value,
      );
    case "symbol":
      return value.toString().slice(0, 60);
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? "an array" : "an object";
    default:
      return String(value);
  }
}

function options(name: string) {
  return instrumentOptions(requireMetric(name));
}

/** TD Generator's meters on the global MeterProvider. */
export const metrics: AppMetrics = createAppMetrics();
