/**
 * The benchmark harness, not the numbers: one benchmark in a tiny
 * configuration, and the results writer's Markdown and JSON shapes.
 * No timing is asserted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run as runRecording } from "../../bench/recording.mjs";
import {
  describeMachine,
  renderRun,
  TABLE_END,
  TABLE_START,
  updateTableSection,
  withRatios,
  writeResults,
  type Run,
} from "../../bench/lib/results.mjs";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "td-bench-test-"));
  dirs.push(dir);
  return dir;
}

describe("bench harness", () => {
  it("gives each row its ratio to the baseline's row of the same measure", () => {
    const rows = withRatios(
      [
        { case: "base", measure: "ns", value: 10, unit: "ns" },
        { case: "other", measure: "ns", value: 25, unit: "ns" },
        { case: "other", measure: "unmatched", value: 3, unit: "x" },
      ],
      "base",
    );
    expect(rows.map((r) => r.ratio)).toEqual([1, 2.5, undefined]);
  });

  it("runs the recording benchmark and writes its table and JSON", async () => {
    const result = await runRecording({ timeMillis: 5, rounds: 1 });
    expect(result.id).toBe("recording");
    const cases = new Set(result.rows.map((r) => r.case));
    expect(cases).toEqual(
      new Set(["td-monitoring meters", "OpenTelemetry SDK", "prom-client"]),
    );
    for (const row of result.rows) {
      expect(row.unit).toBe("ns/op");
      expect(row.value).toBeGreaterThan(0);
      expect(row.ratio).toBeGreaterThan(0);
    }

    const run: Run = {
      startedAt: "2026-01-02T03:04:05.678Z",
      mode: "quick",
      machine: describeMachine(),
      results: [result],
      failures: [],
      durationSeconds: 1,
      loadAverageAtEnd: [0, 0, 0],
    };
    const dir = tempDir();
    const paths = writeResults(dir, run);
    expect(path.basename(paths.json)).toBe("2026-01-02T03-04-05Z.json");
    expect(JSON.parse(readFileSync(paths.json, "utf8"))).toEqual(run);

    const markdown = readFileSync(paths.markdown, "utf8");
    expect(markdown).toContain(`${run.machine.cores} cores`);
    expect(markdown).toContain("| case | measure | value | unit | ratio |");
    expect(markdown).toMatch(
      /\| prom-client \| counter add \(2 attributes\) \| [\d,.]+ \| ns\/op \| 1\.00× \|/,
    );
    expect(readFileSync(path.join(dir, "latest.md"), "utf8")).toBe(markdown);
  });

  it("replaces only the table section of BENCHMARKS.md", () => {
    const file = path.join(tempDir(), "BENCHMARKS.md");
    writeFileSync(file, `# B\n\n${TABLE_START}\nold\n${TABLE_END}\n\nafter\n`);
    updateTableSection(file, "new table");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("old");
    expect(text).toContain("new table");
    expect(text.startsWith("# B\n")).toBe(true);
    expect(text.endsWith(`${TABLE_END}\n\nafter\n`)).toBe(true);
  });

  it("renders a failed benchmark instead of dropping it", () => {
    const text = renderRun({
      startedAt: "2026-01-02T03:04:05.678Z",
      mode: "full",
      machine: describeMachine(),
      results: [],
      failures: [{ id: "report", error: "boom" }],
      durationSeconds: 2,
      loadAverageAtEnd: [1, 1, 1],
    });
    expect(text).toContain("**report failed:** boom");
  });
});
