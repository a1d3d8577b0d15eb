/**
 * `--since` and `--until` as every reading command takes them: a duration
 * back from now (`30s`, `5m`, `1h30m`, `7d`), an ISO 8601 time or date
 * (`2024-05-01T12:00:00Z`, `2024-05-01`), epoch seconds, or `now` for
 * `--until`. A time without an offset is local time, as `Date` reads it.
 */
import { parseDurationSeconds } from "../alerts/duration.js";
import { UsageError } from "./errors.js";

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EPOCH_SECONDS = /^\d{9,11}(?:\.\d+)?$/;

const FORMS =
  "a duration back from now such as 30s, 5m, 1h or 7d, a time such as 2024-05-01T12:00:00Z, or epoch seconds";

/**
 * The epoch milliseconds a `--since`/`--until` value names; throws a
 * UsageError that names the flag and the forms it takes.
 *
 * @example parseTimeFlag("--since", "1h", Date.now()) // an hour ago
 */
export function parseTimeFlag(
  flag: string,
  text: string,
  nowMillis: number,
): number {
  const trimmed = text.trim();
  if (trimmed === "now") return nowMillis;

  const seconds = parseDurationSeconds(trimmed);
  if (seconds !== undefined) return nowMillis - seconds * 1000;
  if (EPOCH_SECONDS.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (ISO_TIME.test(trimmed)) {
    const millis = Date.parse(trimmed);
    if (!Number.isNaN(millis) && isCalendarDate(trimmed)) return millis;
  }
  throw new UsageError(
    `${flag} "${text}" is not a time; expected ${FORMS}${flag === "--until" ? " or now" : ""}`,
  );
}

/**
 * Whether the `YYYY-MM-DD` a time starts with is a day of the calendar:
 * `Date` reads 2024-02-30 as 2024-03-01 and the range would quietly move.
 */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split("-").map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day
  );
}

/** A time range from `--since` (default `defaultSince`) and `--until` (default now). */
export interface TimeRange {
  readonly startMillis: number;
  readonly endMillis: number;
}

/**
 * The range `--since` and `--until` give; throws a UsageError when it is
 * empty or reversed. An `--until` in the future ends at now, with a note:
 * no data lies beyond now, and a longer range would dilute `rate`.
 */
export function parseTimeRange(
  flags: { since?: string; until?: string },
  nowMillis: number,
  defaultSince = "1h",
  note: (text: string) => void = (text) =>
    process.stderr.write(`td-monitor: ${text}\n`),
): TimeRange {
  const startMillis = parseTimeFlag(
    "--since",
    flags.since ?? defaultSince,
    nowMillis,
  );
  const untilMillis =
    flags.until === undefined
      ? nowMillis
      : parseTimeFlag("--until", flags.until, nowMillis);
  if (untilMillis > nowMillis) {
    note(
      `--until ${new Date(untilMillis).toISOString()} is in the future; ending at now, ${new Date(nowMillis).toISOString()}`,
    );
  }
  const endMillis = Math.min(untilMillis, nowMillis);
  if (endMillis <= startMillis) {
    throw new UsageError(
      `--until ${new Date(endMillis).toISOString()} is not after --since ${new Date(startMillis).toISOString()}`,
    );
  }
  return { startMillis, endMillis };
}

/** A duration flag (`--interval 5s`) in seconds; throws a UsageError naming the flag. */
export function parseDurationFlag(flag: string, text: string): number {
  const seconds = parseDurationSeconds(text.trim());
  if (seconds === undefined || seconds <= 0) {
    throw new UsageError(
      `${flag} "${text}" is not a duration; expected e.g. 30s, 5m, 1h or 1h30m`,
    );
  }
  return seconds;
}
