/** Token buckets in Redis, one hash per key, updated atomically by a script on the server's clock. */
import { pingRedis, type RedisClient } from "../redis.ts";
import { redisCall } from "../redis_errors.ts";
import type { Rate, RateLimiter } from "./mod.ts";
import { storedKey } from "./stored_key.ts";

// Both scripts refill the bucket to now, add `ARGV[3]` tokens (-1 takes, 1 gives back), and let the
// key expire a second after the bucket would be full again: a missing bucket is a full one.
const REFILL = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or burst
local ts = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)`;

const SAVE = `
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)`;

const TAKE = `${REFILL}
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
${SAVE}
return wait`;

const REFUND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${REFILL}
tokens = math.min(burst, tokens + 1)
${SAVE}
return 0`;

/** Rate limits in Redis under a prefix: buckets under `rate:`, marks under `mark:`. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor({ redis, prefix }: { redis: RedisClient; prefix: string }) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  take(key: string, limit: Rate): Promise<number> {
    return redisCall("rate limit", async () => {
      const wait = await this.#redis.eval(
        TAKE,
        1,
        `${this.#prefix}rate:${storedKey(key)}`,
        limit.rate,
        limit.burst,
      );
      return Number(wait);
    });
  }

  refund(key: string, limit: Rate): Promise<void> {
    return redisCall("rate limit refund", async () => {
      await this.#redis.eval(
        REFUND,
        1,
        `${this.#prefix}rate:${storedKey(key)}`,
        limit.rate,
        limit.burst,
      );
    });
  }

  remember(key: string, ttlMs: number): Promise<void> {
    return redisCall("rate limit mark", async () => {
      await this.#redis.set(`${this.#prefix}mark:${storedKey(key)}`, "1", "PX", ttlMs);
    });
  }

  remembered(key: string): Promise<boolean> {
    return redisCall("rate limit mark", async () => {
      return await this.#redis.exists(`${this.#prefix}mark:${storedKey(key)}`) === 1;
    });
  }

  ping(): Promise<void> {
    return redisCall("rate limit ping", () => pingRedis(this.#redis));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
