/**
 * What the CLI prints for people: app-provided text made printable.
 */
import { describe, expect, it } from "vitest";
import { formatValue, printable, styles, table } from "../../src/cli/output.js";

const EVIL = "evil\u001b[31mRED\n\u001b]0;title\u0007\u009b2J";

describe("printable", () => {
  it("shows control characters as escapes instead of acting on them", () => {
    expect(printable(EVIL)).toBe(
      "evil\\x1b[31mRED\\n\\x1b]0;title\\x07\\x9b2J",
    );
    expect(printable("café / ünïcode")).toBe("café / ünïcode");
  });
});

describe("table", () => {
  it("escapes a label's escape sequence and newline, keeping the row whole", () => {
    const text = table([
      ["", "avg"],
      [`service.name=${EVIL}`, "3"],
    ]);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text.split("\n")).toHaveLength(2);
  });

  it("keeps the colours styles() made and escapes a forged one", () => {
    const { red } = styles(true);
    const text = table([[red("critical 1"), `\u001b[32mforged\u001b[0m`]]);
    expect(text).toContain("\u001b[31mcritical 1\u001b[0m");
    expect(text).toContain("\\x1b[32mforged\\x1b[0m");
  });
});

describe("formatValue", () => {
  it.each([
    // A user saw "201 user" and "0.2978 request/s", "4.833 %".
    [201, "{user}", "201 users"],
    [1, "{user}", "1 user"],
    [0.2978, "{request}/s", "0.298 requests/s"],
    [0.04833, "1", "4.83 %"],
    [0.1536, "s", "154 ms"],
    [1234.5, "{document}", "1,235 documents"],
    [7364, "{observation}", "7,364 observations"],
    [1536, "By", "1.5 KiB"],
    [null, "{user}", "—"],
  ])("%s %s is %j", (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});
