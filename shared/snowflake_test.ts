import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { Snowflake, SNOWFLAKE_EPOCH, snowflakeTime } from "./snowflake.ts";

Deno.test("Snowflake.next() encodes time, worker and sequence", () => {
  const ids = new Snowflake({ workerId: 5, now: () => SNOWFLAKE_EPOCH + 1000 });
  const a = ids.nextBigInt();
  const b = ids.nextBigInt();
  assertEquals(a, (1000n << 22n) | (5n << 12n));
  assertEquals(b - a, 1n);
  assertEquals(snowflakeTime(a), SNOWFLAKE_EPOCH + 1000);
  assertEquals(typeof ids.next(), "string");
});

Deno.test("Snowflake.next() never repeats when the clock steps back", () => {
  let now = SNOWFLAKE_EPOCH + 10_000;
  const ids = new Snowflake({ workerId: 1, now: () => now });
  const seen = new Set<bigint>();
  let last = 0n;
  for (let i = 0; i < 20_000; i++) {
    if (i === 5000) now -= 5000;
    if (i % 1000 === 0) now += 1;
    const id = ids.nextBigInt();
    assert(id > last, `id ${i} did not increase`);
    assert(!seen.has(id));
    seen.add(id);
    last = id;
  }
});

Deno.test("Snowflake.next() moves to the next millisecond when 4096 ids are used up", () => {
  const ids = new Snowflake({ workerId: 0, now: () => SNOWFLAKE_EPOCH + 1 });
  let last = 0n;
  for (let i = 0; i < 4096 * 3; i++) {
    const id = ids.nextBigInt();
    assert(id > last);
    last = id;
  }
  assertEquals(snowflakeTime(last), SNOWFLAKE_EPOCH + 3);
});

Deno.test("Snowflake rejects worker ids outside 0–1023", () => {
  assertThrows(() => new Snowflake({ workerId: 1024 }));
  assertThrows(() => new Snowflake({ workerId: -1 }));
});

Deno.test("Snowflake.next() refuses while the worker id is withdrawn, then mints on the new one", () => {
  const ids = new Snowflake({ workerId: 3, now: () => SNOWFLAKE_EPOCH + 1000 });
  const before = ids.nextBigInt();
  ids.setWorkerId(null);
  assertThrows(() => ids.next());
  ids.setWorkerId(7);
  const after = ids.nextBigInt();
  assert(after > before);
  assertEquals((after >> 12n) & 1023n, 7n);
});
