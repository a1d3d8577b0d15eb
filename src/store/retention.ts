/**
 * Retention of raw points: samples older than a maximum age are deleted, by
 * the collector on a schedule and by `td-monitor retention` on demand.
 */
import { diag } from "@opentelemetry/api";

/** The age limit when neither a flag nor the environment sets one. */
export const DEFAULT_MAX_AGE = "15d";

/** The environment variable that overrides the default age limit. */
export const RETENTION_ENV = "TD_MONITORING_RETENTION";

const UNIT_MILLIS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A store whose old samples can be deleted; EmbeddedDatabase is one. */
export interface PrunableStore {
  deleteOlderThan(cutoffMillis: number): { samples: number; series: number };
}

/** What one pass of retention did. */
export interface RetentionResult {
  readonly cutoffMillis: number;
  readonly samples: number;
  readonly series: number;
}

/**
 * A duration like `15d`, `36h`, `90m`, `30s` or `2w` in milliseconds; throws
 * a RangeError naming `where` (a flag or variable) and quoting the value.
 */
export function parseDuration(text: string, where: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new RangeError(
      `${where} "${text}": expected a positive duration such as 15d, 36h, 90m, 30s or 2w`,
    );
  }
  return Number(match[1]) * UNIT_MILLIS[match[2]!]!;
}

/** The maximum age: the flag if given, else the environment, else 15 days. */
export function resolveMaxAgeMillis(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (flag !== undefined) return parseDuration(flag, "--max-age");
  const fromEnv = env[RETENTION_ENV];
  if (fromEnv) return parseDuration(fromEnv, RETENTION_ENV);
  return parseDuration(DEFAULT_MAX_AGE, "the default retention");
}

/** Deletes what is older than `maxAgeMillis` before `nowMillis`. */
export function applyRetention(
  store: PrunableStore,
  maxAgeMillis: number,
  nowMillis = Date.now(),
): RetentionResult {
  const cutoffMillis = nowMillis - maxAgeMillis;
  return { cutoffMillis, ...store.deleteOlderThan(cutoffMillis) };
}

/** Options of the collector's retention schedule. */
export interface RetentionScheduleOptions {
  readonly maxAgeMillis: number;
  /** Time between passes. Default one hour. */
  readonly intervalMillis?: number;
}

/**
 * Applies retention now and then every interval, until the returned stop
 * function is called. A failing pass is logged and the schedule goes on.
 */
export function scheduleRetention(
  store: PrunableStore,
  options: RetentionScheduleOptions,
): () => void {
  const { maxAgeMillis, intervalMillis = 3_600_000 } = options;
  const pass = () => {
    try {
      const { samples, series } = applyRetention(store, maxAgeMillis);
      if (samples > 0) {
        diag.info(
          `retention: deleted ${counted(samples, "sample")} and ${series} series past the age limit`,
        );
      }
    } catch (error) {
      diag.error(
        `retention: pass failed, will retry: ${(error as Error).message}`,
      );
    }
  };
  pass();
  const timer = setInterval(pass, intervalMillis);
  timer.unref();
  return () => clearInterval(timer);
}

/** `1 sample`, `2 samples`. */
function counted(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}
