/**
 * The few PromQL HTTP API calls the end-to-end test makes, answering plain
 * values so that assertions read as numbers.
 */

/** One element of an instant vector. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

interface ApiAnswer {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: Array<{ metric: Record<string, string>; value: [number, string] }>;
  };
}

/**
 * Evaluates `expr` at `timeMillis` (now when undefined). Scalars come back
 * as one sample without labels; an error names the query.
 */
export async function instantQuery(
  url: string,
  expr: string,
  timeMillis?: number,
): Promise<VectorSample[]> {
  const params = new URLSearchParams({ query: expr });
  if (timeMillis !== undefined) params.set("time", String(timeMillis / 1000));
  const response = await fetch(`${url}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: params,
  });
  const answer = (await response.json()) as ApiAnswer;
  if (answer.status !== "success" || answer.data === undefined) {
    throw new Error(`query ${expr} failed: ${answer.error ?? response.status}`);
  }
  const { resultType, result } = answer.data;
  if (resultType === "scalar") {
    const [, value] = result as unknown as [number, string];
    return [{ metric: {}, value: Number(value) }];
  }
  return result.map(({ metric, value }) => ({
    metric,
    value: Number(value[1]),
  }));
}

/** The one value of `expr`, or undefined when the vector is empty. */
export async function single(
  url: string,
  expr: string,
  timeMillis?: number,
): Promise<number | undefined> {
  const result = await instantQuery(url, expr, timeMillis);
  if (result.length > 1) {
    throw new Error(`${expr} gave ${result.length} series, expected one`);
  }
  return result[0]?.value;
}
