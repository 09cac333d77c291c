/**
 * The contract suites of every Redis adapter, twice: on the Redis of `deno task infra:up`
 * (IM_CLUSTER_TESTS=1), and on a Redis Cluster (IM_TEST_REDIS_CLUSTER, or a throwaway one
 * started by shared/_redis_cluster.ts). Also how `connectRedis()` reads its URLs.
 */
import { type Cluster, Redis } from "ioredis";
import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../tests/infra.ts";
import {
  ignoreOwnRedisCluster,
  ignoreRedisCluster,
  redisCluster,
  startRedisCluster,
} from "./_redis_cluster.ts";
import { testDedupe } from "./dedupe/_contract.ts";
import { RedisDedupe } from "./dedupe/redis.ts";
import { testRateLimiter } from "./limiter/_contract.ts";
import { RedisRateLimiter } from "./limiter/redis.ts";
import { testPresence } from "./presence/_contract.ts";
import { RedisPresence } from "./presence/redis.ts";
import { testStatusQueue } from "./queue/_contract.ts";
import { RedisStatusQueue } from "./queue/redis.ts";
import { connectRedis, pingRedis, type RedisClient, redisPlan } from "./redis.ts";

const ignore = !clusterTestsEnabled();

/** Where each run of the suites connects: the single Redis, or the Redis Cluster. */
const TARGETS: { name: string; ignore: boolean; connect: () => Promise<RedisClient> }[] = [
  { name: "", ignore, connect: () => Promise.resolve(connectRedis(INFRA.redis)) },
  {
    name: " on a Redis Cluster",
    ignore: ignoreRedisCluster(),
    connect: async () => connectRedis((await redisCluster()).urls),
  },
];

/** Wraps an adapter so closing it also closes its own Redis connection. */
function withConnection<T extends { close(): Promise<void> }>(
  connect: () => Promise<RedisClient>,
  make: (redis: RedisClient) => T,
): () => Promise<T> {
  return async () => {
    const redis = await connect();
    const adapter = make(redis);
    const close = adapter.close.bind(adapter);
    adapter.close = async () => {
      await close();
      redis.disconnect();
    };
    return adapter;
  };
}

for (const { name, ignore, connect } of TARGETS) {
  testPresence(
    `RedisPresence${name}`,
    withConnection(
      connect,
      (redis) => new RedisPresence({ redis, prefix: `test:${uniqueSuffix()}:` }),
    ),
    { ignore },
  );
  testDedupe(
    `RedisDedupe${name}`,
    async () => ({
      dedupe: await withConnection(
        connect,
        (redis) => new RedisDedupe({ redis, prefix: `test:${uniqueSuffix()}:` }),
      )(),
      // Redis keeps real time: the contract's margins are generous.
      advance: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
    }),
    { ignore },
  );
  testRateLimiter(
    `RedisRateLimiter${name}`,
    async () => ({
      limiter: await withConnection(
        connect,
        (redis) => new RedisRateLimiter({ redis, prefix: `test:${uniqueSuffix()}:` }),
      )(),
      // Redis keeps its own clock: real time, with a margin.
      advance: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
    }),
    { ignore },
  );
  testStatusQueue(
    `RedisStatusQueue${name}`,
    (key) =>
      withConnection(connect, (redis) =>
        new RedisStatusQueue({
          redis,
          prefix: `test:${key}:`,
          consumerId: "c1",
          onError: () => {},
          retryMs: 10,
        }))(),
    { ignore },
  );
}

Deno.test("redisPlan() gives one Redis for one URL, a Cluster for several or when told", () => {
  const single = redisPlan("redis://:secret@redis:6379/2");
  assertEquals(single.kind, "single");
  assertEquals(single.kind === "single" && single.url, "redis://:secret@redis:6379/2");
  const cluster = redisPlan(" redis://:s%40cret@r1:7000 , redis://:s%40cret@r2:7001,");
  assert(cluster.kind === "cluster");
  assertEquals(cluster.nodes, [{ host: "r1", port: 7000 }, { host: "r2", port: 7001 }]);
  assertEquals(cluster.options.redisOptions?.password, "s@cret");
  assertEquals(cluster.options.scaleReads, "master");
  assertEquals(cluster.options.enableAutoPipelining, true);
  assertEquals(redisPlan(["redis://r1:7000"], { cluster: true }).kind, "cluster");
  const tls = redisPlan("rediss://r1:7000,rediss://r2", { cluster: true });
  assert(tls.kind === "cluster");
  assertEquals(tls.nodes[1], { host: "r2", port: 6379 });
  assertEquals(tls.options.redisOptions?.tls, {});
});

Deno.test("redisPlan() refuses what a Redis Cluster cannot be given, naming it", () => {
  for (
    const [urls, message] of [
      ["redis://r1:7000/3,redis://r2:7000", "only database 0"],
      ["redis://:a@r1:7000,redis://:b@r2:7000", "credentials"],
      ["redis://r1:7000,rediss://r2:7000", "scheme"],
      ["redis://r1:7000,http://r2:7000", 'Invalid Redis URL "http://r2:7000"'],
      [" , ", "No Redis URL"],
    ]
  ) {
    const error = assertThrows(() => redisPlan(urls));
    assert(error.message.includes(message), `${urls}: ${error.message}`);
  }
});

Deno.test(
  {
    name: "pingRedis() on a Redis Cluster: every master answers; none reachable is never up",
    ignore: ignoreRedisCluster(),
  },
  async () => {
    const { urls } = await redisCluster();
    const redis = connectRedis(urls);
    try {
      await pingRedis(redis);
      assertEquals(redis.isCluster, true);
    } finally {
      redis.disconnect();
    }
    // A port nothing listens on: the Cluster keeps trying, and the probe never says it is up
    // (the command waits in the client's queue: the probe's own timeout ends the wait).
    const nowhere = connectRedis("redis://127.0.0.1:1", { cluster: true });
    nowhere.on("error", () => {});
    let answer = "none";
    pingRedis(nowhere).then(() => answer = "up", () => answer = "refused");
    await new Promise((resolve) => setTimeout(resolve, 300));
    nowhere.disconnect();
    assertEquals(answer, "none");
  },
);

Deno.test(
  {
    name: "connectRedis() rides out a master's failover on a Redis Cluster: no command fails",
    ignore: ignoreOwnRedisCluster(),
  },
  async () => {
    const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    const redis = connectRedis(cluster.urls) as Cluster;
    const masterOf = async (client: RedisClient, slot: number) => {
      const [, , [, port]] = (await client.cluster("SLOTS")).find(([from, to]) =>
        from <= slot && slot <= to
      )!;
      return port;
    };
    let survivor: Redis | null = null;
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `failover:${i}`);
      await Promise.all(keys.map((key) => redis.set(key, "0")));
      // The master of the first key's slot dies (its replica has copied the keys meanwhile).
      const slot = await redis.cluster("KEYSLOT", keys[0]) as number;
      const port = await masterOf(redis, slot);
      survivor = new Redis(cluster.ports.find((p) => p !== port)!, "127.0.0.1");
      await survivor.call("WAIT", 1, 1000).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      cluster.kill(port);
      const killedAt = performance.now();
      // Every key incremented in rounds, some on the dead master's slots, until its replica has
      // taken over and two rounds more passed: the client waits instead of failing a command.
      const failures: string[] = [];
      let rounds = 0;
      let longestMs = 0;
      let after = 0;
      while (after < 2 && performance.now() - killedAt < 30_000) {
        const started = performance.now();
        const results = await Promise.allSettled(keys.map((key) => redis.incr(key)));
        longestMs = Math.max(longestMs, performance.now() - started);
        for (const result of results) {
          if (result.status === "rejected") failures.push(String(result.reason));
        }
        rounds++;
        if (await masterOf(survivor, slot) !== port) after++;
      }
      assertEquals(failures, []);
      assertEquals(
        await Promise.all(keys.map((key) => redis.get(key))),
        keys.map(() => `${rounds}`),
      );
      console.log(`a master's failover held commands for at most ${Math.round(longestMs)} ms`);
    } finally {
      survivor?.disconnect();
      redis.disconnect();
      cluster.stop();
    }
  },
);

Deno.test(
  {
    name:
      "RedisRateLimiter keeps keys short and lets a refused bucket live no longer than its refill",
    // KEYS over one Redis (the infrastructure's, unless it is a Cluster).
    ignore: ignore || INFRA.redis.includes(","),
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
