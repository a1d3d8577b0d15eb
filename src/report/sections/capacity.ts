/**
 * Capacity: when each filesystem fills at its current rate (a least-squares
 * line through its used fraction, as PromQL's `predict_linear`), and the
 * headroom CPU and memory had at their peak.
 */
import { linearFit, timeToReach } from "../../query/analysis.js";
import {
  ask,
  byLabel,
  cleanPoints,
  figure,
  finite,
  isoTime,
  type ReportContext,
} from "../context.js";
import { ATTRIBUTES, METRICS } from "../metrics.js";
import type {
  CapacitySection,
  FilesystemForecast,
  Figure,
  SystemSection,
} from "../types.js";
import { chart, charts } from "./charts.js";

const DAY_SECONDS = 86_400;

/** Builds the capacity section; CPU and memory peaks come from `system`. */
export async function capacitySection(
  ctx: ReportContext,
  system: SystemSection,
): Promise<CapacitySection> {
  const filesystems = await filesystemForecasts(ctx);
  const cpu = headroom(system.cpu.peak);
  const memory = headroom(system.memory.peak);
  return {
    hasData:
      filesystems.rows.length > 0 ||
      cpu.peak.value !== null ||
      memory.peak.value !== null,
    filesystems: filesystems.rows,
    cpu,
    memory,
    charts: charts(
      chart("capacity.filesystems", "Filesystem used", "1", filesystems.lines),
    ),
  };
}

function headroom(peak: Figure) {
  return {
    peak,
    headroom: figure(peak.value === null ? undefined : 1 - peak.value, "1"),
  };
}

async function filesystemForecasts(ctx: ReportContext) {
  const key = ATTRIBUTES.mountpoint;
  const at = { groupBy: [key] };
  const [last, steps] = await Promise.all([
    ask(ctx, METRICS.filesystem, { kind: "last" }, at),
    // The last sample of each step, so the line runs through raw samples as
    // predict_linear's does, not through averages that lag half a step.
    ask(ctx, METRICS.filesystem, { kind: "last" }, { ...at, stepped: true }),
  ]);
  const end = ctx.current.endMillis;
  const stepsByMount = byLabel(steps, key);
  const rows: FilesystemForecast[] = [];
  const lines = [];
  for (const [label, series] of byLabel(last, key)) {
    const points = cleanPoints(stepsByMount.get(label));
    const fit = linearFit(points);
    const fullAt = timeToReach(points, 1, end);
    rows.push({
      label,
      utilization: figure(finite(series.value), "1"),
      growthPerDay: figure(fit && fit.slopePerSecond * DAY_SECONDS, "1/d"),
      fullAt: isoTime(fullAt),
      timeToFull: figure(fullAt && (fullAt - end) / 1000, "s"),
    });
    lines.push({ label, points });
  }
  rows.sort(
    (a, b) =>
      (a.timeToFull.value ?? Infinity) - (b.timeToFull.value ?? Infinity),
  );
  return { rows, lines };
}
