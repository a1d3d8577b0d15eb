/**
 * `td-monitor metrics`: the catalog, every metric td-monitoring knows, with
 * the names to ask for it by (catalog, Prometheus, aliases), its kind, unit
 * and attributes.
 */
import type { Command } from "commander";
import { catalog, type MetricSource } from "../../metrics/catalog.js";
import { UsageError } from "../errors.js";
import { printJson, styles, table, useColour } from "../output.js";

const SOURCES: readonly MetricSource[] = ["host", "runtime", "http", "app"];

interface MetricsFlags {
  json?: boolean;
  source?: string;
}

/** One metric as `metrics` lists it. */
export interface MetricListing {
  readonly name: string;
  readonly prometheusName: string;
  readonly instrument: string;
  /** How it is queried: gauge, counter or histogram. */
  readonly kind: string;
  readonly unit: string;
  readonly source: MetricSource;
  readonly attributes: readonly string[];
  readonly aliases: readonly string[];
  readonly description: string;
}

/** Adds `metrics` to the program. */
export function register(program: Command): void {
  program
    .command("metrics")
    .description(
      "list the metrics td-monitoring knows: names, Prometheus names, kinds, units, attributes and aliases",
    )
    .option("--source <source>", `only one source: ${SOURCES.join(", ")}`)
    .option("--json", "print JSON")
    .action(runMetrics);
}

function runMetrics(flags: MetricsFlags): void {
  const listed = listMetrics(parseSource(flags.source));
  if (flags.json) printJson(listed);
  else process.stdout.write(`${render(listed)}\n`);
}

function parseSource(text: string | undefined): MetricSource | undefined {
  if (text === undefined) return undefined;
  if ((SOURCES as readonly string[]).includes(text)) {
    return text as MetricSource;
  }
  throw new UsageError(
    `--source "${text}" is not a source; expected ${SOURCES.join(", ")}`,
  );
}

/** The catalog in catalog order, optionally of one source. */
export function listMetrics(source?: MetricSource): MetricListing[] {
  return catalog
    .filter((metric) => source === undefined || metric.source === source)
    .map((metric) => ({
      name: metric.name,
      prometheusName: metric.prometheusName,
      instrument: metric.instrument,
      kind: metric.shape,
      unit: metric.unit,
      source: metric.source,
      attributes: metric.attributes,
      aliases: metric.aliases ?? [],
      description: metric.description,
    }));
}

/** The listing as a table, one metric a row. */
export function render(
  listed: readonly MetricListing[],
  colour = useColour(),
): string {
  const { bold } = styles(colour);
  const header = [
    "NAME",
    "PROMETHEUS",
    "KIND",
    "UNIT",
    "ALIASES",
    "ATTRIBUTES",
  ];
  const rows = listed.map((m) => [
    m.name,
    m.prometheusName,
    m.kind,
    m.unit,
    m.aliases.join(", ") || "—",
    m.attributes.join(", ") || "—",
  ]);
  return table([header.map((h) => bold(h)), ...rows]);
}
