import { assert, assertEquals } from "../../tests/assert.ts";
import { testRateLimiter } from "./_contract.ts";
import { MemoryRateLimiter } from "./memory.ts";

testRateLimiter("MemoryRateLimiter", () => {
  let now = 0;
  return Promise.resolve({
    limiter: new MemoryRateLimiter({ now: () => now }),
    advance: (ms: number) => Promise.resolve(void (now += ms)),
  });
});

const limit = { rate: 1, burst: 2 };

Deno.test("MemoryRateLimiter keeps at most maxKeys buckets, the least recently used going first", async () => {
  const limiter = new MemoryRateLimiter({ maxKeys: 100, now: () => 0 });
  await limiter.take("kept", limit);
  await limiter.take("kept", limit);
  for (let i = 0; i < 10_000; i++) {
    await limiter.take(`${i}`.padStart(250, "x"), limit);
    if (i % 50 === 0) assert(await limiter.take("kept", limit) > 0, "kept stays empty");
  }
  assertEquals(limiter.size, 100);
  assertEquals(await limiter.take("0".padStart(250, "x"), limit), 0, "evicted, so full again");
  await limiter.close();
});

Deno.test("MemoryRateLimiter drops a bucket once idle long enough to refill, not before", async () => {
  let now = 0;
  const limiter = new MemoryRateLimiter({ sweepMs: 1000, now: () => now });
  const slow = { rate: 0.1, burst: 3 };
  // Three taken at 0 refill by 30 s; a full bucket touched at 10 s is full again by 20 s.
  for (let i = 0; i < 3; i++) await limiter.take("drained", slow);
  now = 10_000;
  await limiter.take("fresh", slow);
  assertEquals(limiter.size, 2);
  now = 25_000;
  await limiter.take("other", limit);
  assertEquals(limiter.size, 2, "fresh went at 20 s, drained waits for 30 s");
  assert(await limiter.take("drained", slow) === 0, "it has refilled by a token and a half");
  now = 60_000;
  await limiter.take("other", limit);
  assertEquals(limiter.size, 1);
  await limiter.close();
});

Deno.test("MemoryRateLimiter keeps marks apart from buckets, bounded too", async () => {
  const limiter = new MemoryRateLimiter({ maxKeys: 10, now: () => 0 });
  await limiter.remember("known", 60_000);
  for (let i = 0; i < 1000; i++) await limiter.take(`k${i}`, limit);
  assertEquals(await limiter.remembered("known"), true, "buckets do not push marks out");
  for (let i = 0; i < 10; i++) await limiter.remember(`m${i}`, 60_000);
  assertEquals(await limiter.remembered("known"), false, "the least recently marked went");
  assertEquals(await limiter.remembered("m0"), true);
  await limiter.close();
});
