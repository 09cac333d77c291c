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

interface Entry {
  value: string;
  expiresAt: number;
  insertedAt: number;
  /** Its place in `#order`, telling a key's current entry from an older one of the same key. */
  serial: number;
}

/**
 * In-memory dedupe keys: a bounded map, the oldest key evicted first. The
 * order of insertion is kept in an array beside the map, so an eviction costs
 * O(1): taking the first key of a JavaScript Map walks over every entry
 * deleted before it (V8 leaves holes until the table is rebuilt), which at
 * 100,000 keys cost about 100 µs a send.
 */
export class MemoryDedupe implements Dedupe {
  readonly #entries = new Map<string, Entry>();
  #order: { key: string; serial: number }[] = [];
  #head = 0;
  #serial = 0;
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
    // The order keeps only live keys (so it cannot outgrow the map). The map's own order is the
    // same: keys are inserted with rising serials, and one set again keeps its place.
    this.#order = [...this.#entries].map(([key, entry]) => ({ key, serial: entry.serial }));
    this.#head = 0;
  }

  /** Lets go of the oldest key held. */
  #evict(now: number): void {
    while (this.#head < this.#order.length) {
      const { key, serial } = this.#order[this.#head++];
      const entry = this.#entries.get(key);
      if (entry?.serial !== serial) continue; // Expired and swept, or set again since.
      this.#entries.delete(key);
      // A key let go before its time: keys inserted up to it may be missing, later ones are held.
      if (entry.expiresAt > now) this.#heldSince = Math.max(this.#heldSince, entry.insertedAt + 1);
      break;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }

  #put(key: string, value: string, ttlMs: number): void {
    const now = this.#now();
    const held = this.#entries.get(key);
    if (held) {
      held.value = value;
      held.expiresAt = now + ttlMs;
      return;
    }
    if (this.#entries.size >= this.#maxKeys) this.#evict(now);
    const serial = ++this.#serial;
    this.#entries.set(key, { value, expiresAt: now + ttlMs, insertedAt: now, serial });
    this.#order.push({ key, serial });
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

  release(key: string, value: string): Promise<void> {
    // A deleted key stays in #order until it is evicted or swept, where it is skipped.
    if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    return Promise.resolve();
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
    this.#order = [];
    this.#head = 0;
    return Promise.resolve();
  }
}
