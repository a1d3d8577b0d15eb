/**
 * Delivery over HTTP with a timeout per attempt, retries with exponential
 * backoff on network errors, 429 and 5xx, and errors that never carry the
 * URL or token: both are secrets read from the environment.
 */

/** Options of {@link postJson}. */
export interface PostOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMillis: number;
  readonly maxAttempts: number;
  /** The wait before the second attempt; doubled for each further one. */
  readonly initialBackoffMillis?: number;
  /** Strings to blank out of any error message (URL, token). */
  readonly secrets: readonly string[];
}

/** A delivery that failed on every attempt; the message holds no secret. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/** Replaces every secret (and its URL-encoded form) with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([
      secret,
      encodeURI(secret),
      encodeURIComponent(secret),
    ])) {
      result = result.split(form).join("[redacted]");
    }
  }
  return result;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "timed out";
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/** POSTs a JSON body; resolves with the attempts it took. */
export async function postJson(
  url: string,
  body: unknown,
  options: PostOptions,
): Promise<number> {
  const {
    headers = {},
    timeoutMillis,
    maxAttempts,
    initialBackoffMillis = 500,
    secrets,
  } = options;
  const text = JSON.stringify(body);
  let lastError = "";
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    let retryable = true;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: text,
        signal: AbortSignal.timeout(timeoutMillis),
      });
      // Drain the body so the connection is released.
      const answer = (await response.text()).slice(0, 200);
      if (response.ok) return attempt;
      retryable = response.status === 429 || response.status >= 500;
      lastError = `HTTP ${response.status}${answer === "" ? "" : `: ${answer}`}`;
    } catch (error) {
      lastError = describe(error);
    }
    if (!retryable || attempt === maxAttempts) {
      throw new DeliveryError(
        redact(`${lastError} (attempt ${attempt} of ${maxAttempts})`, secrets),
        attempt,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, initialBackoffMillis * 2 ** (attempt - 1)),
    );
  }
  throw new DeliveryError(redact(lastError, secrets), maxAttempts);
}
