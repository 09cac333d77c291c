/**
 * The status queue as a Redis list. A consumer moves each change into its own
 * processing list (BLMOVE) and removes it only after handling it; on start it
 * puts back whatever its previous life left there, so a crash between pop and
 * processing loses nothing.
 */
import { logger } from "../log.ts";
import type { Redis } from "ioredis";
import { redisCall } from "../redis_errors.ts";
import type { StatusChange, StatusQueue } from "./mod.ts";

/** Options of the Redis status queue. */
export interface RedisStatusQueueOptions {
  redis: Redis;
  prefix: string;
  /** A stable id of the consuming instance (its processing list survives its restarts). */
  consumerId: string;
  onError?: (error: unknown) => void;
  retryMs?: number;
}

/** The status queue on a Redis list. */
export class RedisStatusQueue implements StatusQueue {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #processing: string;
  readonly #onError: (error: unknown) => void;
  readonly #retryMs: number;
  #blocking: Redis | null = null;
  #loop: Promise<void> | null = null;
  #closed = false;

  constructor(
    {
      redis,
      prefix,
      consumerId,
      onError = (error) => logger("status_queue").error("status queue failed", { error }),
      retryMs = 200,
    }: RedisStatusQueueOptions,
  ) {
    this.#redis = redis;
    this.#key = `${prefix}status`;
    this.#processing = `${prefix}status:processing:${consumerId}`;
    this.#onError = onError;
    this.#retryMs = retryMs;
  }

  push(change: StatusChange): Promise<void> {
    return redisCall("status push", async () => {
      await this.#redis.lpush(this.#key, JSON.stringify(change));
    });
  }

  consume(handler: (change: StatusChange) => Promise<void>): void {
    this.#blocking = this.#redis.duplicate();
    this.#loop = this.#run(this.#blocking, handler);
  }

  async #run(blocking: Redis, handler: (change: StatusChange) => Promise<void>): Promise<void> {
    // What a previous life of this consumer popped but never finished goes first.
    while (!this.#closed) {
      try {
        const moved = await this.#redis.lmove(this.#processing, this.#key, "LEFT", "RIGHT");
        if (moved === null) break;
      } catch (error) {
        this.#onError(error);
        await this.#sleep();
      }
    }
    while (!this.#closed) {
      let raw: string | null = null;
      try {
        raw = await blocking.blmove(this.#key, this.#processing, "RIGHT", "LEFT", 1);
      } catch (error) {
        if (!this.#closed) {
          this.#onError(error);
          await this.#sleep();
        }
        continue;
      }
      if (raw === null) continue;
      while (!this.#closed) {
        try {
          await handler(JSON.parse(raw) as StatusChange);
          await this.#redis.lrem(this.#processing, 1, raw);
          break;
        } catch (error) {
          this.#onError(error);
          await this.#sleep();
        }
      }
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.#retryMs));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#loop;
    this.#blocking?.disconnect();
    this.#blocking = null;
  }
}
