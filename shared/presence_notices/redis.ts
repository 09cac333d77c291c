/**
 * Presence notices in Redis, shared by every task process of a cluster.
 *
 * Keys (under the prefix), in two hash slots so each script touches one:
 * `{presence_notices}told` the users whose friends were told they are online (a
 * set); `{presence_notices}due` the offlines waiting, scored by when they are
 * due (a sorted set); `{presence_notices}at` when each went offline (a hash).
 * `{group_online}windows` the groups with a window open, scored by its end;
 * `{group_online}due` the groups with a change inside it, scored the same.
 * Each group's own keys share a tag of its id, so they spread over the cluster:
 * `{go:<groupId>}changed` the users changed since its last count (a set), and
 * `{go:<groupId>}online` its online members as counted (a set holding also the
 * empty string, so that a count of 0 is kept too), expiring when the count is
 * no longer to be trusted. Each change is a script or two of O(log n) per
 * group; the scans hand out only what is due.
 */
import type { Redis } from "ioredis";
import { redisCall } from "../redis_errors.ts";
import { type DueOffline, IN_FLIGHT_WINDOWS, type PresenceNotices } from "./mod.ts";

/** Cancels a waiting offline; returns 1 when the friends are to be told the user is online. */
const ONLINE = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return redis.call('SADD', KEYS[1], ARGV[1])`;

/** Records an offline and when it is due. */
const OFFLINE = `
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 0`;

/** Hands out the offlines due: {user, at, user, at, ...}; each is leased until ARGV[3]. */
const TAKE_OFFLINE = `
local users = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local taken = {}
for _, user in ipairs(users) do
  redis.call('SREM', KEYS[1], user)
  redis.call('ZADD', KEYS[2], ARGV[3], user)
  taken[#taken + 1] = user
  taken[#taken + 1] = redis.call('HGET', KEYS[3], user) or '0'
end
return taken`;

/** Ends a taken offline if its lease is still the one waiting. */
const TOLD_OFFLINE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 0`;

/**
 * 0: a window opens, send now (until the count is sent, ARGV[3] × ARGV[4] at most), and a count
 * due from the window before goes with it; else the end of the open window, when the group is due.
 */
const GROUP_CHANGED = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local now = tonumber(ARGV[2])
if not score or tonumber(score) <= now then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]) * tonumber(ARGV[4]), ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[2], 'NX', score, ARGV[1])
return tonumber(score)`;

/** A count went out: the window ends a window after now, and a count due then. */
const GROUP_SENT = `
local ends = tonumber(ARGV[2]) + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], ends, ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', ends, ARGV[1])
return 0`;

/** Records users changed; the key goes after a day if no count ever takes it. */
const MARK_CHANGED = `
for i = 1, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 0`;

/** Hands out the users changed and forgets them. */
const TAKE_CHANGED = `
local users = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return users`;

/** Changes a kept count: ARGV[1] users online, then those, then the others; -1: none kept. */
const UPDATE_COUNT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local online = tonumber(ARGV[1])
for i = 2, 1 + online do redis.call('SADD', KEYS[1], ARGV[i]) end
for i = 2 + online, #ARGV do redis.call('SREM', KEYS[1], ARGV[i]) end
return redis.call('SCARD', KEYS[1]) - 1`;

/** Replaces a count: ARGV[1] how long it is kept, then the online members. */
const RESET_COUNT = `
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], '')
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0`;

/** Hands out the groups due, opening a window for each; forgets windows that ended. */
const TAKE_GROUPS = `
local now = tonumber(ARGV[1])
local groups = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, ARGV[3])
for _, group in ipairs(groups) do
  redis.call('ZREM', KEYS[2], group)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]) * tonumber(ARGV[4]), group)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
return groups`;

/** Options of Redis presence notices. */
export interface RedisPresenceNoticesOptions {
  /** A single Redis or a Redis Cluster: only scripts run, each on one slot. */
  redis: Pick<Redis, "eval">;
  /** Key prefix, e.g. `im:`. */
  prefix: string;
}

/** Presence notices in Redis; see the module doc for the keys. */
export class RedisPresenceNotices implements PresenceNotices {
  readonly #redis: Pick<Redis, "eval">;
  readonly #prefix: string;
  readonly #told: string;
  readonly #offline: string;
  readonly #at: string;
  readonly #windows: string;
  readonly #due: string;

  constructor({ redis, prefix }: RedisPresenceNoticesOptions) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#told = `${prefix}{presence_notices}told`;
    this.#offline = `${prefix}{presence_notices}due`;
    this.#at = `${prefix}{presence_notices}at`;
    this.#windows = `${prefix}{group_online}windows`;
    this.#due = `${prefix}{group_online}due`;
  }

  online(userId: string): Promise<boolean> {
    return redisCall("presence notice online", async () => {
      const told = await this.#redis.eval(ONLINE, 3, this.#told, this.#offline, this.#at, userId);
      return told === 1;
    });
  }

  offline(userId: string, at: number, due: number): Promise<void> {
    return redisCall("presence notice offline", async () => {
      await this.#redis.eval(OFFLINE, 2, this.#offline, this.#at, userId, at, due);
    });
  }

  takeOffline(now: number, limit: number, leaseMs: number): Promise<DueOffline[]> {
    return redisCall("presence notices due", async () => {
      const lease = now + leaseMs;
      const flat = await this.#redis.eval(
        TAKE_OFFLINE,
        3,
        this.#told,
        this.#offline,
        this.#at,
        now,
        limit,
        lease,
      ) as string[];
      const taken: DueOffline[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        taken.push({ userId: flat[i], at: Number(flat[i + 1]), lease });
      }
      return taken;
    });
  }

  onlineUntold(userId: string): Promise<void> {
    return redisCall("presence notice untold", async () => {
      await this.#redis.eval("return redis.call('SREM', KEYS[1], ARGV[1])", 1, this.#told, userId);
    });
  }

  toldOffline(userId: string, lease: number): Promise<void> {
    return redisCall("presence notice told", async () => {
      await this.#redis.eval(TOLD_OFFLINE, 2, this.#offline, this.#at, userId, lease);
    });
  }

  #group(groupId: string, key: "changed" | "online"): string {
    return `${this.#prefix}{go:${groupId}}${key}`;
  }

  groupChanged(
    groupId: string,
    userIds: readonly string[],
    now: number,
    windowMs: number,
  ): Promise<number> {
    return redisCall("group online window", async () => {
      // Marked before the window is asked: whoever counts next (now or at its end) sees them.
      await this.#mark(groupId, userIds);
      const end = await this.#redis.eval(
        GROUP_CHANGED,
        2,
        this.#windows,
        this.#due,
        groupId,
        now,
        windowMs,
        IN_FLIGHT_WINDOWS,
      );
      return Number(end);
    });
  }

  groupSent(groupId: string, now: number, windowMs: number): Promise<void> {
    return redisCall("group online sent", async () => {
      await this.#redis.eval(GROUP_SENT, 2, this.#windows, this.#due, groupId, now, windowMs);
    });
  }

  takeGroups(now: number, windowMs: number, limit: number): Promise<string[]> {
    return redisCall("group online due", async () =>
      await this.#redis.eval(
        TAKE_GROUPS,
        2,
        this.#windows,
        this.#due,
        now,
        windowMs,
        limit,
        IN_FLIGHT_WINDOWS,
      ) as string[]);
  }

  markChanged(groupId: string, userIds: readonly string[]): Promise<void> {
    return redisCall("group online changes", () => this.#mark(groupId, userIds));
  }

  async #mark(groupId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.#redis.eval(MARK_CHANGED, 1, this.#group(groupId, "changed"), ...userIds);
  }

  takeChanged(groupId: string): Promise<string[]> {
    return redisCall(
      "group online changes",
      async () =>
        await this.#redis.eval(TAKE_CHANGED, 1, this.#group(groupId, "changed")) as string[],
    );
  }

  updateCount(
    groupId: string,
    online: readonly string[],
    offline: readonly string[],
    _now: number,
  ): Promise<number | null> {
    return redisCall("group online count", async () => {
      const key = this.#group(groupId, "online");
      const count = Number(
        await this.#redis.eval(UPDATE_COUNT, 1, key, online.length, ...online, ...offline),
      );
      return count < 0 ? null : count;
    });
  }

  resetCount(
    groupId: string,
    online: readonly string[],
    _now: number,
    ttlMs: number,
  ): Promise<void> {
    return redisCall("group online recount", async () => {
      await this.#redis.eval(RESET_COUNT, 1, this.#group(groupId, "online"), ttlMs, ...online);
    });
  }

  close(): Promise<void> {
    // The Redis connection belongs to whoever opened it.
    return Promise.resolve();
  }
}
