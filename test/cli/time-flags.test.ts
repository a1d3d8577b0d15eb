import { describe, expect, it } from "vitest";
import { parseTimeFlag, parseTimeRange } from "../../src/cli/time-flags.js";
import { parseWhere } from "../../src/cli/where-flag.js";
import { formatValue } from "../../src/cli/output.js";

const NOW = Date.UTC(2024, 4, 1, 12);

describe("parseTimeFlag", () => {
  it.each([
    ["1h", NOW - 3_600_000],
    ["1h30m", NOW - 5_400_000],
    ["now", NOW],
    ["2024-05-01T10:00:00Z", Date.UTC(2024, 4, 1, 10)],
    ["2024-05-01T10:00:00.250+02:00", Date.UTC(2024, 4, 1, 8, 0, 0, 250)],
    ["2024-04-30", Date.UTC(2024, 3, 30)],
    ["1714557600", Date.UTC(2024, 4, 1, 10)],
  ])("%s", (text, millis) => {
    expect(parseTimeFlag("--since", text, NOW)).toBe(millis);
  });

  it.each([
    "yesterday",
    "1 hour",
    "-1h",
    "2024-05-01T25:00:00Z",
    "17",
    // Date reads these as 2024-03-01 and 2023-03-03.
    "2024-02-30",
    "2023-02-31T10:00:00Z",
    "2024-13-01",
  ])("refuses %s, naming the flag and the forms", (text) => {
    expect(() => parseTimeFlag("--since", text, NOW)).toThrow(
      new RegExp(
        `--since "${text}" is not a time; expected a duration back from now such as 30s`,
      ),
    );
  });

  it("takes 2024-02-29, a leap day", () => {
    expect(parseTimeFlag("--since", "2024-02-29", NOW)).toBe(
      Date.UTC(2024, 1, 29),
    );
  });

  it("ends a range with --until in the future at now, with a note", () => {
    const notes: string[] = [];
    const range = parseTimeRange(
      { since: "1h", until: "2030-01-01T00:00:00Z" },
      NOW,
      "1h",
      (text) => notes.push(text),
    );
    expect(range).toEqual({ startMillis: NOW - 3_600_000, endMillis: NOW });
    expect(notes).toEqual([
      "--until 2030-01-01T00:00:00.000Z is in the future; ending at now, 2024-05-01T12:00:00.000Z",
    ]);
  });

  it("refuses a range that ends before it starts", () => {
    expect(() => parseTimeRange({ since: "1h", until: "2h" }, NOW)).toThrow(
      /--until .* is not after --since/,
    );
  });
});

describe("parseWhere", () => {
  it.each([
    ["http.route=/api", { key: "http.route", op: "=", value: "/api" }],
    ["state!=idle", { key: "state", op: "!=", value: "idle" }],
    ["route=~/api/.*", { key: "route", op: "=~", value: "/api/.*" }],
    ["route!~/health", { key: "route", op: "!~", value: "/health" }],
    ["error.type=", { key: "error.type", op: "=", value: "" }],
  ])("%s", (text, filter) => {
    expect(parseWhere(text)).toEqual(filter);
  });

  it("refuses a filter without an operator", () => {
    expect(() => parseWhere("route")).toThrow(
      /--where "route" is not a filter; expected key=value/,
    );
  });
});

describe("formatValue", () => {
  it.each([
    [0.0504, "s", "50.4 ms"],
    [0.00002, "s", "20 µs"],
    [2.5, "s", "2.5 s"],
    [0.629, "1", "62.9 %"],
    [1536, "By", "1.5 KiB"],
    [10, "By/s", "10 B/s"],
    [0.003889, "{document}/s", "0.00389 documents/s"],
    [7364, "{observation}", "7,364 observations"],
    [null, "s", "—"],
    [NaN, "s", "—"],
  ])("%d %s is %s", (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});
