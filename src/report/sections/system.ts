/**
 * System performance: CPU, memory, filesystem usage, disk I/O and network,
 * each as average, 95th percentile, peak and when the peak was.
 */
import { eq, type ReportContext } from "../context.js";
import { ATTRIBUTES, METRICS } from "../metrics.js";
import {
  emptySummary,
  labelled,
  summarizeGauge,
  summarizeRate,
  type SummaryWithSeries,
} from "../summaries.js";
import type { Chart, SystemSection } from "../types.js";
import { chart, charts } from "./charts.js";

/** Builds the system section. */
export async function systemSection(
  ctx: ReportContext,
): Promise<SystemSection> {
  const [cpu, memory, filesystems, diskIo, network] = await Promise.all([
    // Busy is everything but idle, so 1 - idle needs no sum across states.
    summarizeGauge(ctx, METRICS.cpu, "1", {
      filters: [eq(ATTRIBUTES.cpuState, "idle")],
      complement: true,
    }),
    summarizeGauge(ctx, METRICS.memory, "1", {
      filters: [eq(ATTRIBUTES.memoryState, "used")],
    }),
    summarizeGauge(ctx, METRICS.filesystem, "1", {
      groupKey: ATTRIBUTES.mountpoint,
    }),
    summarizeRate(ctx, METRICS.diskIo, "By/s", ATTRIBUTES.diskDirection),
    summarizeRate(ctx, METRICS.network, "By/s", ATTRIBUTES.networkDirection),
  ]);
  const hostLines = [
    ...cpu.map((s) => ({ ...s.series, label: "CPU" })),
    ...memory.map((s) => ({ ...s.series, label: "memory" })),
  ];
  const drawn: Chart[] = charts(
    chart("system.cpu_memory", "CPU and memory used", "1", hostLines),
    chart("system.filesystems", "Filesystem used", "1", lines(filesystems)),
    chart("system.disk_io", "Disk I/O", "By/s", lines(diskIo)),
    chart("system.network", "Network I/O", "By/s", lines(network)),
  );
  return {
    hasData: [cpu, memory, filesystems, diskIo, network].some(
      (rows) => rows.length > 0,
    ),
    cpu: cpu[0]?.summary ?? emptySummary("1"),
    memory: memory[0]?.summary ?? emptySummary("1"),
    filesystems: labelled(filesystems),
    diskIo: labelled(diskIo),
    network: labelled(network),
    charts: drawn,
  };
}

function lines(rows: readonly SummaryWithSeries[]) {
  return rows.map((row) => row.series);
}
