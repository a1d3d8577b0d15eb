import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLease, type Lease } from "../../src/alerts/lease.js";

let dir: string;
let leasePath: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "td-lease-"));
  leasePath = path.join(dir, "alerts", "evaluator.lease");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function held(lease: Lease | { heldBy: string }): lease is Lease {
  return !("heldBy" in lease);
}

describe("acquireLease", () => {
  it("gives the lease to one holder at a time among many asking at once", async () => {
    let holding = 0;
    let most = 0;
    let turns = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const lease = await acquireLease(leasePath, {
          ttlMillis: 60_000,
          waitMillis: 30_000,
        });
        if (!held(lease)) throw new Error(`not taken: ${lease.heldBy}`);
        holding += 1;
        most = Math.max(most, holding);
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await lease.stillHeld()).toBe(true);
        holding -= 1;
        turns += 1;
        await lease.release();
      }),
    );
    expect(turns).toBe(12);
    expect(most).toBe(1);
    // No draft file is left beside the lease.
    expect(await readdir(path.dirname(leasePath))).toEqual([]);
  });

  it("holds off a lease file it cannot read until it is as old as a lease lasts", async () => {
    const first = await acquireLease(leasePath, { ttlMillis: 60_000 });
    expect(held(first)).toBe(true);
    if (held(first)) await first.release();
    writeFileSync(leasePath, "");

    const blocked = await acquireLease(leasePath, { ttlMillis: 60_000 });
    expect(blocked).toEqual({
      heldBy: `an unreadable lease file ${leasePath}`,
    });

    const old = (Date.now() - 61_000) / 1000;
    utimesSync(leasePath, old, old);
    const taken = await acquireLease(leasePath, { ttlMillis: 60_000 });
    expect(held(taken)).toBe(true);
  });

  it("takes over a lease past its expiry, and the old holder knows it lost it", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const first = await acquireLease(leasePath, { ttlMillis: 1000, clock });
    if (!held(first)) throw new Error("first lease not taken");
    now += 1001;
    const second = await acquireLease(leasePath, { ttlMillis: 1000, clock });
    if (!held(second)) throw new Error("second lease not taken");

    expect(await first.stillHeld()).toBe(false);
    await first.release(); // leaves the second holder's lease alone
    expect(await second.stillHeld()).toBe(true);
  });
});
