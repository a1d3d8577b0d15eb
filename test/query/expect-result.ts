import { expect } from "vitest";
import type { BucketCount, QueryResult } from "../../src/query/model.js";
import type { QueryCase } from "./cases.js";
import { expectClose } from "./close.js";

/** Expects a store's answer to be a case's answer, numbers within a relative 1e-9. */
export function expectCaseResult(
  result: QueryResult,
  expected: QueryCase["expected"],
): void {
  expect(result.series.map((s) => s.labels)).toEqual(
    expected.map((e) => e.labels),
  );
  result.series.forEach((series, i) => {
    const want = expected[i]!;
    expectClose(series.value, want.value);
    expectBuckets(series.buckets, want.buckets);
    if (want.points === undefined)
      return void expect(series.points).toBeUndefined();
    expect(series.points?.map(([t]) => t)).toEqual(want.points.map(([t]) => t));
    series.points?.forEach(([, value], j) =>
      expectClose(value, want.points![j]![1]),
    );
  });
}

function expectBuckets(
  actual: readonly BucketCount[] | undefined,
  expected: readonly BucketCount[] | undefined,
): void {
  if (expected === undefined) return void expect(actual).toBeUndefined();
  const bounds = (list: readonly BucketCount[]) =>
    list.map((b) => [b.lowerBound, b.upperBound]);
  expect(bounds(actual ?? [])).toEqual(bounds(expected));
  actual?.forEach((bucket, i) => expectClose(bucket.count, expected[i]!.count));
}
