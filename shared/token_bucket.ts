/** Options of a token bucket. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** Most tokens held at once; the bucket starts full. */
  burst: number;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
}

/** A classic token bucket: `take()` succeeds while tokens remain, refilled at `rate` per second. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor({ rate, burst, now = performance.now.bind(performance) }: TokenBucketOptions) {
    if (!(rate > 0) || !(burst >= 1)) {
      throw new RangeError(
        `Cannot create token bucket: rate ${rate} and burst ${burst} must be positive`,
      );
    }
    this.#rate = rate;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
    }
    this.#last = now;
  }

  /** Takes `n` tokens if they are there; returns whether it did. */
  take(n = 1): boolean {
    this.#refill();
    if (this.#tokens >= n) {
      this.#tokens -= n;
      return true;
    }
    return false;
  }

  /** Gives back `n` tokens, up to the burst. */
  give(n = 1): void {
    this.#refill();
    this.#tokens = Math.min(this.#burst, this.#tokens + n);
  }

  /** Whole tokens available now. */
  available(): number {
    this.#refill();
    return Math.floor(this.#tokens);
  }

  /** Milliseconds until `n` tokens will be available (0 if they are now). */
  waitMs(n = 1): number {
    this.#refill();
    return this.#tokens >= n ? 0 : Math.ceil(((n - this.#tokens) * 1000) / this.#rate);
  }
}
