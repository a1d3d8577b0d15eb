/**
 * Child processes for the end-to-end test, each in a process group of its
 * own so that stopping one ends everything it started, and a registry of
 * those still running so that nothing outlives the test, even when it fails
 * half-way or the worker exits.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** A child process whose output is kept for failure messages. */
export interface Process {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last 100 kB of stdout and stderr together. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output so far or later. */
  waitForOutput(
    pattern: RegExp,
    timeoutMillis: number,
  ): Promise<RegExpMatchArray>;
  /** SIGTERM to the group, SIGKILL after 10 s; safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<Process>();

// Synchronous last resort: vitest may end the worker without running
// afterAll (a hook timeout, a crash); process groups of detached children
// would otherwise stay behind.
process.once("exit", () => {
  for (const p of running) killGroup(p.child, "SIGKILL");
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Starts `command` in a new process group. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Process {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-100_000);
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    // A spawn failure (ENOENT) emits error and no exit.
    child.once("error", (error) => {
      output += `\n${name}: ${error.message}`;
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const handle: Process = {
    name,
    child,
    output: () => output,
    waitForOutput(pattern, timeoutMillis) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match === null) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${name}: no ${String(pattern)} in its output within ${timeoutMillis} ms:\n${output.slice(-4000)}`,
            ),
          );
        }, timeoutMillis);
        const onExit = () => {
          done();
          reject(
            new Error(
              `${name} exited (${child.exitCode ?? child.signalCode}) before printing ${String(pattern)}:\n${output.slice(-4000)}`,
            ),
          );
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
        if (child.exitCode !== null || child.signalCode !== null) onExit();
      });
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          killGroup(child, "SIGTERM");
          const killer = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
          await exited;
          clearTimeout(killer);
        }
        // Anything the leader left in its group goes with it.
        killGroup(child, "SIGKILL");
        running.delete(handle);
      })();
      return stopping;
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every process still running, all at once. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}
