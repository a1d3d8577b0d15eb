/**
 * What the receiver took in, logged as one line per interval rather than
 * one per request, and each new kind of bad input warned about once.
 */
import { diag } from "@opentelemetry/api";
import type { Conversion } from "./points.js";

/** Counters over one logging interval. */
export interface IntervalCounts {
  requests: number;
  bytes: number;
  points: number;
  rejected: number;
  noValue: number;
  ignored: number;
  refused: Map<number, number>;
}

// Remembering every distinct reason would grow without bound on hostile input.
const MAX_REMEMBERED_REASONS = 1000;

/** The receiver's counters and its periodic summary line. */
export class ReceiverStats {
  private counts = emptyCounts();
  private readonly warned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMillis: number) {}

  /** Starts the summary timer; it never keeps the process alive. */
  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.intervalMillis);
    this.timer.unref();
  }

  /** Stops the timer and logs what the last interval still holds. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  recordBytes(bytes: number): void {
    this.counts.bytes += bytes;
  }

  recordStored(conversion: Conversion): void {
    this.counts.requests += 1;
    this.counts.points += conversion.points.length;
    this.counts.rejected += conversion.rejected;
    this.counts.noValue += conversion.noValue;
    for (const reason of conversion.reasons)
      this.warnOnce(`rejected ${reason}`);
  }

  recordRefused(status: number, message: string): void {
    const { refused } = this.counts;
    refused.set(status, (refused.get(status) ?? 0) + 1);
    if (status === 400 || status === 413 || status === 500) {
      this.warnOnce(`refused a request (${status}): ${message}`);
    }
  }

  recordIgnored(): void {
    this.counts.ignored += 1;
  }

  /** Logs the interval's summary line, if anything happened, and resets. */
  flush(): void {
    const line = summaryLine(this.counts);
    this.counts = emptyCounts();
    if (line) diag.info(`collector: ${line}`);
  }

  private warnOnce(message: string): void {
    // Indexes differ between requests; the same fault in another point is not news.
    const key = message.replace(/\[\d+\]/g, "[]");
    if (this.warned.has(key)) return;
    if (this.warned.size < MAX_REMEMBERED_REASONS) this.warned.add(key);
    diag.warn(`collector: ${message} (reported once)`);
  }
}

function emptyCounts(): IntervalCounts {
  return {
    requests: 0,
    bytes: 0,
    points: 0,
    rejected: 0,
    noValue: 0,
    ignored: 0,
    refused: new Map(),
  };
}

/** e.g. `12 metric requests (34.1 KiB): 340 points stored, 2 rejected, 0 without value; refused 1 request (400×1)`. */
export function summaryLine(counts: IntervalCounts): string | undefined {
  const refusedTotal = [...counts.refused.values()].reduce((a, b) => a + b, 0);
  if (counts.requests + counts.ignored + refusedTotal === 0) return undefined;

  const parts = [
    `${counted(counts.requests, "metric request")} (${kibibytes(counts.bytes)}): ${counted(counts.points, "point")} stored, ${counts.rejected} rejected, ${counts.noValue} without value`,
  ];
  if (refusedTotal > 0) {
    const byStatus = [...counts.refused]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`);
    parts.push(
      `refused ${counted(refusedTotal, "request")} (${byStatus.join(", ")})`,
    );
  }
  if (counts.ignored > 0)
    parts.push(`${counted(counts.ignored, "trace/log request")} ignored`);
  return parts.join("; ");
}

/** `1 point`, `2 points`. */
function counted(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

function kibibytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
