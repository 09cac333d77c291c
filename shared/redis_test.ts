/** The contract suites of every Redis adapter, on the Redis of `deno task infra:up` (IM_CLUSTER_TESTS=1). */
import { Redis } from "ioredis";
import { assertEquals } from "../tests/assert.ts";
import { eventually } from "../tests/harness.ts";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../tests/infra.ts";
import { testDedupe } from "./dedupe/_contract.ts";
import { RedisDedupe } from "./dedupe/redis.ts";
import { testRateLimiter } from "./limiter/_contract.ts";
import { RedisRateLimiter } from "./limiter/redis.ts";
import { testPresence } from "./presence/_contract.ts";
import { RedisPresence } from "./presence/redis.ts";
import { testStatusQueue } from "./queue/_contract.ts";
import { RedisStatusQueue } from "./queue/redis.ts";

const ignore = !clusterTestsEnabled();

/** Wraps an adapter so closing it also closes its own Redis connection. */
function withConnection<T extends { close(): Promise<void> }>(
  make: (redis: Redis) => T,
): () => Promise<T> {
  return () => {
    const redis = new Redis(INFRA.redis, { maxRetriesPerRequest: 1, lazyConnect: false });
    const adapter = make(redis);
    const close = adapter.close.bind(adapter);
    adapter.close = async () => {
      await close();
      redis.disconnect();
    };
    return Promise.resolve(adapter);
  };
}

testPresence(
  "RedisPresence",
  withConnection((redis) => new RedisPresence({ redis, prefix: `test:${uniqueSuffix()}:` })),
  { ignore },
);
testDedupe(
  "RedisDedupe",
  async () => ({
    dedupe: await withConnection((redis) =>
      new RedisDedupe({ redis, prefix: `test:${uniqueSuffix()}:` })
    )(),
    // Redis keeps real time: the contract's margins are generous.
    advance: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
  }),
  { ignore },
);
testRateLimiter(
  "RedisRateLimiter",
  async () => ({
    limiter: await withConnection((redis) =>
      new RedisRateLimiter({ redis, prefix: `test:${uniqueSuffix()}:` })
    )(),
    // Redis keeps its own clock: real time, with a margin.
    advance: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
  }),
  { ignore },
);
testStatusQueue(
  "RedisStatusQueue",
  (key) =>
    withConnection((redis) =>
      new RedisStatusQueue({
        redis,
        prefix: `test:${key}:`,
        consumerId: "c1",
        onError: () => {},
        retryMs: 10,
      })
    )(),
  { ignore },
);

Deno.test(
  { name: "RedisStatusQueue hands over again what a crashed consumer had popped", ignore },
  async () => {
    const redis = new Redis(INFRA.redis, { maxRetriesPerRequest: 1 });
    const prefix = `test:${uniqueSuffix()}:`;
    try {
      const producer = new RedisStatusQueue({ redis, prefix, consumerId: "task-1" });
      await producer.push({ userId: "7", online: true, at: 1 });
      // The consumer popped it into its processing list, then died before handling it.
      await redis.lmove(`${prefix}status`, `${prefix}status:processing:task-1`, "RIGHT", "LEFT");
      const restarted = new RedisStatusQueue({
        redis,
        prefix,
        consumerId: "task-1",
        onError: () => {},
      });
      const seen: string[] = [];
      restarted.consume((change) => {
        seen.push(change.userId);
        return Promise.resolve();
      });
      await eventually(() => seen.length === 1);
      await restarted.close();
      assertEquals(seen, ["7"]);
      assertEquals(await redis.llen(`${prefix}status:processing:task-1`), 0);
    } finally {
      redis.disconnect();
    }
  },
);

Deno.test(
  {
    name:
      "RedisRateLimiter keeps keys short and lets a refused bucket live no longer than its refill",
    ignore,
  },
  async () => {
    const redis = new Redis(INFRA.redis, { maxRetriesPerRequest: 1 });
    const prefix = `test:${uniqueSuffix()}:`;
    try {
      const limiter = new RedisRateLimiter({ redis, prefix });
      const limit = { rate: 1, burst: 2 };
      for (let i = 0; i < 50; i++) {
        const key = `login:user:${i}`.padEnd(250, "x");
        await limiter.take(key, limit);
        await limiter.take(key, limit);
        await limiter.take(key, limit);
        await limiter.take(key, limit); // refused twice
      }
      await limiter.refund("never taken", limit);
      await limiter.remember("m".repeat(1000), 60_000);
      const keys = await redis.keys(`${prefix}*`);
      assertEquals(keys.length, 51, "a bucket per key and a mark; a refund of nothing makes none");
      const longest = Math.max(...keys.map((k) => k.length - prefix.length));
      assertEquals(longest <= "mark:".length + 64, true, `longest key ${longest}`);
      for (const key of keys.filter((k) => k.includes(":rate:"))) {
        const ttl = await redis.pttl(key);
        assertEquals(ttl > 0 && ttl <= 3000, true, `${key} lives ${ttl} ms`);
      }
      await limiter.close();
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  },
);
