/**
 * `td-monitor retention`: deletes raw points older than the age limit from
 * the embedded store now (the collector also does it hourly).
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { EmbeddedDatabase } from "../../store/embedded/database.js";
import {
  resolveDataDir,
  seriesDatabasePath,
} from "../../store/embedded/paths.js";
import { applyRetention, resolveMaxAgeMillis } from "../../store/retention.js";
import { UsageError } from "../errors.js";
import { number, plural } from "../output.js";

function count(n: number, word: string): string {
  const shown = number(n);
  return `${shown} ${plural(word, shown)}`;
}

interface RetentionFlags {
  dataDir?: string;
  maxAge?: string;
  json?: boolean;
}

/** Adds `retention` to the program. */
export function register(program: Command): void {
  program
    .command("retention")
    .description(
      "delete raw points older than the age limit from the embedded store",
    )
    .option(
      "--data-dir <dir>",
      "data directory (env TD_MONITORING_DATA_DIR; default data/monitoring)",
    )
    .option(
      "--max-age <duration>",
      "age limit, e.g. 15d, 36h (env TD_MONITORING_RETENTION; default 15d)",
    )
    .option("--json", "print JSON")
    .action(runRetention);
}

function runRetention(flags: RetentionFlags): void {
  let maxAgeMillis: number;
  let db: EmbeddedDatabase;
  try {
    maxAgeMillis = resolveMaxAgeMillis(flags.maxAge);
    const dataDir = resolveDataDir(flags.dataDir);
    // Opening for writing would create an empty database: a mistyped
    // --data-dir would then "succeed", deleting nothing anywhere.
    const database = seriesDatabasePath(dataDir);
    if (!existsSync(database)) {
      throw new Error(
        `no series database at ${database}; check --data-dir (the directory \`td-monitor collector\` stores into)`,
      );
    }
    db = EmbeddedDatabase.open(dataDir, { readOnly: false });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }

  try {
    const result = applyRetention(db, maxAgeMillis);
    const before = new Date(result.cutoffMillis).toISOString();
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ ...result, before, database: db.path })}\n`,
      );
    } else {
      process.stdout.write(
        `deleted ${count(result.samples, "sample")} and ${result.series} series taken before ${before} from ${db.path}\n`,
      );
    }
  } finally {
    db.close();
  }
}
