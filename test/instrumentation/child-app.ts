/**
 * Runs a fixture app in a real child process under the register entry, the
 * way an operator would: `node --require|--import td-monitoring/register`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package root: `td-monitoring/register` resolves from here by self-reference. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A running fixture app. */
export interface ChildApp {
  readonly child: ChildProcess;
  /** The port it listens on, once it said so (undefined for apps that do not). */
  readonly port: number | undefined;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code and signal once the process has ended. */
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  /** Ends the process if it still runs. */
  stop(): Promise<void>;
}

/** Options of {@link startApp}. */
export interface StartAppOptions {
  readonly loader: "--require" | "--import";
  /** The fixture under test/fixtures/apps. */
  readonly app: string;
  readonly env: Record<string, string>;
  readonly nodeOptions?: readonly string[];
  /** Wait for the "listening <port>" line (default true). */
  readonly waitForPort?: boolean;
}

/** Starts a fixture app; the caller must `stop()` it. */
export async function startApp(options: StartAppOptions): Promise<ChildApp> {
  if (!existsSync(`${ROOT}dist/register.js`)) {
    throw new Error("dist/register.js is missing: run `npm run build` first");
  }
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeOptions ?? []),
      options.loader,
      "td-monitoring/register",
      `test/fixtures/apps/${options.app}`,
    ],
    {
      cwd: ROOT,
      // Only what the test sets, so the machine's own OTEL_* cannot leak in.
      env: { PATH: process.env.PATH ?? "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let ended = false;
  void exited.then(() => (ended = true));

  const port =
    options.waitForPort === false
      ? undefined
      : await waitForPort(
          () => stdout,
          exited,
          () => stderr,
        );
  return {
    child,
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (!ended) child.kill("SIGKILL");
      await exited;
    },
  };
}

async function waitForPort(
  stdout: () => string,
  exited: Promise<unknown>,
  stderr: () => string,
): Promise<number> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const match = /listening (\d+)/.exec(stdout());
    if (match) return Number(match[1]);
    if (hasExited)
      throw new Error(`the app exited before listening:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the app did not listen within 20 s:\n${stderr()}`);
}

/** GETs a path of the app and returns the status code. */
export async function get(
  port: number | undefined,
  path: string,
): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.arrayBuffer();
  return response.status;
}
