/** Dedupe keys in this process's memory, bounded by count, expired by a periodic sweep. */
import type { Dedupe } from "./mod.ts";

/** Options of in-memory dedupe keys. */
export interface MemoryDedupeOptions {
  /** Most keys held; past it the oldest go first, expired or not. */
  maxKeys?: number;
  /** How often expired keys are swept. */
  sweepMs?: number;
  now?: () => number;
}

/** In-memory dedupe keys: a bounded map in insertion order, so the oldest key is evicted first. */
export class MemoryDedupe implements Dedupe {
  readonly #entries = new Map<string, { value: string; expiresAt: number; insertedAt: number }>();
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #sweep: ReturnType<typeof setInterval>;
  #heldSince: number;

  constructor({ maxKeys = 100_000, sweepMs = 60_000, now = Date.now }: MemoryDedupeOptions = {}) {
    this.#now = now;
    this.#maxKeys = maxKeys;
    // Nothing from before this process is held.
    this.#heldSince = now();
    this.#sweep = setInterval(() => this.#expire(), sweepMs);
    Deno.unrefTimer(this.#sweep);
  }

  #expire(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }

  #put(key: string, value: string, ttlMs: number): void {
    const now = this.#now();
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxKeys) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      // A key let go before its time: keys inserted up to it may be missing, later ones are held.
      if (entry.expiresAt > now) this.#heldSince = Math.max(this.#heldSince, entry.insertedAt + 1);
    }
    const held = this.#entries.get(key);
    this.#entries.set(key, { value, expiresAt: now + ttlMs, insertedAt: held?.insertedAt ?? now });
  }

  get(key: string): Promise<string | null> {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= this.#now()) return Promise.resolve(null);
    return Promise.resolve(entry.value);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#put(key, value, ttlMs);
    return Promise.resolve();
  }

  claim(key: string, value: string, ttlMs: number): Promise<string | null> {
    // No await between the look and the write: that is what makes it atomic here.
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > this.#now()) return Promise.resolve(entry.value);
    this.#put(key, value, ttlMs);
    return Promise.resolve(null);
  }

  heldSince(): number {
    return this.#heldSince;
  }

  /** How many keys are held (expired ones until the next sweep included). */
  get size(): number {
    return this.#entries.size;
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#entries.clear();
    return Promise.resolve();
  }
}
