/**
 * Keys let through at most once per window (typing: once per 2 s per user and
 * conversation). Two generations of maps, the older dropped whole each window,
 * so memory holds only the keys of the last two windows and no timer runs.
 */
export class OncePerWindow {
  readonly #windowMs: number;
  readonly #now: () => number;
  #current = new Map<string, number>();
  #previous = new Map<string, number>();
  #swappedAt: number;

  constructor(windowMs: number, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#swappedAt = now();
  }

  /** Keys remembered (those let through in the last one to two windows). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** True, and remembered, when `key` was not let through in the last window. */
  take(key: string): boolean {
    const now = this.#now();
    if (now - this.#swappedAt >= this.#windowMs) {
      // Keys of `current` were taken less than a window after the last swap: past two
      // windows since then, none of them can hold a key back any more.
      this.#previous = now - this.#swappedAt >= 2 * this.#windowMs ? new Map() : this.#current;
      this.#current = new Map();
      this.#swappedAt = now;
    }
    const last = this.#current.get(key) ?? this.#previous.get(key);
    if (last !== undefined && now - last < this.#windowMs) return false;
    this.#current.set(key, now);
    return true;
  }
}
