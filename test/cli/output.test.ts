/**
 * What the CLI prints for people: app-provided text made printable.
 */
import { describe, expect, it } from "vitest";
import { printable, styles, table } from "../../src/cli/output.js";

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
