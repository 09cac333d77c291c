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
