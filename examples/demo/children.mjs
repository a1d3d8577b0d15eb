// The demo's child processes: each one's output goes to a log file and, line
// by line, to whoever listens; all of them are stopped on the way out, also
// when the demo fails or is interrupted.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";

const STOP_GRACE_MILLIS = 10_000;

/** A child that exited before it was asked to, or failed. */
export class ChildExitedError extends Error {}

export class Children {
  #running = new Set();
  /** Every child started, as `{ name, pid }`. */
  started = [];

  /** @param {string} logDir where each child's `<name>.log` goes */
  constructor(logDir) {
    this.logDir = logDir;
    // Last resort if the demo itself dies: no child outlives it.
    process.once("exit", () => this.killAll());
  }

  /**
   * Starts `node ...args`; `onLine(line, stream)` sees each line of its
   * standard output ("stdout") and error ("stderr").
   */
  start(name, args, { env = {}, cwd, onLine = () => {} } = {}) {
    // In a process group of its own, so that Ctrl-C in the terminal reaches
    // only the demo, which stops the children in order: the service while
    // the collector still takes its last export, then the collector.
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.started.push({ name, pid: child.pid });
    const logFile = path.join(this.logDir, `${name}.log`);
    const log = createWriteStream(logFile);
    const entry = { name, child, logFile, listeners: new Set([onLine]) };
    for (const stream of ["stdout", "stderr"]) {
      createInterface({ input: child[stream] }).on("line", (line) => {
        log.write(`${line}\n`);
        for (const listener of entry.listeners) listener(line, stream);
      });
    }
    // "close", not "exit": by then every line of output has been read.
    entry.exited = once(child, "close").then(([code, signal]) => {
      this.#running.delete(entry);
      log.end();
      return { code, signal };
    });
    this.#running.add(entry);
    return entry;
  }

  /**
   * The first line of `entry` that `match` turns into something other than
   * undefined; rejects when the child exits first or after `timeoutMillis`.
   */
  waitFor(entry, match, timeoutMillis = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(reject, new Error(`${entry.name} did not start in time`)),
        timeoutMillis,
      );
      const listener = (line) => {
        const value = match(line);
        if (value !== undefined) finish(resolve, value);
      };
      const finish = (settle, value) => {
        clearTimeout(timer);
        entry.listeners.delete(listener);
        settle(value);
      };
      entry.listeners.add(listener);
      entry.exited.then(({ code, signal }) =>
        finish(
          reject,
          new ChildExitedError(
            `${entry.name} exited (${signal ?? `code ${code}`}); see ${entry.logFile}`,
          ),
        ),
      );
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  async stop(entry) {
    if (!this.#running.has(entry)) return entry.exited;
    entry.child.kill("SIGTERM");
    const timer = setTimeout(
      () => entry.child.kill("SIGKILL"),
      STOP_GRACE_MILLIS,
    );
    try {
      return await entry.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every child still running, the last started first. */
  async stopAll() {
    for (const entry of [...this.#running].reverse()) await this.stop(entry);
  }

  /**
   * Runs `node ...args` to completion and resolves with its standard output;
   * rejects, pointing at its log, when it exits non-zero.
   */
  async run(name, args, options = {}) {
    const out = [];
    const entry = this.start(name, args, {
      ...options,
      onLine: (line, stream) => stream === "stdout" && out.push(line),
    });
    const { code, signal } = await entry.exited;
    if (code !== 0) {
      throw new ChildExitedError(
        `${name} failed (${signal ?? `code ${code}`}); see ${entry.logFile}`,
      );
    }
    return out.join("\n");
  }

  killAll() {
    for (const { child } of this.#running) child.kill("SIGKILL");
  }
}
