/**
 * How many sign-ins (`auth` frames) one connect server has logic check at once; the others wait
 * their turn, in order. A reconnect storm (a connect server killed under thousands of clients)
 * otherwise sends logic thousands of checks at once: they queue behind its database pool past
 * the call deadline, fail, and the clients come back to fail again, so that none gets in. Waiting
 * here keeps each check quick, and the connection's own auth timeout still bounds the wait.
 */
export class SignInGate {
  readonly #max: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  /** Sign-ins waiting for their turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `check` once fewer than `max` others run. */
  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await check();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes to the next in line as it is; with none waiting it is freed.
      if (next) next();
      else this.#running--;
    }
  }
}
