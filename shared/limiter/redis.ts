/** Token buckets in Redis, one hash per key, updated atomically by a script on the server's clock. */
import type { Redis } from "ioredis";
import { redisCall } from "../redis_errors.ts";
import type { Rate, RateLimiter } from "./mod.ts";

const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or burst
local ts = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait`;

/** Rate limits in Redis under a prefix. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor({ redis, prefix }: { redis: Redis; prefix: string }) {
    this.#redis = redis;
    this.#prefix = `${prefix}rate:`;
  }

  take(key: string, limit: Rate): Promise<number> {
    return redisCall("rate limit", async () => {
      const wait = await this.#redis.eval(TAKE, 1, this.#prefix + key, limit.rate, limit.burst);
      return Number(wait);
    });
  }

  ping(): Promise<void> {
    return redisCall("rate limit ping", async () => void await this.#redis.ping());
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
