/** The contract suite of the RateLimiter port. */
import { assert, assertEquals } from "../../tests/assert.ts";
import type { RateLimiter } from "./mod.ts";

/** A limiter under test and a way to let time pass: a fake clock, or real time on an engine. */
export interface OpenedRateLimiter {
  limiter: RateLimiter;
  advance(ms: number): Promise<void>;
}

/** Runs the RateLimiter contract against instances made by `open`. */
export function testRateLimiter(
  name: string,
  open: () => Promise<OpenedRateLimiter>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test(
    { name: `${name}: allows the burst, then tells how long to wait`, ignore },
    async () => {
      const { limiter, advance } = await open();
      const key = crypto.randomUUID();
      const limit = { rate: 10, burst: 3 };
      assertEquals([
        await limiter.take(key, limit),
        await limiter.take(key, limit),
        await limiter.take(key, limit),
      ], [0, 0, 0]);
      const wait = await limiter.take(key, limit);
      assert(wait > 0 && wait <= 100, `wait ${wait}`);
      assertEquals(await limiter.take(`${key}-other`, limit), 0, "keys are independent");
      await advance(150);
      assertEquals(await limiter.take(key, limit), 0);
      await limiter.close();
    },
  );

  Deno.test(
    { name: `${name}: refund gives a token back, never past the burst`, ignore },
    async () => {
      const { limiter } = await open();
      const key = crypto.randomUUID();
      const limit = { rate: 0.01, burst: 2 };
      await limiter.refund(key, limit);
      assertEquals([await limiter.take(key, limit), await limiter.take(key, limit)], [0, 0]);
      assert(await limiter.take(key, limit) > 0, "the burst, refund or not");
      await limiter.refund(key, limit);
      assertEquals(await limiter.take(key, limit), 0);
      assert(await limiter.take(key, limit) > 0);
      await limiter.close();
    },
  );

  Deno.test(
    { name: `${name}: long keys that share their start are distinct`, ignore },
    async () => {
      const { limiter } = await open();
      const start = `${crypto.randomUUID()}:`.padEnd(300, "x");
      const limit = { rate: 0.01, burst: 1 };
      assertEquals(await limiter.take(`${start}a`, limit), 0);
      assert(await limiter.take(`${start}a`, limit) > 0);
      assertEquals(await limiter.take(`${start}b`, limit), 0);
      await limiter.close();
    },
  );

  Deno.test(
    { name: `${name}: remembers a key until its time is up`, ignore },
    async () => {
      const { limiter, advance } = await open();
      const key = `${crypto.randomUUID()}:`.padEnd(300, "k");
      assertEquals(await limiter.remembered(key), false);
      await limiter.remember(key, 300);
      assertEquals(await limiter.remembered(key), true);
      assertEquals(await limiter.remembered(`${key}-other`), false);
      await advance(500);
      assertEquals(await limiter.remembered(key), false);
      await limiter.close();
    },
  );
}
