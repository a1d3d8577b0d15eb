import { expect } from "vitest";

/**
 * Expects a number equal to `expected` within a relative tolerance, with
 * NaN equal to NaN and infinities equal only to themselves.
 */
export function expectClose(
  actual: number | undefined,
  expected: number,
  relative = 1e-9,
): void {
  if (Number.isNaN(expected)) return void expect(actual).toBeNaN();
  if (!Number.isFinite(expected)) return void expect(actual).toBe(expected);
  expect(actual).toBeTypeOf("number");
  const tolerance = Math.max(Math.abs(expected) * relative, 1e-12);
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
    tolerance,
  );
}
