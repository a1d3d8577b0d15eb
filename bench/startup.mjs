/**
 * Start-up: how long a Node process takes to reach its first line, and to
 * exit, with nothing preloaded, with `--require td-monitoring/register` and
 * with the OpenTelemetry auto-instrumentations register. Both registers
 * export to a real collector, so the exit includes their last flush.
 */
import { spawn } from "node:child_process";
import { ROOT, startCollector } from "./lib/collector.mjs";
import { interleave, median, millisSince } from "./lib/stats.mjs";
import { withRatios } from "./lib/results.mjs";

// The app: print a line as its first statement, then end normally.
const APP = ["-e", "process.stdout.write('ready\\n')"];

function variants(collector) {
  const otlp = {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_SERVICE_NAME: "bench",
  };
  return {
    none: { args: [], env: {} },
    "td-monitoring/register": {
      args: ["--require", "td-monitoring/register"],
      env: otlp,
    },
    "OTel auto-instrumentations": {
      args: ["--require", "@opentelemetry/auto-instrumentations-node/register"],
      env: {
        ...otlp,
        OTEL_METRICS_EXPORTER: "otlp",
        OTEL_TRACES_EXPORTER: "none",
        OTEL_LOGS_EXPORTER: "none",
        OTEL_NODE_RESOURCE_DETECTORS: "env,host,os,process",
      },
    },
  };
}

/** Milliseconds to the app's first line and to the process' exit. */
function timeOnce(variant) {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [...variant.args, ...APP], {
    cwd: ROOT,
    env: { ...process.env, ...variant.env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let firstLine = NaN;
    child.stdout.once("data", () => {
      firstLine = millisSince(start);
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0)
        reject(new Error(`${variant.args.join(" ")} exited ${code}`));
      else resolve({ firstLine, exit: millisSince(start) });
    });
  });
}

export async function run({ quick = false, rounds: roundCount } = {}) {
  const rounds = roundCount ?? (quick ? 8 : 30);
  const collector = await startCollector();
  try {
    const all = variants(collector);
    await timeOnce(all.none); // warm the file cache before timing anything
    const measured = await interleave(Object.keys(all), rounds, (name) =>
      timeOnce(all[name]),
    );
    const rows = [];
    for (const [name, runs] of measured) {
      rows.push(
        {
          case: name,
          measure: "to first line",
          value: median(runs.map((r) => r.firstLine)),
          unit: "ms",
        },
        {
          case: name,
          measure: "to exit",
          value: median(runs.map((r) => r.exit)),
          unit: "ms",
        },
      );
    }
    const added = (name, measure) =>
      rows.find((r) => r.case === name && r.measure === measure).value -
      rows.find((r) => r.case === "none" && r.measure === measure).value;
    for (const name of [
      "td-monitoring/register",
      "OTel auto-instrumentations",
    ]) {
      rows.push({
        case: name,
        measure: "added before first line",
        value: added(name, "to first line"),
        unit: "ms",
      });
    }
    // The question operators ask: what share of the alternative's cost is ours.
    // From the two rows above, so the reader can check it against them.
    const theirs = added("OTel auto-instrumentations", "to first line");
    rows.push({
      case: "td-monitoring/register ÷ OTel auto-instrumentations",
      measure: "added before first line",
      value:
        theirs > 0
          ? added("td-monitoring/register", "to first line") / theirs
          : NaN,
      unit: "×",
    });
    return {
      id: "startup",
      title: "Start-up",
      baseline: "none",
      rows: withRatios(rows, "none").map((r) =>
        r.measure.startsWith("added") ? { ...r, ratio: undefined } : r,
      ),
      notes: [
        `\`node [--require X] -e "<print a line>"\`, ${rounds} rounds, variants interleaved; medians. "to exit" includes the register's last export to a running \`td-monitor collector\`.`,
        "\"added before first line\" is a variant's median to first line less none's; the ÷ row divides ours by the auto-instrumentations' (below 1: ours adds less).",
      ],
    };
  } finally {
    await collector.stop();
  }
}
