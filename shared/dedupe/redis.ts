/**
 * Dedupe keys in Redis, shared across instances. A key lives for its ttl, but
 * at most `maxTtlMs` (an hour by default): Redis keeps the recent keys that
 * concurrent retries race on, and the store answers for older ones.
 */
import { pingRedis, type RedisClient } from "../redis.ts";
import { redisCall } from "../redis_errors.ts";
import type { Dedupe } from "./mod.ts";

/** Dedupe keys in Redis under a prefix. */
export class RedisDedupe implements Dedupe {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #maxTtlMs: number;

  constructor(
    { redis, prefix, maxTtlMs = 3_600_000 }: {
      redis: RedisClient;
      prefix: string;
      maxTtlMs?: number;
    },
  ) {
    this.#redis = redis;
    this.#prefix = `${prefix}dedupe:`;
    this.#maxTtlMs = maxTtlMs;
  }

  get(key: string): Promise<string | null> {
    return redisCall("dedupe get", () => this.#redis.get(this.#prefix + key));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return redisCall("dedupe set", async () => {
      await this.#redis.set(this.#prefix + key, value, "PX", Math.min(ttlMs, this.#maxTtlMs));
    });
  }

  claim(key: string, value: string, ttlMs: number): Promise<string | null> {
    return redisCall("dedupe claim", async () => {
      // SET NX GET (Redis 7): sets only if absent, and returns what was there.
      const ttl = Math.min(ttlMs, this.#maxTtlMs);
      return await this.#redis.set(this.#prefix + key, value, "PX", ttl, "NX", "GET");
    });
  }

  release(key: string, value: string): Promise<void> {
    return redisCall("dedupe release", async () => {
      // Compare and delete in one step, so a claim that lapsed and was taken by another stays.
      await this.#redis.eval(
        'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0',
        1,
        this.#prefix + key,
        value,
      );
    });
  }

  /** Never all: Redis may have been flushed or restarted, and keeps keys an hour at most. */
  heldSince(): number {
    return Infinity;
  }

  ping(): Promise<void> {
    return redisCall("dedupe ping", () => pingRedis(this.#redis));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
