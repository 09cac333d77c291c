/**
 * The rate limiter port: token buckets by key, shared by every instance that
 * uses the same implementation (memory in one process, Redis in a cluster).
 *
 * Contract: keys may be of any length; an implementation stores a bounded form
 * of them (long keys hashed). A bucket that does not exist is full, so an
 * implementation may forget a bucket once it has been idle long enough to
 * refill, and must not create one for a refused `take`. `remember` marks a key
 * for a time; marks are held apart from buckets, so a flood of new buckets does
 * not push them out.
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
  /** Gives back a token taken from `key` (the attempt proved legitimate), up to the burst. */
  refund(key: string, limit: Rate): Promise<void>;
  /** Marks `key` for `ttlMs` from now (again, if it is marked). */
  remember(key: string, ttlMs: number): Promise<void>;
  /** Whether `key` is marked. */
  remembered(key: string): Promise<boolean>;
  /** Resolves when the backing store answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
