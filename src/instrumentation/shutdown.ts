/**
 * Flushing the last interval when the app ends, within a bound, without
 * taking over the app's own signal handling.
 */

/**
 * Waits for `work` at most `timeoutMillis`. The timer is referenced on
 * purpose: it keeps the process alive while the last export is on its way
 * (the exporter's sockets are not), and lets it go when the bound is reached.
 */
export function withTimeout(
  work: Promise<void>,
  timeoutMillis: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMillis);
  });
  return Promise.race([work.catch(() => undefined), bound]).finally(() =>
    clearTimeout(timer),
  );
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Flushes on SIGTERM, SIGINT and when the event loop empties. A signal the
 * app listens to itself is left to the app, which decides when to exit; a
 * signal nobody else listens to is raised again once the flush is done, so
 * the process ends as it would have without us (same signal, same status).
 * A second signal during the flush ends the process at once.
 *
 * @returns a function that removes the hooks
 */
export function installExitHooks(
  shutdown: () => Promise<void>,
  timeoutMillis: number,
): () => void {
  let flushing: Promise<void> | undefined;
  let done = false;
  const flush = (): Promise<void> => {
    flushing ??= withTimeout(shutdown(), timeoutMillis).finally(() => {
      done = true;
    });
    return flushing;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    const pending = flushing !== undefined && !done;
    const appHandles = process.listenerCount(signal) > 1;
    if (appHandles) {
      void flush();
      return;
    }
    if (pending) return reraise(signal);
    void flush().then(() => reraise(signal));
  };
  const onBeforeExit = (): void => {
    if (!done) void flush();
  };

  const remove = (): void => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off("beforeExit", onBeforeExit);
  };
  const reraise = (signal: NodeJS.Signals): void => {
    remove();
    process.kill(process.pid, signal);
  };

  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on("beforeExit", onBeforeExit);
  return remove;
}
