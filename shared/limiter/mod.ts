/**
 * The rate limiter port: token buckets by key, shared by every instance that
 * uses the same implementation (memory in one process, Redis in a cluster).
 */

/** A limit: `rate` per second with bursts of `burst`. */
export interface Rate {
  rate: number;
  burst: number;
}

/** The rate limiter port. */
export interface RateLimiter {
  /** Takes a token for `key`; returns 0 when allowed, else milliseconds to wait. */
  take(key: string, limit: Rate): Promise<number>;
  /** Resolves when the backing store answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
