/**
 * Reading commands on a data directory the user may read but not write: the
 * series database opens read-only, and where SQLite's WAL mode still needs
 * the directory writable, the message says so.
 */
import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { END, loadEmbedded } from "../query/cases.js";
import { STATUS_FIXTURES } from "../query/status-fixtures.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const SETPRIV = "/usr/bin/setpriv";
// Root ignores file modes, so the CLI runs as nobody to meet them.
const canDropPrivileges = process.getuid?.() === 0 && existsSync(SETPRIV);

let root: string;
let source: string;
let readOnly: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "td-cli-ro-"));
  source = join(root, "source");
  const db = EmbeddedDatabase.open(source);
  loadEmbedded(db, STATUS_FIXTURES);
  db.close();
  readOnly = join(root, "ro2");
  cpSync(source, readOnly, { recursive: true });
  chmodSync(root, 0o755);
  chmodSync(readOnly, 0o555);
  chmodSync(join(readOnly, "metrics"), 0o555);
  chmodSync(join(readOnly, "metrics", "series.db"), 0o444);
});

afterAll(() => {
  chmodSync(join(readOnly, "metrics"), 0o755);
  chmodSync(readOnly, 0o755);
  rmSync(root, { recursive: true, force: true });
});

function asNobody(args: string[]) {
  return run(SETPRIV, [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    process.execPath,
    MAIN,
    ...args,
  ]).catch((error: { code: number; stdout: string; stderr: string }) => error);
}

const at = ["--at", new Date(END).toISOString()];

describe.skipIf(!canDropPrivileges)(
  "reading a data directory the user cannot write",
  () => {
    it.each([
      [["status", ...at]],
      [
        [
          "report",
          "--since",
          new Date(END - 3_600_000).toISOString(),
          "--until",
          new Date(END).toISOString(),
        ],
      ],
    ])(
      "%j says which permission SQLite needs, not 'attempt to write a readonly database'",
      async (args) => {
        const result = await asNobody([
          ...args,
          "--store",
          `embedded:${readOnly}`,
        ]);
        expect(result).toMatchObject({ code: 1 });
        const { stderr } = result as { stderr: string };
        expect(stderr).not.toMatch(/attempt to write a readonly database/);
        expect(stderr).toMatch(
          new RegExp(
            `needs write permission on ${readOnly}/metrics \\(nothing in the data is changed\\)`,
          ),
        );
      },
    );

    it("reads it while a writer has the database open", async () => {
      // The collector keeps series.db-shm in place; a reader needs no more.
      chmodSync(join(readOnly, "metrics"), 0o755);
      const writer = EmbeddedDatabase.open(readOnly);
      chmodSync(join(readOnly, "metrics"), 0o555);
      try {
        const result = await asNobody([
          "status",
          ...at,
          "--json",
          "--store",
          `embedded:${readOnly}`,
        ]);
        const { stdout } = result as { stdout: string };
        expect(JSON.parse(stdout).system.cpu.usedPercent).toBeCloseTo(25, 9);
      } finally {
        writer.close();
      }
    });
  },
);
