/** Dedupe keys in Redis with their time to live, shared across instances. */
import type { Redis } from "ioredis";
import { redisCall } from "../redis_errors.ts";
import type { Dedupe } from "./mod.ts";

/** Dedupe keys in Redis under a prefix. */
export class RedisDedupe implements Dedupe {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor({ redis, prefix }: { redis: Redis; prefix: string }) {
    this.#redis = redis;
    this.#prefix = `${prefix}dedupe:`;
  }

  get(key: string): Promise<string | null> {
    return redisCall("dedupe get", () => this.#redis.get(this.#prefix + key));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return redisCall("dedupe set", async () => {
      await this.#redis.set(this.#prefix + key, value, "PX", ttlMs);
    });
  }

  claim(key: string, value: string, ttlMs: number): Promise<string | null> {
    return redisCall("dedupe claim", async () => {
      // SET NX GET (Redis 7): sets only if absent, and returns what was there.
      return await this.#redis.set(this.#prefix + key, value, "PX", ttlMs, "NX", "GET");
    });
  }

  ping(): Promise<void> {
    return redisCall("dedupe ping", async () => void await this.#redis.ping());
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
