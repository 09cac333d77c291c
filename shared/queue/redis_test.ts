/**
 * What the status queue's Redis lists promise beyond the contract: a crashed consumer's items come
 * back, the keys of before the `{status}` tag are adopted on upgrade, and a Redis Cluster runs it.
 * On the Redis of `deno task infra:up` (IM_CLUSTER_TESTS=1) and on a Redis Cluster
 * (shared/_redis_cluster.ts).
 */
import { assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { ignoreRedisCluster, redisCluster } from "../_redis_cluster.ts";
import { connectRedis, type RedisClient } from "../redis.ts";
import type { StatusChange } from "./mod.ts";
import { RedisStatusQueue } from "./redis.ts";

const TARGETS: { name: string; ignore: boolean; connect: () => Promise<RedisClient> }[] = [
  {
    name: "",
    ignore: !clusterTestsEnabled(),
    connect: () => Promise.resolve(connectRedis(INFRA.redis)),
  },
  {
    name: " on a Redis Cluster",
    ignore: ignoreRedisCluster(),
    connect: async () => connectRedis((await redisCluster()).urls),
  },
];

/** Consumes into a list of `userId:online` until closed; errors are collected, not logged. */
function consumer(redis: RedisClient, prefix: string, consumerId = "task-1") {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const queue = new RedisStatusQueue({
    redis,
    prefix,
    consumerId,
    onError: (error) => errors.push(error),
    retryMs: 10,
  });
  queue.consume((change: StatusChange) => {
    seen.push(`${change.userId}:${change.online}`);
    return Promise.resolve();
  });
  return { queue, seen, errors };
}

const change = (userId: string, online = true) => JSON.stringify({ userId, online, at: 1 });

for (const { name, ignore, connect } of TARGETS) {
  Deno.test(
    { name: `RedisStatusQueue${name} hands over again what a crashed consumer had popped`, ignore },
    async () => {
      const redis = await connect();
      const prefix = `test:${uniqueSuffix()}:`;
      try {
        const producer = new RedisStatusQueue({ redis, prefix, consumerId: "task-1" });
        await producer.push({ userId: "7", online: true, at: 1 });
        // The consumer popped it into its processing list, then died before handling it.
        const processing = `${prefix}{status}:processing:task-1`;
        await redis.lmove(`${prefix}{status}`, processing, "RIGHT", "LEFT");
        const { queue, seen } = consumer(redis, prefix);
        await eventually(() => seen.length === 1);
        await queue.close();
        assertEquals(seen, ["7:true"]);
        assertEquals(await redis.llen(processing), 0);
      } finally {
        redis.disconnect();
      }
    },
  );

  Deno.test(
    {
      name: `RedisStatusQueue${name} moves its items between lists with no error from the engine`,
      ignore,
    },
    async () => {
      // On a Cluster, lists in two slots make every BLMOVE fail with CROSSSLOT: the loop would
      // retry forever and consume nothing.
      const redis = await connect();
      const prefix = `test:${uniqueSuffix()}:`;
      try {
        const { queue, seen, errors } = consumer(redis, prefix);
        for (const userId of ["1", "2", "3"]) {
          await queue.push({ userId, online: true, at: 1 });
        }
        await eventually(() => seen.length === 3 || errors.length > 0);
        await queue.close();
        assertEquals(errors.map(String), []);
        assertEquals(seen, ["1:true", "2:true", "3:true"]);
      } finally {
        redis.disconnect();
      }
    },
  );
}

Deno.test(
  {
    name:
      "RedisStatusQueue adopts what the keys of before the {status} tag hold, oldest first, once",
    // Only one Redis adopts the old keys (on a Cluster they never held any).
    ignore: !clusterTestsEnabled() || INFRA.redis.includes(","),
  },
  async () => {
    const redis = connectRedis(INFRA.redis);
    const prefix = `test:${uniqueSuffix()}:`;
    try {
      // A running deployment of before: two changes queued, one popped and never finished, and a
      // change queued under the new key by an upgraded connect server meanwhile.
      await redis.lpush(`${prefix}status`, change("1"), change("2"), change("3"));
      await redis.lmove(
        `${prefix}status`,
        `${prefix}status:processing:task-1`,
        "RIGHT",
        "LEFT",
      );
      await redis.lpush(`${prefix}{status}`, change("4"));
      const { queue, seen, errors } = consumer(redis, prefix);
      await eventually(() => seen.length === 4);
      await queue.close();
      assertEquals(seen, ["1:true", "2:true", "3:true", "4:true"]);
      assertEquals(errors, []);
      assertEquals(await redis.exists(`${prefix}status`, `${prefix}status:processing:task-1`), 0);
      // A second start finds nothing left to adopt.
      await redis.lpush(`${prefix}{status}`, change("5"));
      const again = consumer(redis, prefix);
      await eventually(() => again.seen.length === 1);
      await again.queue.close();
      assertEquals(again.seen, ["5:true"]);
    } finally {
      redis.disconnect();
    }
  },
);
