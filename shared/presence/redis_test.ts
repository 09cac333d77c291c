/**
 * What Redis Cluster asks of RedisPresence: checked on the Redis of `deno task infra:up`
 * (IM_CLUSTER_TESTS=1) by watching its commands, and on a real Redis Cluster
 * (shared/_redis_cluster.ts).
 */
import { Redis } from "ioredis";
import { assert, assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { ignoreRedisCluster, redisCluster } from "../_redis_cluster.ts";
import { connectRedis } from "../redis.ts";
import { RedisPresence } from "./redis.ts";

/** The MONITOR test needs one Redis: the infrastructure's, unless it is a Cluster (IM_HA_TESTS). */
const ignore = !clusterTestsEnabled() || INFRA.redis.includes(",");

Deno.test(
  {
    name: "RedisPresence: scripts touch only keys they declare, and servers() scans nothing",
    ignore,
  },
  async () => {
    const redis = new Redis(INFRA.redis, { maxRetriesPerRequest: 1 });
    const prefix = `test:${uniqueSuffix()}:`;
    // Ready first: the client's own ready check (INFO) echoed to a monitor that is starting up
    // confuses ioredis's reply queue ("Command queue state error").
    await redis.ping();
    const monitor = await redis.monitor();
    const seen: { args: string[]; source: string }[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      seen.push({ args, source });
    });
    const done = `${prefix}done`;
    try {
      const presence = new RedisPresence({ redis, prefix });
      await presence.connect("u1", "s1", "c1");
      await presence.connect("u1", "s1", "c2");
      await presence.connect("u2", "s1", "c3");
      await presence.connect("u2", "s2", "c4");
      await presence.disconnect("u1", "s1", "c2");
      assertEquals((await presence.servers()).sort(), ["s1", "s2"]);
      assertEquals((await presence.dropServer("s1")).sort(), ["u1"]);
      assertEquals(await presence.servers(), ["s2"]);
      await redis.get(done);
      await eventually(() => seen.some((s) => s.args[0] === "get" && s.args[1] === done));

      // Lua's commands follow their EVAL in the monitor (a script runs alone).
      let declared = new Set<string>();
      let scripts = 0;
      for (const { args, source } of seen) {
        if (args[0] === "eval" && args.slice(3).some((a) => a.startsWith(prefix))) {
          declared = new Set(args.slice(3, 3 + Number(args[2])));
          scripts++;
        } else if (source === "lua" && args[1]?.startsWith(prefix)) {
          assert(declared.has(args[1]), `a script touched ${args[1]} without declaring it`);
        }
        assert(args[0] !== "scan", "servers() scanned the keyspace");
      }
      assert(scripts >= 6, `only ${scripts} scripts seen`);
    } finally {
      monitor.disconnect();
      redis.disconnect();
    }
  },
);

Deno.test(
  {
    name: "RedisPresence on a Redis Cluster answers routes() and online() for users on every node",
    ignore: ignoreRedisCluster(),
  },
  async () => {
    const redis = connectRedis((await redisCluster()).urls);
    const prefix = `test:${uniqueSuffix()}:`;
    try {
      const presence = new RedisPresence({ redis, prefix });
      const users = Array.from({ length: 300 }, (_, i) => `u${i}`);
      await Promise.all(users.map((userId, i) => presence.connect(userId, `s${i % 3}`, `c${i}`)));
      // The users' keys lie in slots of every master: a pipeline over them would be refused.
      const slots = await redis.cluster("SLOTS");
      const masters = new Set(slots.map(([, , [host, port]]) => `${host}:${port}`));
      const nodeOf = async (key: string) => {
        const slot = await redis.cluster("KEYSLOT", key) as number;
        const [, , [host, port]] = slots.find(([from, to]) => from <= slot && slot <= to)!;
        return `${host}:${port}`;
      };
      const nodes = new Set(
        await Promise.all(users.map((userId) => nodeOf(`${prefix}u:${userId}`))),
      );
      assertEquals(nodes, masters);
      assert(nodes.size >= 3, `${nodes.size} nodes`);

      const routes = await presence.routes([...users, "nobody", "u1"]);
      assertEquals([...routes.keys()].sort(), ["s0", "s1", "s2"]);
      for (const [serverId, onServer] of routes) {
        const expected = users.filter((_, i) => `s${i % 3}` === serverId);
        assertEquals([...onServer].sort(), expected.sort(), serverId);
      }
      const offline = ["nobody", "u-gone"];
      assertEquals(await presence.online([...users, ...offline]), new Set(users));
      assertEquals(await presence.count(), 300);
      assertEquals((await presence.dropServer("s1")).length, 100);
      assertEquals((await presence.online(users)).size, 200);
    } finally {
      redis.disconnect();
    }
  },
);
