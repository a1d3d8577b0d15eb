/**
 * A lease on the alert state directory, so that two evaluator processes (or
 * an evaluator and `alerts resolve`) never read and write the state at the
 * same time, and so never both notify for one transition.
 *
 * The lease is a file holding the owner's pid, host, token and expiry. It is
 * written whole to a file of its own and then hard-linked into place, which
 * fails when a lease is there: so the lease file never exists half-written,
 * and a reader never takes a holder's lease for a free one. A lease past its
 * expiry, or one whose owner on this host is gone, is taken over. Two
 * processes taking over one stale lease in the same instant could both
 * believe they hold it; that needs a crash and an exact race, and costs at
 * worst one duplicate notification.
 */
import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
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

/** A lease file that is there but cannot be read as a lease. */
const UNREADABLE = "unreadable";

async function readLease(
  path: string,
): Promise<LeaseFile | typeof UNREADABLE | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as LeaseFile;
  } catch {
    return UNREADABLE;
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

async function stale(
  path: string,
  lease: LeaseFile | typeof UNREADABLE | undefined,
  now: number,
  ttlMillis: number,
): Promise<boolean> {
  if (lease === undefined) return true;
  // Left by a crash or a disk fault, not by a holder (see the file comment):
  // held until it is as old as a lease lasts. File times are wall-clock
  // times, whatever clock the caller runs on.
  if (lease === UNREADABLE) {
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: 0 }));
    return Date.now() - mtimeMs >= ttlMillis;
  }
  if (lease.expiresAtMillis <= now) return true;
  return lease.host === hostname() && !alive(lease.pid);
}

/** Puts the lease in place whole, unless a lease is there already. */
async function tryCreate(path: string, content: LeaseFile): Promise<boolean> {
  const draft = `${path}.${content.token}`;
  await writeFile(draft, JSON.stringify(content));
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
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
    if (await stale(path, current, clock(), ttlMillis)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      return {
        heldBy:
          current === UNREADABLE
            ? `an unreadable lease file ${path}`
            : `pid ${current?.pid ?? "?"} on ${current?.host ?? "?"}`,
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
      return !released && tokenOf(await readLease(path)) === token;
    },
    async release() {
      if (released) return;
      released = true;
      // Only remove our own lease, never one taken over after ours expired.
      if (tokenOf(await readLease(path)) === token)
        await rm(path, { force: true });
    },
  };
}

function tokenOf(
  lease: LeaseFile | typeof UNREADABLE | undefined,
): string | undefined {
  return typeof lease === "object" ? lease.token : undefined;
}
