/** storedSoon(): a miss waits for a recent id only, and only so long. */
import { assertEquals } from "../tests/assert.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { storedSoon } from "./stored_soon.ts";

Deno.test("storedSoon: a recent id missing at first is found once the store has it", async () => {
  const id = new Snowflake({ workerId: 1 }).next();
  let tries = 0;
  const found = await storedSoon(id, () => Promise.resolve(++tries < 4 ? null : "stored"));
  assertEquals([found, tries], ["stored", 4]);
});

Deno.test("storedSoon: an old id, a future one or one that is no snowflake misses at once", async () => {
  const now = Date.now();
  const old = new Snowflake({ workerId: 1, now: () => now - 120_000 }).next();
  const ahead = new Snowflake({ workerId: 1, now: () => now + 60_000 }).next();
  for (const id of [old, ahead, "abc", "123"]) {
    let tries = 0;
    const found = await storedSoon(id, () => Promise.resolve(++tries && null));
    assertEquals([found, tries], [null, 1], id);
  }
});

Deno.test("storedSoon: a recent id never stored misses after the wait", async () => {
  const id = new Snowflake({ workerId: 1 }).next();
  let tries = 0;
  const started = performance.now();
  const found = await storedSoon(id, () => Promise.resolve(++tries && null), Date.now, 100);
  assertEquals(found, null);
  assertEquals(tries > 2, true, `${tries} tries`);
  assertEquals(performance.now() - started >= 100, true);
});
