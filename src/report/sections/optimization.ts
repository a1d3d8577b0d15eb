/**
 * Optimization opportunities read off the figures: each finding names the
 * numbers behind it and the threshold it crossed.
 */
import { ask, figure, ratio, single, type ReportContext } from "../context.js";
import { METRICS } from "../metrics.js";
import { formatFigure, formatTime } from "../render/format.js";
import type {
  ApplicationSection,
  CapacitySection,
  Figure,
  Finding,
  OptimizationSection,
  SystemSection,
} from "../types.js";

/** Where a figure becomes worth a finding. */
export const THRESHOLDS = {
  /** Cache hit ratio below this. */
  cacheHitRatio: 0.8,
  /** p99 more than this many times p50. */
  tailLatencyFactor: 5,
  /** Share of wall time spent in garbage collection above this. */
  gcTimeShare: 0.05,
  /** Mean of the event loop's p99 delay above this, in seconds. */
  eventLoopDelaySeconds: 0.1,
  /** API error rate above this. */
  errorRate: 0.01,
  /** Document failure rate above this. */
  documentFailureRate: 0.05,
  /** CPU or memory headroom at peak below this. */
  headroom: 0.1,
  /** A filesystem that fills sooner than this, in seconds (a week). */
  timeToFullSeconds: 7 * 86_400,
} as const;

/** What the optimization section reads. */
export interface OptimizationInputs {
  readonly system: SystemSection;
  readonly application: ApplicationSection;
  readonly capacity: CapacitySection;
}

/** Builds the optimization section. */
export async function optimizationSection(
  ctx: ReportContext,
  inputs: OptimizationInputs,
): Promise<OptimizationSection> {
  const runtime = await runtimeFigures(ctx);
  const findings = [
    ...cacheFindings(inputs.application),
    ...tailLatencyFindings(inputs.application),
    ...runtimeFindings(runtime),
    ...errorFindings(inputs.application),
    ...capacityFindings(inputs.capacity),
  ];
  const anyFigures =
    inputs.system.hasData ||
    inputs.application.hasData ||
    runtime.gcShare.value !== null ||
    runtime.delay.value !== null;
  return { hasData: anyFigures, findings, charts: [] };
}

async function runtimeFigures(ctx: ReportContext) {
  const [gcSeconds, delay] = await Promise.all([
    ask(ctx, METRICS.gcDuration, { kind: "sum" }),
    ask(ctx, METRICS.eventLoopDelayP99, { kind: "avg" }),
  ]);
  const windowSeconds =
    (ctx.current.endMillis - ctx.current.startMillis) / 1000;
  return {
    gcSeconds: figure(single(gcSeconds), "s"),
    gcShare: figure(ratio(single(gcSeconds), windowSeconds), "1"),
    delay: figure(single(delay), "s"),
  };
}

const pct = (f: Figure) => formatFigure(f);
const ms = (f: Figure) => formatFigure(f);

function cacheFindings(app: ApplicationSection): Finding[] {
  const caches = [
    { label: "all caches", ...app.cache },
    ...(app.cache.byCache.length > 1 ? app.cache.byCache : []),
  ];
  return caches
    .filter(
      (c) =>
        c.hitRatio.value !== null &&
        c.hitRatio.value < THRESHOLDS.cacheHitRatio,
    )
    .map((c) => ({
      id: "cache.low_hit_ratio",
      title: `Low cache hit ratio (${c.label})`,
      detail: `${pct(c.hitRatio)} of ${formatFigure(c.lookups)} hit, under ${pct(figure(THRESHOLDS.cacheHitRatio, "1"))}: review cache keys, size and TTL.`,
      figures: { hitRatio: c.hitRatio, lookups: c.lookups },
    }));
}

function tailLatencyFindings(app: ApplicationSection): Finding[] {
  const rows = [
    { label: "all routes", ...app.http.latency },
    ...app.http.routes,
  ];
  return rows.flatMap((r) => {
    const factor = ratio(r.p99.value ?? undefined, r.p50.value ?? undefined);
    if (factor === undefined || factor <= THRESHOLDS.tailLatencyFactor)
      return [];
    return [
      {
        id: "http.tail_latency",
        title: `Wide p99 to p50 gap (${r.label})`,
        detail: `p99 ${ms(r.p99)} is ${factor.toFixed(1)}× p50 ${ms(r.p50)}: a slow minority of requests (locks, GC, cold caches, slow dependencies).`,
        figures: { p50: r.p50, p99: r.p99, ratio: figure(factor, "1") },
      },
    ];
  });
}

function runtimeFindings(
  runtime: Awaited<ReturnType<typeof runtimeFigures>>,
): Finding[] {
  const findings: Finding[] = [];
  if ((runtime.gcShare.value ?? 0) > THRESHOLDS.gcTimeShare) {
    findings.push({
      id: "runtime.gc",
      title: "Much time in garbage collection",
      detail: `${pct(runtime.gcShare)} of the window (${formatFigure(runtime.gcSeconds)}) went to GC: look at allocation rates and heap size.`,
      figures: { gcShare: runtime.gcShare, gcSeconds: runtime.gcSeconds },
    });
  }
  if ((runtime.delay.value ?? 0) > THRESHOLDS.eventLoopDelaySeconds) {
    findings.push({
      id: "runtime.eventloop_delay",
      title: "Event loop delayed",
      detail: `The event loop's p99 delay averaged ${ms(runtime.delay)}: move CPU-bound work off the main thread.`,
      figures: { eventLoopDelayP99: runtime.delay },
    });
  }
  return findings;
}

function errorFindings(app: ApplicationSection): Finding[] {
  const findings: Finding[] = [];
  const { errorRate, requests } = app.http;
  if ((errorRate.value ?? 0) > THRESHOLDS.errorRate) {
    findings.push({
      id: "http.error_rate",
      title: "High API error rate",
      detail: `${pct(errorRate)} of ${formatFigure(requests)} ended in a 5xx.`,
      figures: { errorRate, requests },
    });
  }
  const { failureRate, processed } = app.documents;
  if ((failureRate.value ?? 0) > THRESHOLDS.documentFailureRate) {
    findings.push({
      id: "documents.failure_rate",
      title: "Many document failures",
      detail: `${pct(failureRate)} of ${formatFigure(processed)} failed.`,
      figures: { failureRate, processed },
    });
  }
  return findings;
}

function capacityFindings(capacity: CapacitySection): Finding[] {
  const findings: Finding[] = capacity.filesystems
    .filter(
      (fs) =>
        fs.timeToFull.value !== null &&
        fs.timeToFull.value < THRESHOLDS.timeToFullSeconds,
    )
    .map((fs) => ({
      id: "capacity.filesystem_full",
      title: `Filesystem ${fs.label} fills soon`,
      // The growth as a plain share: its own unit (1/d) would read "%/d a day".
      detail: `At ${pct(fs.utilization)} and growing ${pct(figure(fs.growthPerDay.value ?? undefined, "1"))} a day, it is full by ${formatTime(fs.fullAt)}.`,
      figures: {
        utilization: fs.utilization,
        growthPerDay: fs.growthPerDay,
        timeToFull: fs.timeToFull,
      },
    }));
  for (const [name, resource] of [
    ["CPU", capacity.cpu],
    ["memory", capacity.memory],
  ] as const) {
    if (
      resource.headroom.value !== null &&
      resource.headroom.value < THRESHOLDS.headroom
    ) {
      findings.push({
        id: `capacity.${name.toLowerCase()}_headroom`,
        title: `Little ${name} headroom at peak`,
        detail: `${name} peaked at ${pct(resource.peak)}, leaving ${pct(resource.headroom)}.`,
        figures: { peak: resource.peak, headroom: resource.headroom },
      });
    }
  }
  return findings;
}
