/**
 * The dedupe port: short-lived keys that make a retried send return its first answer.
 *
 * Contract: `get()` returns what `set()` stored under the key until `ttlMs`
 * passes; after that, or for an unknown key, null.
 */

/** The dedupe port. */
export interface Dedupe {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
