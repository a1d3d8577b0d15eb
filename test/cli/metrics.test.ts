/**
 * `td-monitor metrics`: the catalog as rules/default.yaml points users to it.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/metrics/catalog.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");

describe("td-monitor metrics", () => {
  it("lists every catalog metric with its names, kind, unit and attributes", async () => {
    const { stdout } = await run("node", [MAIN, "metrics", "--json"]);
    const listed = JSON.parse(stdout);
    expect(listed).toHaveLength(catalog.length);
    expect(listed).toContainEqual(
      expect.objectContaining({
        name: "http.server.request.duration",
        prometheusName: "http_server_request_duration_seconds",
        kind: "histogram",
        unit: "s",
        aliases: ["api_latency", "latency"],
        attributes: expect.arrayContaining(["http.route"]),
      }),
    );
  });

  it("keeps to one source with --source", async () => {
    const { stdout } = await run("node", [MAIN, "metrics", "--source", "host"]);
    expect(stdout).toMatch(
      /^system\.cpu\.utilization\s+\S+\s+gauge\s+1\s+cpu\s/m,
    );
    expect(stdout).not.toContain("td.users.active");
  });

  it("refuses an unknown source, naming those there are", async () => {
    const failure = await run("node", [
      MAIN,
      "metrics",
      "--source",
      "db",
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(
      /--source "db" is not a source; expected host, runtime, http, app/,
    );
  });
});
