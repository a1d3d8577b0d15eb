/**
 * Where the embedded store keeps its files (the storage layout of
 * ARCHITECTURE.md): `<data dir>/metrics/series.db`.
 */
import path from "node:path";

/** The data directory when neither a flag nor the environment names one. */
export const DEFAULT_DATA_DIR = "data/monitoring";

/** The environment variable that overrides the default data directory. */
export const DATA_DIR_ENV = "TD_MONITORING_DATA_DIR";

/** The data directory: the flag if given, else the environment, else the default. */
export function resolveDataDir(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const chosen = flag ?? env[DATA_DIR_ENV] ?? DEFAULT_DATA_DIR;
  return chosen === "" ? DEFAULT_DATA_DIR : chosen;
}

/** The folder of the series database and, from a collector, its archive. */
export function metricsDir(dataDir: string): string {
  return path.join(dataDir, "metrics");
}

/** The SQLite file holding every series and sample. */
export function seriesDatabasePath(dataDir: string): string {
  return path.join(metricsDir(dataDir), "series.db");
}
