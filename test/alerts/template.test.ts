import { describe, expect, it } from "vitest";
import { formatChange } from "../../src/alerts/template.js";

describe("formatChange", () => {
  it.each([
    [
      { metric: "td.queue.length", before: 0, after: 53 },
      "td.queue.length 0 → 53",
    ],
    // The window before an alert can hold no data; in memory that is NaN,
    // after the state file's JSON round trip it is null.
    [
      { metric: "td.queue.length", before: NaN, after: 53 },
      "td.queue.length no data → 53",
    ],
    [
      { metric: "td.queue.length", before: null, after: 1.23456 },
      "td.queue.length no data → 1.235",
    ],
  ])("%o reads %s", (change, expected) => {
    expect(formatChange(change)).toBe(expected);
  });
});
