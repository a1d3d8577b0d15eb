/**
 * A lease on the alert state directory, so that two evaluator processes (or
 * an evaluator and `alerts resolve`) never read and write the state at the
 * same time, and so never both notify for one transition.
 *
 * The lease is a file created with O_EXCL holding the owner's pid, host,
 * token and expiry. A lease past its expiry, or one whose owner on this host
 * is gone, is taken over. Two processes taking over one stale lease in the
 * same instant could both believe they hold it; that needs a crash and an
 * exact race, and costs at worst one duplicate notification.
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { hostname } from "node:os";

/** A held lease; `release()` is safe to call twice. */
export interface Lease {
  readonly token: string;
  /** Whether the lease file still names this holder (not expired and taken over). */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** Options of {@link acquireLease}. */
export interface LeaseOptions {
  /** How long the lease lasts if its holder dies without releasing it. */
  readonly ttlMillis: number;
  /** How long to wait for a held lease before giving up (0: try once). */
  readonly waitMillis?: number;
  readonly clock?: () => number;
}

interface LeaseFile {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly expiresAtMillis: number;
}

async function readLease(path: string): Promise<LeaseFile | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as LeaseFile;
  } catch {
    // Missing, or half-written by a holder that died mid-write: both are free.
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function stale(lease: LeaseFile | undefined, now: number): boolean {
  if (lease === undefined) return true;
  if (lease.expiresAtMillis <= now) return true;
  return lease.host === hostname() && !alive(lease.pid);
}

async function tryCreate(path: string, content: LeaseFile): Promise<boolean> {
  try {
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(JSON.stringify(content));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Takes the lease at `path`, or returns the current holder's description
 * when it is held and `waitMillis` passes.
 */
export async function acquireLease(
  path: string,
  { ttlMillis, waitMillis = 0, clock = Date.now }: LeaseOptions,
): Promise<Lease | { readonly heldBy: string }> {
  const token = randomUUID();
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + waitMillis;
  for (;;) {
    const content = {
      pid: process.pid,
      host: hostname(),
      token,
      expiresAtMillis: clock() + ttlMillis,
    };
    if (await tryCreate(path, content)) return leaseOf(path, token);
    const current = await readLease(path);
    if (stale(current, clock())) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      return {
        heldBy: `pid ${current?.pid ?? "?"} on ${current?.host ?? "?"}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function leaseOf(path: string, token: string): Lease {
  let released = false;
  return {
    token,
    async stillHeld() {
      return !released && (await readLease(path))?.token === token;
    },
    async release() {
      if (released) return;
      released = true;
      // Only remove our own lease, never one taken over after ours expired.
      if ((await readLease(path))?.token === token)
        await rm(path, { force: true });
    },
  };
}
