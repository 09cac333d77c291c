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
