/** Rate limits in this process's memory. */
import { TokenBucket } from "../token_bucket.ts";
import type { Rate, RateLimiter } from "./mod.ts";
import { storedKey } from "./stored_key.ts";

/** Options of in-memory rate limits. */
export interface MemoryRateLimiterOptions {
  /** Most buckets held, and most marks; past it the least recently used goes first. */
  maxKeys?: number;
  /** How often buckets idle long enough to be full again, and expired marks, are dropped. */
  sweepMs?: number;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
}

interface Held {
  bucket: TokenBucket;
  /** When the bucket, left alone, is full again: from then on it is no different from none. */
  fullAt: number;
}

/**
 * In-memory token buckets by key, in maps kept in order of last use, so the
 * least recently used goes first when one is full. Buckets are dropped by
 * idle time (once long enough to have refilled), checked on each call on the
 * limiter's clock and by a timer while nothing calls.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Held>();
  readonly #marks = new Map<string, number>();
  readonly #maxKeys: number;
  readonly #sweepMs: number;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #now: () => number;
  #sweptAt: number;

  constructor(
    { maxKeys = 100_000, sweepMs = 60_000, now = performance.now.bind(performance) }:
      MemoryRateLimiterOptions = {},
  ) {
    this.#now = now;
    this.#maxKeys = maxKeys;
    this.#sweepMs = sweepMs;
    this.#sweptAt = now();
    this.#timer = setInterval(() => this.#sweep(), sweepMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Buckets held now. */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(): void {
    const now = this.#now();
    this.#sweptAt = now;
    for (const [key, held] of this.#buckets) {
      if (held.fullAt <= now) this.#buckets.delete(key);
    }
    for (const [key, expiresAt] of this.#marks) {
      if (expiresAt <= now) this.#marks.delete(key);
    }
  }

  #sweepIfDue(): void {
    if (this.#now() - this.#sweptAt >= this.#sweepMs) this.#sweep();
  }

  /** Puts `key` last in `map` (most recently used), evicting the first when over the bound. */
  #touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.#maxKeys) map.delete(map.keys().next().value!);
  }

  take(key: string, limit: Rate): Promise<number> {
    this.#sweepIfDue();
    const k = storedKey(key);
    const held = this.#buckets.get(k) ??
      { bucket: new TokenBucket({ ...limit, now: this.#now }), fullAt: 0 };
    // A new bucket is full, so a refused take always finds one that is already held.
    const taken = held.bucket.take();
    held.fullAt = this.#now() + held.bucket.waitMs(limit.burst);
    this.#touch(this.#buckets, k, held);
    return Promise.resolve(taken ? 0 : Math.max(1, held.bucket.waitMs()));
  }

  refund(key: string, limit: Rate): Promise<void> {
    const k = storedKey(key);
    const held = this.#buckets.get(k);
    if (held) {
      held.bucket.give();
      held.fullAt = this.#now() + held.bucket.waitMs(limit.burst);
    }
    return Promise.resolve();
  }

  remember(key: string, ttlMs: number): Promise<void> {
    this.#sweepIfDue();
    this.#touch(this.#marks, storedKey(key), this.#now() + ttlMs);
    return Promise.resolve();
  }

  remembered(key: string): Promise<boolean> {
    const expiresAt = this.#marks.get(storedKey(key));
    return Promise.resolve(expiresAt !== undefined && expiresAt > this.#now());
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.#timer);
    this.#buckets.clear();
    this.#marks.clear();
    return Promise.resolve();
  }
}
