import { assertEquals, assertThrows } from "../tests/assert.ts";
import { TokenBucket } from "./token_bucket.ts";

Deno.test("TokenBucket.take() allows a burst, then the rate", () => {
  let now = 0;
  const bucket = new TokenBucket({ rate: 10, burst: 3, now: () => now });
  assertEquals([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [
    true,
    true,
    true,
    false,
  ]);
  assertEquals(bucket.waitMs(), 100);
  now += 100;
  assertEquals([bucket.take(), bucket.take()], [true, false]);
  now += 10_000;
  assertEquals(bucket.available(), 3);
});

Deno.test("TokenBucket rejects a non-positive rate or burst", () => {
  assertThrows(() => new TokenBucket({ rate: 0, burst: 1 }));
  assertThrows(() => new TokenBucket({ rate: 1, burst: 0 }));
});

Deno.test("TokenBucket.give() returns tokens up to the burst", () => {
  const bucket = new TokenBucket({ rate: 1, burst: 2, now: () => 0 });
  assertEquals([bucket.take(), bucket.take(), bucket.take()], [true, true, false]);
  bucket.give();
  assertEquals([bucket.take(), bucket.take()], [true, false]);
  bucket.give(5);
  assertEquals(bucket.available(), 2);
  assertEquals(bucket.waitMs(2), 0);
});
