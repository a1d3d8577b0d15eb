/**
 * An error the user can fix from the message alone (a bad flag, an unknown
 * metric, a store that is down): printed without a stack trace unless
 * `--verbose`, and the process exits non-zero.
 */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}
