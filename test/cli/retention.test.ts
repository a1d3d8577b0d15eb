/**
 * `td-monitor retention`: what it deletes and how it says so.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { register } from "../../src/cli/commands/retention.js";
import { EmbeddedDatabase } from "../../src/store/embedded/database.js";
import { loadEmbedded } from "../query/cases.js";

let directory: string | undefined;
afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe("td-monitor retention", () => {
  it("says 'deleted 1 sample', not '1 samples'", async () => {
    directory = mkdtempSync(join(tmpdir(), "td-cli-retention-"));
    const db = EmbeddedDatabase.open(directory);
    loadEmbedded(db, [
      {
        kind: "gauge",
        metric: "td.queue.length",
        labels: { "td.queue.name": "q" },
        temporality: "unspecified",
        values: [3],
      },
    ]);
    db.close();
    const program = new Command().exitOverride();
    register(program);
    let out = "";
    const write = vi
      .spyOn(process.stdout, "write")
      .mockImplementation(
        (chunk: string | Uint8Array) => ((out += String(chunk)), true),
      );
    try {
      await program.parseAsync(["retention", "--data-dir", directory], {
        from: "user",
      });
    } finally {
      write.mockRestore();
    }
    expect(out).toMatch(/^deleted 1 sample and 1 series taken before /);
  });

  // Regression: a mistyped --data-dir created an empty database there and
  // reported "deleted 0 samples", exit 0.
  it("refuses a data directory without a series database, creating nothing", async () => {
    directory = mkdtempSync(join(tmpdir(), "td-cli-retention-"));
    const typo = join(directory, "monitorng");
    const program = new Command().exitOverride();
    register(program);

    await expect(
      program.parseAsync(["retention", "--data-dir", typo], { from: "user" }),
    ).rejects.toThrow(
      `no series database at ${join(typo, "metrics", "series.db")}; check --data-dir`,
    );
    expect(existsSync(typo)).toBe(false);
  });
});
