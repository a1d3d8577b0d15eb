/**
 * `td-monitor status`: CPU, memory, disks, network, API latency and errors,
 * document throughput, active users and firing alerts, over the last five
 * minutes; `--watch` refreshes it until interrupted.
 */
import type { Command } from "commander";
import type { Status } from "../../manager.js";
import { parseDurationFlag, parseTimeFlag } from "../time-flags.js";
import { formatValue, printJson, styles, table, useColour } from "../output.js";
import { addStoreOption, asUsageError, managerFor } from "../store-flag.js";

interface StatusFlags {
  json?: boolean;
  watch?: boolean;
  interval: string;
  at?: string;
  store?: string;
}

/** Adds `status` to the program. */
export function register(program: Command): void {
  const command = program
    .command("status")
    .description(
      "the host, the service and its users over the last 5 minutes, and firing alerts",
    )
    .option("--json", "print JSON")
    .option("--watch", "refresh until interrupted")
    .option("--interval <duration>", "refresh interval with --watch", "5s")
    .option(
      "--at <time>",
      "the status as it was at a past time (2024-05-01T12:00:00Z, or 1h for an hour ago)",
    );
  addStoreOption(command).action(runStatus);
}

async function runStatus(flags: StatusFlags): Promise<void> {
  const intervalSeconds = parseDurationFlag("--interval", flags.interval);
  const at = flags.at;
  const manager = managerFor(flags);
  try {
    do {
      const status = await manager.collectMetrics(
        at === undefined
          ? {}
          : { atMillis: parseTimeFlag("--at", at, Date.now()) },
      );
      show(status, flags);
      if (flags.watch) await sleep(intervalSeconds * 1000);
    } while (flags.watch);
  } catch (error) {
    throw asUsageError(error);
  } finally {
    await manager.close();
  }
}

function show(status: Status, flags: StatusFlags): void {
  if (flags.json) {
    // One JSON document per line when watching, so the output can be piped.
    if (flags.watch) process.stdout.write(`${JSON.stringify(status)}\n`);
    else printJson(status);
    return;
  }
  const clear = flags.watch && process.stdout.isTTY ? "\u001b[2J\u001b[H" : "";
  process.stdout.write(`${clear}${render(status)}\n`);
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

/** The status as text. */
export function render(status: Status, colour = useColour()): string {
  const { bold, dim, red, yellow } = styles(colour);
  const { system, application, users, alerts } = status;
  const pct = (value: number | null) =>
    formatValue(value === null ? null : value / 100, "1");
  const rows: string[][] = [
    [bold("System")],
    ["  CPU", pct(system.cpu.usedPercent)],
    ["  Memory", pct(system.memory.usedPercent)],
    ...system.disk.map((d) => [`  Disk ${d.mountpoint}`, pct(d.usedPercent)]),
    [
      "  Network",
      `in ${formatValue(system.network.receiveBytesPerSecond, "By/s")}, out ${formatValue(system.network.transmitBytesPerSecond, "By/s")}`,
    ],
    [bold("Application")],
    ["  Requests", formatValue(application.requestsPerSecond, "{request}/s")],
    ["  API p95 latency", formatValue(application.latencyP95Seconds, "s")],
    ["  Errors", pct(application.errorRatePercent)],
    [
      "  Documents",
      formatValue(application.documentsPerSecond, "{document}/s"),
    ],
    [bold("Users")],
    ...Object.entries(users.active).map(([window, n]) => [
      `  Active (${window})`,
      formatValue(n, "{user}"),
    ]),
    ["  Sessions", formatValue(users.sessions, "{session}")],
    [bold("Alerts firing")],
    [
      "  ",
      alerts === null
        ? "—"
        : Object.entries(alerts)
            .reverse()
            .map(([severity, n]) => {
              const text = `${severity} ${n}`;
              if (n === 0) return text;
              return severity === "critical" ? red(text) : yellow(text);
            })
            .join(", "),
    ],
  ];
  const heading = `${bold("td-monitor status")} ${new Date(status.timeMillis).toISOString()} ${dim(`last ${status.windowSeconds / 60} min, ${status.store}`)}`;
  return `${heading}\n${table(rows)}`;
}
