/**
 * Rate limits of one connect server for frames it handles alone (acks): a
 * token bucket per user, shared by that user's connections here, forgotten
 * with the last of them.
 */
import type { Rate } from "../shared/limiter/mod.ts";
import { TokenBucket } from "../shared/token_bucket.ts";

/** Per-user token buckets of one connect server. */
export class UserBuckets {
  readonly #limit: Rate;
  readonly #now: () => number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(limit: Rate, now: () => number) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Users with a bucket. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token of `userId`'s bucket; false when there is none. */
  take(userId: string): boolean {
    let bucket = this.#buckets.get(userId);
    if (!bucket) {
      bucket = new TokenBucket({ ...this.#limit, now: this.#now });
      this.#buckets.set(userId, bucket);
    }
    return bucket.take();
  }

  /** Drops a user's bucket (their last connection here closed). */
  forget(userId: string): void {
    this.#buckets.delete(userId);
  }
}
