/**
 * `td-monitor stats METRIC`: avg, min, max, p50, p95, p99, count, rate,
 * increase and last of one metric over a time range, each with its unit.
 */
import type { Command } from "commander";
import {
  STAT_NAMES,
  type MetricStats,
  type StatName,
  type StatValues,
} from "../../manager.js";
import { parseTimeRange } from "../time-flags.js";
import { collect, parseWhere } from "../where-flag.js";
import { formatValue, printJson, styles, table, useColour } from "../output.js";
import { addStoreOption, asUsageError, managerFor } from "../store-flag.js";

interface StatsFlags {
  since?: string;
  until?: string;
  where?: string[];
  by?: string[];
  json?: boolean;
  store?: string;
}

/** Adds `stats` to the program. */
export function register(program: Command): void {
  const command = program
    .command("stats")
    .description(
      "statistics of one metric over a time range: avg, min, max, p50, p95, p99, count, rate, increase, last",
    )
    .argument(
      "<metric>",
      "catalog name, Prometheus name or alias (api_latency, cpu, memory, disk, documents…)",
    )
    .option(
      "--since <time>",
      "start: a duration back from now (1h, 30m) or a time (2024-05-01T12:00:00Z)",
      "1h",
    )
    .option(
      "--until <time>",
      "end: now, a duration back from now or a time (default: now)",
    )
    .option(
      "--where <filter>",
      "key=value, key!=value, key=~regex or key!~regex; repeatable",
      collect,
    )
    .option(
      "--by <attribute>",
      "break down by an attribute; repeatable or comma-separated (default: by the parts of a whole, e.g. CPU state for cpu)",
      collect,
    )
    .option("--json", "print JSON");
  addStoreOption(command).action(runStats);
}

async function runStats(metric: string, flags: StatsFlags): Promise<void> {
  const manager = managerFor(flags);
  try {
    const range = parseTimeRange(flags, Date.now());
    const stats = await manager.getMetricStats(metric, {
      start: range.startMillis,
      end: range.endMillis,
      filters: (flags.where ?? []).map(parseWhere),
      ...(flags.by === undefined ? {} : { groupBy: splitBy(flags.by) }),
    });
    if (flags.json) printJson(stats);
    else
      process.stdout.write(
        `${render(stats, manager.getStore().description)}\n`,
      );
  } catch (error) {
    throw asUsageError(error);
  } finally {
    await manager.close();
  }
}

function splitBy(flags: readonly string[]): string[] {
  return flags
    .flatMap((by) => by.split(","))
    .map((by) => by.trim())
    .filter(Boolean);
}

/** The stats as text: one line per statistic, or a table with one row per group. */
export function render(
  stats: MetricStats,
  store: string,
  colour = useColour(),
): string {
  const { bold, dim } = styles(colour);
  const names = STAT_NAMES.filter((name) => stats.units[name] !== null);
  const heading = `${bold(stats.metric)} ${dim(`(${stats.shape}, ${stats.unit})`)} ${new Date(stats.startMillis).toISOString()} → ${new Date(stats.endMillis).toISOString()} ${dim(store)}`;
  const cell = (values: StatValues, name: StatName) =>
    formatValue(values[name], stats.units[name] ?? "");

  if (stats.groups.length === 0) {
    return [
      heading,
      table(names.map((name) => [`  ${name}`, cell(stats, name)])),
    ].join("\n");
  }
  const rows = stats.groups.map(({ labels, values }) => [
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ") || "(none)",
    ...names.map((name) => cell(values, name)),
  ]);
  // Under a defaulted group-by the parts of a whole have no overall figure.
  const total = names.some((name) => stats[name] !== null)
    ? [["all", ...names.map((name) => cell(stats, name))]]
    : [];
  return [
    heading,
    table([["", ...names].map((h) => bold(h)), ...rows, ...total]),
  ].join("\n");
}
