/** What Redis Cluster asks of RedisPresence, checked on the Redis of `deno task infra:up` (IM_CLUSTER_TESTS=1). */
import { Redis } from "ioredis";
import { assert, assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { RedisPresence } from "./redis.ts";

const ignore = !clusterTestsEnabled();

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
