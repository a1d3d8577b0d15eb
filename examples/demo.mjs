#!/usr/bin/env node
// `npm run demo`: td-monitoring end to end on the embedded default. Starts
// the collector, the TD Generator demo service (instrumented only by
// `--require td-monitoring/register`), the alert evaluator and a load with an
// incident in it; shows live figures; prints the alerts that fired and
// resolved and writes the reports.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MonitoringManager } from "td-monitoring";
import { ChildExitedError, Children } from "./demo/children.mjs";
import { clock, createDisplay } from "./demo/display.mjs";
import { printSummary, readResults } from "./demo/results.mjs";
import { runLoad } from "./td-generator-service/load.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist/cli/main.js");
const SERVICE = path.join(ROOT, "examples/td-generator-service/server.mjs");
const RULES = path.join(ROOT, "examples/td-generator-service/rules.yaml");
const SERVICE_NAME = "td-generator-service";
const DEFAULT_DURATION = "150s";
// Below this the incident is too short for the alerts to fire and resolve.
const MIN_DURATION_SECONDS = 45;
const EXPORT_INTERVAL_MILLIS = 2000;
const STATUS_EVERY_MILLIS = 3000;

const USAGE = `Usage: npm run demo -- [options]

Runs td-monitoring end to end: the embedded collector, the TD Generator demo
service, a load with an incident in it, the alert evaluator; then prints the
alerts that fired and resolved and writes Markdown, HTML and JSON reports.

Options:
  --duration <time>  length of the load, e.g. 90s or 2m (default ${DEFAULT_DURATION},
                     at least ${MIN_DURATION_SECONDS}s); start-up and reports add about 10 s
  --data-dir <dir>   where the run's series, alerts, reports and logs go
                     (default: a new directory under data/demo/)
  --json             print the results as JSON on standard output
  -h, --help         show this help
`;

function parseFlags(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: DEFAULT_DURATION },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const durationSeconds = parseSeconds(values.duration);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return {
    help: values.help,
    json: values.json,
    durationSeconds,
    dataDir: path.resolve(values["data-dir"] ?? path.join("data/demo", stamp)),
  };
}

/** "90s", "2m", "1m30s" or plain seconds, into seconds. */
function parseSeconds(text) {
  const match = /^(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  const seconds = match
    ? Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)
    : NaN;
  if (!(seconds >= MIN_DURATION_SECONDS)) {
    throw new UsageError(
      `--duration "${text}": expected a time of at least ${MIN_DURATION_SECONDS}s, e.g. 90s or 2m`,
    );
  }
  return seconds;
}

class UsageError extends Error {}

async function startCollector(children, dataDir) {
  const collector = children.start(
    "collector",
    [
      CLI,
      "collector",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--json",
    ],
    { cwd: ROOT },
  );
  const started = await children.waitFor(collector, (line) => {
    const event = parseJson(line);
    return event?.event === "listening" ? event : undefined;
  });
  return { collector, url: started.url };
}

async function startService(children, collectorUrl) {
  const service = children.start(
    "service",
    ["--require", "td-monitoring/register", SERVICE],
    {
      cwd: ROOT,
      env: {
        PORT: "0",
        OTEL_SERVICE_NAME: SERVICE_NAME,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: collectorUrl,
        OTEL_METRIC_EXPORT_INTERVAL: String(EXPORT_INTERVAL_MILLIS),
      },
    },
  );
  const baseUrl = await children.waitFor(
    service,
    (line) => /listening on (http:\/\/\S+)/.exec(line)?.[1],
  );
  return { service, baseUrl };
}

/** The evaluator, reporting each transition but `-> inactive` to `onTransition`. */
function startEvaluator(children, dataDir, onTransition) {
  return children.start(
    "evaluator",
    [CLI, "alerts", "evaluate", "--rules", RULES, "--every", "5s"].concat([
      "--store",
      `embedded:${dataDir}`,
      "--data-dir",
      dataDir,
    ]),
    {
      cwd: ROOT,
      onLine: (line) => {
        const match = /^\s+(\w+) \{.*\}: (\w+) -> (\w+)$/.exec(line);
        if (match && match[3] !== "inactive")
          onTransition({ rule: match[1], from: match[2], to: match[3] });
      },
    },
  );
}

function parseJson(line) {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Reads the live figures from the store every few seconds, as
 * `td-monitor status` would, until the returned function is called.
 */
function watchStatus(dataDir, onFigures) {
  const manager = new MonitoringManager({
    store: `embedded:${dataDir}`,
    alertsDir: path.join(dataDir, "alerts"),
    statusWindowSeconds: 10,
  });
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      onFigures(await readFigures(manager));
    } catch {
      // A read racing the collector's first write; the next one will do.
    } finally {
      busy = false;
    }
  }, STATUS_EVERY_MILLIS);
  return async () => {
    clearInterval(timer);
    await manager.close();
  };
}

async function readFigures(manager) {
  const status = await manager.collectMetrics();
  const queue = await manager.getMetricStats("td.queue.length", {
    start: Date.now() - 10_000,
  });
  const firing = status.alerts
    ? Object.values(status.alerts).reduce((sum, n) => sum + n, 0)
    : null;
  return {
    ...status.application,
    queueLength: queue.last,
    activeUsers: status.users.active["5m"] ?? null,
    firing,
  };
}

async function writeReports(children, dataDir, sinceIso, untilIso, seconds) {
  const reports = {};
  const step = `${Math.max(5, Math.round(seconds / 30))}s`;
  for (const [format, extension] of [
    ["md", "md"],
    ["html", "html"],
    ["json", "json"],
  ]) {
    reports[format] = path.join(dataDir, "reports", `demo-report.${extension}`);
    await children.run(
      `report-${format}`,
      [
        CLI,
        "report",
        "--store",
        `embedded:${dataDir}`,
        "--since",
        sinceIso,
        "--until",
        untilIso,
        "--compare",
        "NONE",
        "--step",
        step,
        "--format",
        format,
        "--out",
        reports[format],
      ],
      { cwd: ROOT },
    );
  }
  return reports;
}

async function runDemo(options, children, display, signal) {
  const startedMillis = Date.now();
  const since = () => clock((Date.now() - startedMillis) / 1000);
  const { collector, url } = await startCollector(children, options.dataDir);
  display.log(
    `collector  pid ${collector.child.pid}, ${url}, data in ${options.dataDir}`,
  );
  const { service, baseUrl } = await startService(children, url);
  display.log(
    `service    pid ${service.child.pid}, ${baseUrl} (node --require td-monitoring/register)`,
  );
  const evaluator = startEvaluator(children, options.dataDir, (t) =>
    display.log(`+${since()} alert ${t.rule}: ${t.from} -> ${t.to}`),
  );
  display.log(
    `evaluator  pid ${evaluator.child.pid}, ${path.relative(ROOT, RULES)} every 5 s`,
  );

  const stopWatching = watchStatus(options.dataDir, (f) => display.figures(f));
  const loadStartedMillis = Date.now();
  const ticker = setInterval(
    () => display.progress((Date.now() - loadStartedMillis) / 1000),
    1000,
  );
  let phases;
  try {
    phases = await runLoad({
      baseUrl,
      durationSeconds: options.durationSeconds,
      signal,
      onPhase: (name, seconds) => {
        display.phase(name, seconds);
        display.log(`+${since()} phase ${name} (${seconds} s)`);
      },
    });
  } finally {
    clearInterval(ticker);
    await stopWatching();
  }
  if (signal.aborted) throw new InterruptedError();

  // The service flushes its last metrics as it stops; then the evaluator
  // and the collector go, and the reports read what was stored.
  await children.stop(service);
  await children.stop(evaluator);
  await children.stop(collector);
  display.stop();
  const untilMillis = Date.now();
  const reports = await writeReports(
    children,
    options.dataDir,
    new Date(startedMillis).toISOString(),
    new Date(untilMillis).toISOString(),
    (untilMillis - startedMillis) / 1000,
  );
  const results = await readResults(children, {
    cli: CLI,
    root: ROOT,
    dataDir: options.dataDir,
    startedMillis,
    reports,
  });
  return {
    ...results,
    phases,
    processes: children.started,
    seconds: (Date.now() - startedMillis) / 1000,
  };
}

class InterruptedError extends Error {}

async function main() {
  let options;
  try {
    options = parseFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`demo: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    mkdirSync(path.join(options.dataDir, "logs"), { recursive: true });
  } catch (error) {
    // A path under a file (ENOTDIR) or without permission (EACCES): the
    // user's to fix, so one line rather than a stack.
    const why =
      { ENOTDIR: "a part of the path is a file", EACCES: "permission denied" }[
        error.code
      ] ?? error.message;
    process.stderr.write(
      `demo: cannot create --data-dir ${options.dataDir}: ${why}; choose a directory you can write\n`,
    );
    return 1;
  }
  const children = new Children(path.join(options.dataDir, "logs"));
  const display = createDisplay({
    tty: process.stderr.isTTY === true,
    totalSeconds: options.durationSeconds,
  });
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) children.killAll();
    interrupt.abort();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"])
    process.on(signal, onSignal);
  try {
    const results = await runDemo(options, children, display, interrupt.signal);
    printSummary(results, { json: options.json });
    return 0;
  } catch (error) {
    display.stop();
    if (error instanceof InterruptedError || interrupt.signal.aborted) {
      process.stderr.write(
        "demo: interrupted; everything it started is stopped\n",
      );
      return 130;
    }
    const known = error instanceof ChildExitedError;
    process.stderr.write(`demo: ${known ? error.message : error.stack}\n`);
    process.stderr.write(
      `demo: logs in ${path.join(options.dataDir, "logs")}\n`,
    );
    return 1;
  } finally {
    await children.stopAll();
  }
}

process.exitCode = await main();
