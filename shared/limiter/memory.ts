/** Rate limits in this process's memory. */
import { TokenBucket } from "../token_bucket.ts";
import type { Rate, RateLimiter } from "./mod.ts";

/** In-memory token buckets by key; idle full buckets are swept. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, { bucket: TokenBucket; burst: number }>();
  readonly #sweep: ReturnType<typeof setInterval>;
  readonly #now: () => number;

  constructor(
    { sweepMs = 60_000, now = performance.now.bind(performance) }: {
      sweepMs?: number;
      now?: () => number;
    } = {},
  ) {
    this.#now = now;
    this.#sweep = setInterval(() => {
      for (const [key, { bucket, burst }] of this.#buckets) {
        if (bucket.available() >= burst) this.#buckets.delete(key);
      }
    }, sweepMs);
    Deno.unrefTimer(this.#sweep);
  }

  take(key: string, limit: Rate): Promise<number> {
    let entry = this.#buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket({ ...limit, now: this.#now }), burst: limit.burst };
      this.#buckets.set(key, entry);
    }
    return Promise.resolve(entry.bucket.take() ? 0 : Math.max(1, entry.bucket.waitMs()));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#buckets.clear();
    return Promise.resolve();
  }
}
