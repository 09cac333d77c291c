/**
 * Presence and routes in Redis, shared by every instance of a cluster.
 *
 * Keys (under the prefix): `u:<userId>` a hash of `<serverId>|<connectionId>` →
 * serverId; `{servers}s:<serverId>` the users who may have connections on that
 * server (a superset of its routes); `{servers}` the server ids that hold (or
 * held) routes, so finding them needs no scan of the keyspace. The servers' keys
 * share a hash tag (one Redis Cluster slot); every script touches only keys it
 * declares.
 * Routes of a server that died are removed by `dropServer()`, called when its
 * etcd lease expires or when it starts again under the same id.
 */
import type { RedisClient } from "../redis.ts";
import { redisCall } from "../redis_errors.ts";
import type { Presence } from "./mod.ts";

// Every script touches only the keys it declares, all of one user: Redis Cluster
// refuses anything else. The server-side sets are updated by plain commands.

/** Adds a connection; returns how many the user has now. */
const CONNECT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HLEN', KEYS[1])`;

/** Removes a connection; returns {removed, connections left anywhere, left on this server}. */
const DISCONNECT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return {0, 0, 0} end
local fields = redis.call('HKEYS', KEYS[1])
local here = 0
for _, f in ipairs(fields) do
  if string.sub(f, 1, #ARGV[2]) == ARGV[2] then here = here + 1 end
end
return {1, #fields, here}`;

/** Removes a server from the list of servers once its set of users is empty (both keys in one slot). */
const FORGET_SERVER = `
if redis.call('SCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 0`;

/** How many connections the user has on one server. */
const COUNT_HERE = `
local here = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, #ARGV[1]) == ARGV[1] then here = here + 1 end
end
return here`;

/** Removes every connection of one server; returns 1 when the user has none left. */
const DROP_CONNECTIONS = `
local removed = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, #ARGV[1]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], f)
    removed = removed + 1
  end
end
if removed > 0 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

/**
 * One command per key, the keys in any slots. On one Redis, in an explicit pipeline: measured
 * cheaper than as many auto-pipelined commands (routes() of 1000 users: ~6.5 against ~9 ms of
 * CPU). On a Cluster a pipeline may not span nodes: the commands go one by one, and
 * auto-pipelining sends each node its share in one write.
 */
async function perKey<T>(
  redis: RedisClient,
  keys: readonly string[],
  command: (key: string) => [name: string, ...args: (string | number)[]],
): Promise<T[]> {
  if (redis.isCluster) {
    return await Promise.all(keys.map((key) => redis.call(...command(key)))) as T[];
  }
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.call(...command(key));
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}

/** Options of Redis presence. */
export interface RedisPresenceOptions {
  redis: RedisClient;
  /** Key prefix, e.g. `im:`. */
  prefix: string;
}

/** Presence in Redis; see the module doc for the keys. */
export class RedisPresence implements Presence {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor({ redis, prefix }: RedisPresenceOptions) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #user(userId: string): string {
    return `${this.#prefix}u:${userId}`;
  }

  // The servers' keys share one hash tag, so a command or script over several is one slot.
  #server(serverId: string): string {
    return `${this.#prefix}{servers}s:${serverId}`;
  }

  #servers(): string {
    return `${this.#prefix}{servers}`;
  }

  /** Records that the user may have a route on the server (a superset of the routes). */
  async #addToServer(userId: string, serverId: string): Promise<void> {
    await this.#redis.multi()
      .sadd(this.#servers(), serverId)
      .sadd(this.#server(serverId), userId)
      .exec();
  }

  connect(userId: string, serverId: string, connectionId: string): Promise<boolean> {
    return redisCall("presence connect", async () => {
      // The server's sets before the route, so a route is never where dropServer() cannot
      // find it, and again after it, for a disconnect that removed the user meanwhile.
      await this.#addToServer(userId, serverId);
      const n = await this.#redis.eval(
        CONNECT,
        1,
        this.#user(userId),
        `${serverId}|${connectionId}`,
        serverId,
      );
      await this.#addToServer(userId, serverId);
      return n === 1;
    });
  }

  disconnect(userId: string, serverId: string, connectionId: string): Promise<boolean> {
    return redisCall("presence disconnect", async () => {
      const [removed, anywhere, here] = await this.#redis.eval(
        DISCONNECT,
        1,
        this.#user(userId),
        `${serverId}|${connectionId}`,
        `${serverId}|`,
      ) as number[];
      if (removed === 1 && here === 0) {
        await this.#redis.srem(this.#server(serverId), userId);
        // A connection of the user's to this server may have been recorded meanwhile.
        const again = await this.#redis.eval(COUNT_HERE, 1, this.#user(userId), `${serverId}|`);
        if (Number(again) > 0) await this.#redis.sadd(this.#server(serverId), userId);
      }
      return removed === 1 && anywhere === 0;
    });
  }

  routes(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return redisCall("presence routes", async () => {
      const unique = [...new Set(userIds)];
      const routes = new Map<string, string[]>();
      if (unique.length === 0) return routes;
      const keys = unique.map((userId) => this.#user(userId));
      const results = await perKey<string[]>(this.#redis, keys, (key) => ["hvals", key]);
      results.forEach((servers, i) => {
        for (const serverId of new Set(servers)) {
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
      const keys = unique.map((userId) => this.#user(userId));
      const results = await perKey<number>(this.#redis, keys, (key) => ["exists", key]);
      return new Set(unique.filter((_, i) => results[i] === 1));
    });
  }

  /** The users of every server's set (a superset of the routes) that are online, by `online()`. */
  count(): Promise<number> {
    return redisCall("presence count", async () => {
      const servers = await this.#redis.smembers(this.#servers());
      if (servers.length === 0) return 0;
      const candidates = await this.#redis.sunion(...servers.map((id) => this.#server(id)));
      let online = 0;
      for (let i = 0; i < candidates.length; i += 1000) {
        online += (await this.online(candidates.slice(i, i + 1000))).size;
      }
      return online;
    });
  }

  dropServer(serverId: string): Promise<string[]> {
    return redisCall("presence drop server", async () => {
      const userIds = await this.#redis.smembers(this.#server(serverId));
      const offline: string[] = [];
      // In chunks, one script per user, each on that user's key alone.
      for (let i = 0; i < userIds.length; i += 1000) {
        const chunk = userIds.slice(i, i + 1000);
        const keys = chunk.map((userId) => this.#user(userId));
        const results = await perKey<number>(
          this.#redis,
          keys,
          (key) => ["eval", DROP_CONNECTIONS, 1, key, `${serverId}|`],
        );
        chunk.forEach((userId, j) => {
          if (results[j] === 1) offline.push(userId);
        });
      }
      // Only the users read: one who connected meanwhile keeps their place in the set.
      if (userIds.length > 0) await this.#redis.srem(this.#server(serverId), ...userIds);
      await this.#redis.eval(FORGET_SERVER, 2, this.#server(serverId), this.#servers(), serverId);
      return offline;
    });
  }

  servers(): Promise<string[]> {
    return redisCall("presence servers", () => this.#redis.smembers(this.#servers()));
  }

  close(): Promise<void> {
    // The Redis connection belongs to whoever opened it.
    return Promise.resolve();
  }
}
