/** Dedupe keys in this process's memory, expired by a periodic sweep. */
import type { Dedupe } from "./mod.ts";

/** In-memory dedupe keys; `now` is injectable for tests. */
export class MemoryDedupe implements Dedupe {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;
  readonly #sweep: ReturnType<typeof setInterval>;

  constructor({ now = Date.now, sweepMs = 60_000 }: { now?: () => number; sweepMs?: number } = {}) {
    this.#now = now;
    this.#sweep = setInterval(() => this.#expire(), sweepMs);
    Deno.unrefTimer(this.#sweep);
  }

  #expire(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }

  get(key: string): Promise<string | null> {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= this.#now()) return Promise.resolve(null);
    return Promise.resolve(entry.value);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    return Promise.resolve();
  }

  claim(key: string, value: string, ttlMs: number): Promise<string | null> {
    // No await between the look and the write: that is what makes it atomic here.
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > this.#now()) return Promise.resolve(entry.value);
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    return Promise.resolve(null);
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
