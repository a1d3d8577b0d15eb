/**
 * Host metrics: CPU, memory, network, filesystems and disks, with the units
 * and attributes of the catalog.
 *
 * `@opentelemetry/host-metrics` is not used: it leaves the unit off memory,
 * network and CPU utilization (a view cannot add one), and reports CPU
 * utilization only per core, which no view can fold into one correct series
 * (an attribute-dropping view on an observable instrument keeps the last
 * observation, not an average).
 */
import os from "node:os";
import type { Meter } from "@opentelemetry/api";
import {
  readDisks,
  readFilesystems,
  readNetwork,
  type DiskRow,
  type FilesystemRow,
  type NetworkRow,
} from "./host-sources.js";
import { observeBatch, type Observe } from "./instruments.js";

/** Options of {@link startHostMetrics}. */
export interface HostMetricsOptions {
  /** One CPU series per logical CPU instead of one for the host. */
  readonly perCpu: boolean;
}

/** Registers the host observers on a meter. */
export function startHostMetrics(
  meter: Meter,
  { perCpu }: HostMetricsOptions,
): void {
  const cpu = new CpuSampler(perCpu);
  observeBatch(meter, ["system.cpu.time", "system.cpu.utilization"], (o) =>
    cpu.observe(o),
  );
  observeBatch(
    meter,
    ["system.memory.usage", "system.memory.utilization"],
    observeMemory,
  );
  observeBatch(
    meter,
    ["system.network.io", "system.network.errors", "system.network.dropped"],
    async (o) => observeNetwork(o, await readNetwork()),
  );
  observeBatch(
    meter,
    [
      "system.filesystem.usage",
      "system.filesystem.utilization",
      "system.filesystem.limit",
    ],
    async (o) => observeFilesystems(o, await readFilesystems()),
  );
  observeBatch(meter, ["system.disk.io", "system.disk.operations"], async (o) =>
    observeDisks(o, await readDisks()),
  );
}

type CpuState = "user" | "nice" | "system" | "idle" | "interrupt";

// `os.cpus()` times by the semantic conventions' state names.
const CPU_STATES: ReadonlyArray<
  readonly [CpuState, keyof os.CpuInfo["times"]]
> = [
  ["user", "user"],
  ["nice", "nice"],
  ["system", "sys"],
  ["idle", "idle"],
  ["interrupt", "irq"],
];

/**
 * Turns the cumulative CPU times of `os.cpus()` into time and utilization.
 * Utilization is the share of each state in the time elapsed since the
 * previous observation (since start for the first one), summed over the CPUs
 * being reported together.
 */
class CpuSampler {
  private previous = os.cpus();

  constructor(private readonly perCpu: boolean) {}

  observe(observe: Observe): void {
    const current = os.cpus();
    const groups = this.perCpu
      ? current.map((_, index) => [index])
      : [current.map((_, index) => index)];
    for (const indexes of groups) {
      const attributes: Record<string, number> = this.perCpu
        ? { "system.cpu.logical_number": indexes[0] ?? 0 }
        : {};
      this.observeGroup(observe, current, indexes, attributes);
    }
    this.previous = current;
  }

  private observeGroup(
    observe: Observe,
    current: os.CpuInfo[],
    indexes: number[],
    attributes: Record<string, number>,
  ): void {
    const spent = CPU_STATES.map(([state, key]) => {
      const total = sum(indexes, (i) => current[i]?.times[key] ?? 0);
      const before = sum(indexes, (i) => this.previous[i]?.times[key] ?? 0);
      return { state, totalMillis: total, deltaMillis: total - before };
    });
    const elapsed = spent.reduce((acc, s) => acc + s.deltaMillis, 0);
    for (const { state, totalMillis, deltaMillis } of spent) {
      const at = { ...attributes, "system.cpu.state": state };
      observe("system.cpu.time", totalMillis / 1000, at);
      if (elapsed > 0)
        observe("system.cpu.utilization", deltaMillis / elapsed, at);
    }
  }
}

function sum(indexes: number[], value: (index: number) => number): number {
  return indexes.reduce((acc, index) => acc + value(index), 0);
}

function observeMemory(observe: Observe): void {
  const total = os.totalmem();
  // On Linux, libuv reports MemAvailable: what a new process could still get.
  const free = os.freemem();
  const used = total - free;
  for (const [state, bytes] of [
    ["used", used],
    ["free", free],
  ] as const) {
    const at = { "system.memory.state": state };
    observe("system.memory.usage", bytes, at);
    observe("system.memory.utilization", bytes / total, at);
  }
}

function observeNetwork(observe: Observe, rows: NetworkRow[]): void {
  for (const row of rows) {
    const receive = {
      "system.device": row.device,
      "network.io.direction": "receive",
    };
    const transmit = { ...receive, "network.io.direction": "transmit" };
    observe("system.network.io", row.receiveBytes, receive);
    observe("system.network.io", row.transmitBytes, transmit);
    observe("system.network.errors", row.receiveErrors, receive);
    observe("system.network.errors", row.transmitErrors, transmit);
    observe("system.network.dropped", row.receiveDropped, receive);
    observe("system.network.dropped", row.transmitDropped, transmit);
  }
}

function observeFilesystems(observe: Observe, rows: FilesystemRow[]): void {
  for (const row of rows) {
    const at = {
      "system.device": row.device,
      "system.filesystem.mountpoint": row.mountpoint,
      "system.filesystem.type": row.type,
    };
    const states = [
      ["used", row.usedBytes],
      ["free", row.freeBytes],
      ["reserved", row.reservedBytes],
    ] as const;
    for (const [state, bytes] of states) {
      observe("system.filesystem.usage", bytes, {
        ...at,
        "system.filesystem.state": state,
      });
    }
    const limit = row.usedBytes + row.freeBytes + row.reservedBytes;
    observe("system.filesystem.limit", limit, at);
    // As `df` counts it: the share of what users may fill that is filled.
    const usable = row.usedBytes + row.freeBytes;
    if (usable > 0) {
      observe("system.filesystem.utilization", row.usedBytes / usable, at);
    }
  }
}

function observeDisks(observe: Observe, rows: DiskRow[]): void {
  for (const row of rows) {
    const read = { "system.device": row.device, "disk.io.direction": "read" };
    const write = { ...read, "disk.io.direction": "write" };
    observe("system.disk.io", row.readBytes, read);
    observe("system.disk.io", row.writeBytes, write);
    observe("system.disk.operations", row.readOperations, read);
    observe("system.disk.operations", row.writeOperations, write);
  }
}
