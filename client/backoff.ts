/** Time for the SDK: the timers it schedules with and the doubling delays of its retries. */

/** The timer functions the client schedules with: the global ones, or a fake clock in tests. */
export interface Timers {
  /** Returns an id for `clearTimeout`, opaque to the caller. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The global timers, called as functions (a browser refuses them with another `this`). */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Delays from `baseMs`, doubling per attempt up to `maxMs`, until `reset()`. */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  #attempt = 0;

  constructor(baseMs: number, maxMs: number) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  /** The delay of the next attempt; each call counts one attempt. */
  next(): number {
    return Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt++);
  }

  /**
   * The next attempt's delay with full jitter: drawn from the whole of [0, delay), so that
   * clients dropped together (a server killed under thousands of them) come back spread over the
   * interval instead of in a burst at its end. `random` is in [0, 1).
   */
  nextSpread(random: () => number): number {
    return this.next() * random();
  }

  /** Starts again from `baseMs`. */
  reset(): void {
    this.#attempt = 0;
  }
}
