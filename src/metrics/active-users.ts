/**
 * Distinct active users over sliding windows, counted in process with
 * bounded memory and without keeping any user id.
 *
 * Each id is hashed into HyperLogLog sketches (4 KiB each, about 1.6 %
 * standard error; for small sets the sketch counts by linear counting, which
 * is exact for a handful of users and within about 1 % for a few hundred). One sketch per minute covers the 5-minute
 * and 1-hour windows, one per hour the 24-hour window, so at most 61 + 25
 * sketches (about 340 KiB) exist however many users come. A window is
 * counted to the granularity of its sketches, rounded outwards: the 5-minute
 * count may include one extra minute, the 24-hour count one extra hour.
 */
import { hash } from "node:crypto";

/** The windows `td.users.active` reports, by their `td.users.window` value. */
export const ACTIVE_USER_WINDOWS = {
  "5m": 5 * 60_000,
  "1h": 60 * 60_000,
  "24h": 24 * 60 * 60_000,
} as const;

/** A `td.users.window` value. */
export type ActiveUserWindow = keyof typeof ACTIVE_USER_WINDOWS;

const PRECISION = 12;
const REGISTERS = 1 << PRECISION;
const MINUTE_MILLIS = 60_000;
const HOUR_MILLIS = 60 * MINUTE_MILLIS;

/** Counts distinct users seen over the last 5 minutes, hour and day. */
export class ActiveUsers {
  private readonly minutes = new Map<number, Uint8Array>();
  private readonly hours = new Map<number, Uint8Array>();

  /** @param now the clock, in epoch milliseconds (replaceable for tests) */
  constructor(private readonly now: () => number = Date.now) {}

  /** Records that a user was active now. The id itself is not kept. */
  record(userId: string): void {
    const digest = hash("sha256", userId, "buffer");
    const high = digest.readUInt32BE(0);
    const low = digest.readUInt32BE(4);
    const index = high >>> (32 - PRECISION);
    // The rank: 1 + leading zeros of the 52 bits after the index.
    const rest = (high << PRECISION) >>> 0;
    const rank =
      rest !== 0 ? Math.clz32(rest) + 1 : 32 - PRECISION + Math.clz32(low) + 1;

    const time = this.now();
    this.prune(time);
    for (const sketch of [
      sketchAt(this.minutes, Math.floor(time / MINUTE_MILLIS)),
      sketchAt(this.hours, Math.floor(time / HOUR_MILLIS)),
    ]) {
      if ((sketch[index] ?? 0) < rank) sketch[index] = rank;
    }
  }

  /** The estimated number of distinct users seen within the window. */
  count(window: ActiveUserWindow): number {
    const time = this.now();
    this.prune(time);
    const span = ACTIVE_USER_WINDOWS[window];
    const [sketches, unit] =
      span <= HOUR_MILLIS
        ? [this.minutes, MINUTE_MILLIS]
        : [this.hours, HOUR_MILLIS];
    const first = Math.floor((time - span) / unit);
    const merged = new Uint8Array(REGISTERS);
    for (const [slot, sketch] of sketches) {
      if (slot < first) continue;
      for (let i = 0; i < REGISTERS; i++) {
        if ((sketch[i] ?? 0) > (merged[i] ?? 0)) merged[i] = sketch[i] ?? 0;
      }
    }
    return estimate(merged);
  }

  // Sketches older than their largest window are never read again.
  private prune(time: number): void {
    const firstMinute = Math.floor((time - HOUR_MILLIS) / MINUTE_MILLIS);
    for (const slot of this.minutes.keys()) {
      if (slot < firstMinute) this.minutes.delete(slot);
    }
    const firstHour = Math.floor((time - 24 * HOUR_MILLIS) / HOUR_MILLIS);
    for (const slot of this.hours.keys()) {
      if (slot < firstHour) this.hours.delete(slot);
    }
  }
}

function sketchAt(sketches: Map<number, Uint8Array>, slot: number): Uint8Array {
  let sketch = sketches.get(slot);
  if (sketch === undefined) {
    sketch = new Uint8Array(REGISTERS);
    sketches.set(slot, sketch);
  }
  return sketch;
}

// HyperLogLog's estimate with the linear-counting correction for small sets
// (Flajolet et al. 2007; Heule et al. 2013 for the threshold).
function estimate(registers: Uint8Array): number {
  let inverseSum = 0;
  let zeros = 0;
  for (const rank of registers) {
    inverseSum += 2 ** -rank;
    if (rank === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / REGISTERS);
  const raw = (alpha * REGISTERS * REGISTERS) / inverseSum;
  if (raw <= 2.5 * REGISTERS && zeros > 0) {
    return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
  }
  return Math.round(raw);
}
