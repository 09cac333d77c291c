import { assert, assertEquals } from "../../tests/assert.ts";
import { testDedupe } from "./_contract.ts";
import { MemoryDedupe } from "./memory.ts";

function fakeClock() {
  let now = 1_000_000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

testDedupe("MemoryDedupe", () => {
  const clock = fakeClock();
  return Promise.resolve({ dedupe: new MemoryDedupe({ now: clock.now }), advance: clock.advance });
});

Deno.test("MemoryDedupe holds at most maxKeys, the oldest going first", async () => {
  const clock = fakeClock();
  const dedupe = new MemoryDedupe({ maxKeys: 3, now: clock.now });
  const started = dedupe.heldSince();
  await clock.advance(5);
  const aSetAt = clock.now();
  for (const key of ["a", "b", "c"]) await dedupe.set(key, key, 60_000);
  assertEquals(dedupe.heldSince(), started, "nothing let go yet");
  await clock.advance(10);
  assertEquals(await dedupe.claim("d", "d", 60_000), null);
  assertEquals(dedupe.size, 3);
  assertEquals(await dedupe.get("a"), null);
  assertEquals(await dedupe.get("d"), "d");
  assertEquals(dedupe.heldSince(), aSetAt + 1, "a key set then was let go before its time");
  await dedupe.set("b", "b2", 60_000);
  assertEquals(dedupe.size, 3, "setting a held key again takes no room");
  await dedupe.close();
});

Deno.test("MemoryDedupe lets expired keys go without changing heldSince()", async () => {
  const clock = fakeClock();
  const dedupe = new MemoryDedupe({ maxKeys: 2, now: clock.now });
  const started = dedupe.heldSince();
  await dedupe.set("a", "a", 5);
  await dedupe.set("b", "b", 5);
  await clock.advance(10);
  await dedupe.set("c", "c", 60_000);
  assertEquals(dedupe.heldSince(), started);
  assert(dedupe.size <= 2);
  await dedupe.close();
});

Deno.test("MemoryDedupe keeps the newest maxKeys keys over many evictions, a key set again keeping its place", async () => {
  const clock = fakeClock();
  const dedupe = new MemoryDedupe({ maxKeys: 100, now: clock.now });
  for (let i = 0; i < 5000; i++) {
    await dedupe.claim(`k${i}`, String(i), 60_000);
    // Set again while held: no room taken, and it is still let go in its original turn.
    if (i % 7 === 0) await dedupe.set(`k${i}`, `again ${i}`, 60_000);
  }
  assertEquals(dedupe.size, 100);
  assertEquals(await dedupe.get("k4899"), null);
  assertEquals(await dedupe.get("k4901"), "4901");
  assertEquals(await dedupe.get("k4998"), "again 4998");
  await dedupe.close();
});
