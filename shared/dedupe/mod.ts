/**
 * The dedupe port: short-lived keys that make a retried send return its first answer.
 *
 * Contract: `get()` returns what `set()` or `claim()` stored under the key until
 * `ttlMs` passes; after that, or for an unknown key, null. Of concurrent
 * `claim()`s of one key, exactly one wins (gets null); the others get its value.
 */

/** The dedupe port. */
export interface Dedupe {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the key only if it holds nothing; returns what it already held (null if this call set it). Atomic. */
  claim(key: string, value: string, ttlMs: number): Promise<string | null>;
  /** Resolves when the backing store answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
