/**
 * Presence and routes in Redis, shared by every instance of a cluster.
 *
 * Keys (under the prefix): `u:<userId>` a hash of `<serverId>|<connectionId>` →
 * serverId; `s:<serverId>` the set of users with connections on that server.
 * Routes of a server that died are removed by `dropServer()`, called when its
 * etcd lease expires or when it starts again under the same id.
 */
import type { Redis } from "ioredis";
import { redisCall } from "../redis_errors.ts";
import type { Presence } from "./mod.ts";

const CONNECT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return redis.call('HLEN', KEYS[1])`;

const DISCONNECT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local fields = redis.call('HKEYS', KEYS[1])
local here = false
for _, f in ipairs(fields) do
  if string.sub(f, 1, #ARGV[2]) == ARGV[2] then here = true break end
end
if not here then redis.call('SREM', KEYS[2], ARGV[3]) end
if #fields == 0 then return 1 end
return 0`;

const DROP_SERVER = `
local offline = {}
for _, uid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. uid
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, #ARGV[2]) == ARGV[2] then redis.call('HDEL', key, f) end
  end
  if redis.call('HLEN', key) == 0 then table.insert(offline, uid) end
end
redis.call('DEL', KEYS[1])
return offline`;

/** Options of Redis presence. */
export interface RedisPresenceOptions {
  redis: Redis;
  /** Key prefix, e.g. `im:`. */
  prefix: string;
}

/** Presence in Redis; see the module doc for the keys. */
export class RedisPresence implements Presence {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor({ redis, prefix }: RedisPresenceOptions) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #user(userId: string): string {
    return `${this.#prefix}u:${userId}`;
  }

  #server(serverId: string): string {
    return `${this.#prefix}s:${serverId}`;
  }

  connect(userId: string, serverId: string, connectionId: string): Promise<boolean> {
    return redisCall("presence connect", async () => {
      const n = await this.#redis.eval(
        CONNECT,
        2,
        this.#user(userId),
        this.#server(serverId),
        `${serverId}|${connectionId}`,
        serverId,
        userId,
      );
      return n === 1;
    });
  }

  disconnect(userId: string, serverId: string, connectionId: string): Promise<boolean> {
    return redisCall("presence disconnect", async () => {
      const last = await this.#redis.eval(
        DISCONNECT,
        2,
        this.#user(userId),
        this.#server(serverId),
        `${serverId}|${connectionId}`,
        `${serverId}|`,
        userId,
      );
      return last === 1;
    });
  }

  routes(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return redisCall("presence routes", async () => {
      const unique = [...new Set(userIds)];
      const routes = new Map<string, string[]>();
      if (unique.length === 0) return routes;
      const pipeline = this.#redis.pipeline();
      for (const userId of unique) pipeline.hvals(this.#user(userId));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, servers], i) => {
        if (error) throw error;
        for (const serverId of new Set(servers as string[])) {
          const list = routes.get(serverId);
          if (list) list.push(unique[i]);
          else routes.set(serverId, [unique[i]]);
        }
      });
      // Whether a server is live is the registry's (etcd's) to say; callers only reach servers it lists.
      return routes;
    });
  }

  online(userIds: readonly string[]): Promise<Set<string>> {
    return redisCall("presence online", async () => {
      const unique = [...new Set(userIds)];
      if (unique.length === 0) return new Set();
      const pipeline = this.#redis.pipeline();
      for (const userId of unique) pipeline.exists(this.#user(userId));
      const results = (await pipeline.exec()) ?? [];
      return new Set(unique.filter((_, i) => results[i]?.[1] === 1));
    });
  }

  dropServer(serverId: string): Promise<string[]> {
    return redisCall("presence drop server", async () => {
      return await this.#redis.eval(
        DROP_SERVER,
        1,
        this.#server(serverId),
        `${this.#prefix}u:`,
        `${serverId}|`,
      ) as string[];
    });
  }

  servers(): Promise<string[]> {
    return redisCall("presence servers", async () => {
      const head = `${this.#prefix}s:`;
      const found = new Set<string>();
      let cursor = "0";
      do {
        const [next, keys] = await this.#redis.scan(cursor, "MATCH", `${head}*`, "COUNT", 1000);
        cursor = next;
        for (const key of keys) found.add(key.slice(head.length));
      } while (cursor !== "0");
      return [...found];
    });
  }

  close(): Promise<void> {
    // The Redis connection belongs to whoever opened it.
    return Promise.resolve();
  }
}
