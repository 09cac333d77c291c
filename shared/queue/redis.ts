/**
 * The status queue as a Redis list. A consumer moves each change into its own
 * processing list (BLMOVE) and removes it only after handling it; on start it
 * puts back whatever its previous life left there, so a crash between pop and
 * processing loses nothing.
 *
 * Keys (under the prefix): `{status}` the queue, `{status}:processing:<consumerId>` each
 * consumer's processing list. They share the hash tag `{status}`: a Redis Cluster moves items
 * only between keys of one slot. Before that tag the keys were `status` and
 * `status:processing:<consumerId>`; a consumer starting on one Redis moves what they still hold
 * into the new keys first (see `#adopt()`).
 */
import { logger } from "../log.ts";
import type { RedisClient } from "../redis.ts";
import { redisCall } from "../redis_errors.ts";
import type { StatusChange, StatusQueue } from "./mod.ts";

/**
 * Moves every item of KEYS[1] to the consuming end of KEYS[2], newest first, so the oldest is
 * consumed first and before anything already there (pushed later); returns how many moved.
 * One script: two consumers starting at once move the items one after the other, in order.
 */
const ADOPT = `
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') do moved = moved + 1 end
return moved`;

/** Options of the Redis status queue. */
export interface RedisStatusQueueOptions {
  redis: RedisClient;
  prefix: string;
  /** A stable id of the consuming instance (its processing list survives its restarts). */
  consumerId: string;
  onError?: (error: unknown) => void;
  retryMs?: number;
}

/** The status queue on a Redis list. */
export class RedisStatusQueue implements StatusQueue {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #consumerId: string;
  readonly #key: string;
  readonly #processing: string;
  readonly #onError: (error: unknown) => void;
  readonly #retryMs: number;
  #blocking: RedisClient | null = null;
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
    this.#prefix = prefix;
    this.#consumerId = consumerId;
    this.#key = `${prefix}{status}`;
    this.#processing = `${prefix}{status}:processing:${consumerId}`;
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

  async #run(
    blocking: RedisClient,
    handler: (change: StatusChange) => Promise<void>,
  ): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#adopt();
        break;
      } catch (error) {
        this.#onError(error);
        await this.#sleep();
      }
    }
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

  /**
   * Moves what the keys of before the `{status}` tag still hold into the new queue: the old queue's
   * items, then this consumer's old processing list (older still: popped, never finished), each
   * onto the consuming end, so the order stays oldest first. Only on one Redis: on a Cluster the
   * old keys lie in other slots, and the code that wrote them never ran on one (its BLMOVE between
   * them is CROSSSLOT there, and a single-node client cannot follow MOVED).
   */
  async #adopt(): Promise<void> {
    if (this.#redis.isCluster) return;
    const oldKey = `${this.#prefix}status`;
    const oldProcessing = `${this.#prefix}status:processing:${this.#consumerId}`;
    for (const old of [oldKey, oldProcessing]) {
      const moved = await this.#redis.eval(ADOPT, 2, old, this.#key);
      if (Number(moved) > 0) {
        logger("status_queue").info("moved status changes from the keys before the {status} tag", {
          from: old,
          moved: Number(moved),
        });
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
