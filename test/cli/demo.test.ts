/**
 * examples/demo.mjs on bad input: one clear line and exit 1, no stack.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const DEMO = join(import.meta.dirname, "../../examples/demo.mjs");
const directory = mkdtempSync(join(tmpdir(), "td-demo-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("examples/demo.mjs", () => {
  it("says a --data-dir under a file cannot be created, in one line", async () => {
    const file = join(directory, "a-file");
    writeFileSync(file, "");
    const failure = await run("node", [
      DEMO,
      "--data-dir",
      join(file, "run"),
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toBe(
      `demo: cannot create --data-dir ${join(file, "run")}: a part of the path is a file; choose a directory you can write\n`,
    );
  });
});
