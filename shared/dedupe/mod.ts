/**
 * The dedupe port: short-lived keys that make a retried send return its first answer.
 *
 * Contract: `get()` returns what `set()` or `claim()` stored under the key until
 * `ttlMs` passes, unless the port had to let it go earlier (it is bounded); after
 * that, or for an unknown key, null. `heldSince()` tells since when every key is
 * still held, so a caller knows when to ask the store, the source of truth,
 * instead. Of concurrent `claim()`s of one key, exactly one wins (gets null); the
 * others get its value.
 */

/** The dedupe port. */
export interface Dedupe {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the key only if it holds nothing; returns what it already held (null if this call set it). Atomic. */
  claim(key: string, value: string, ttlMs: number): Promise<string | null>;
  /** Deletes the key if it holds `value` (a claim's own), else leaves it. Atomic. */
  release(key: string, value: string): Promise<void>;
  /**
   * Every key set at or after this time (ms since the epoch) is still held, for
   * its ttl; keys set before it may be gone early.
   */
  heldSince(): number;
  /** Resolves when the backing store answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
