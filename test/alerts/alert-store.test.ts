import { describe, expect, it } from "vitest";
import {
  AlertStore,
  MAX_SILENCE_SECONDS,
  SilenceNotFoundError,
} from "../../src/alerts/alert-store.js";
import { tempDir, testClock } from "./helpers/fixtures.js";

describe("silences", () => {
  it("lists the silences in force and ends one by a prefix of its id", async () => {
    const clock = testClock();
    const store = new AlertStore(await tempDir(), { clock: clock.now });
    const web = await store.silence({ "host.name": "web-1" }, 3600, "deploy");
    const db = await store.silence({ alertname: "DiskUsageHigh" }, 60);
    expect((await store.silences()).map((s) => s.id)).toEqual([web.id, db.id]);

    expect(await store.unsilence(web.id.slice(0, 4))).toEqual(web);
    expect((await store.silences()).map((s) => s.id)).toEqual([db.id]);
    await expect(store.unsilence(web.id)).rejects.toThrow(SilenceNotFoundError);

    clock.advance(61_000);
    expect(await store.silences()).toEqual([]);
    // An ended silence cannot be ended again.
    await expect(store.unsilence(db.id)).rejects.toThrow(/no silence in force/);
  });

  // Regression: `--for 9999999d` was accepted, a silence until year 29405.
  it.each([0, -1, MAX_SILENCE_SECONDS + 1, 9_999_999 * 86_400])(
    "refuses a silence of %d s",
    async (seconds) => {
      const store = new AlertStore(await tempDir());
      await expect(store.silence({ a: "b" }, seconds)).rejects.toThrow(
        /more than 0 s and at most 90 days/,
      );
      expect(await store.silences()).toEqual([]);
    },
  );
});
