import { AppError } from "./errors.ts";

/** Milliseconds since the Unix epoch of the snowflake epoch (2024-01-01T00:00:00Z). */
export const SNOWFLAKE_EPOCH = 1704067200000;

const WORKER_BITS = 10n;
const SEQUENCE_BITS = 12n;
const MAX_WORKER = (1 << Number(WORKER_BITS)) - 1;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;

/** Options of a snowflake generator. */
export interface SnowflakeOptions {
  /** 0–1023; unique among live instances. */
  workerId: number;
  /** Milliseconds since the Unix epoch; injectable for tests. */
  now?: () => number;
}

/**
 * Generates 64-bit ids: 41 bits of milliseconds since {@link SNOWFLAKE_EPOCH},
 * 10 bits of worker id, 12 bits of sequence. Ids from one generator strictly
 * increase and never wait: when the clock steps back, or a millisecond's 4,096
 * sequence numbers run out, it goes on from the last millisecond it used,
 * borrowing the next ones, until the clock catches up.
 */
export class Snowflake {
  #workerId: bigint | null;
  readonly #now: () => number;
  #lastMs = -1;
  #sequence = 0;

  constructor({ workerId, now = Date.now }: SnowflakeOptions) {
    this.#workerId = checkWorkerId(workerId);
    this.#now = now;
  }

  /**
   * Follows the claim of the worker id: `null` stops minting (`next()` fails with
   * `unavailable`) until a worker id is held again, possibly another one.
   */
  setWorkerId(workerId: number | null): void {
    this.#workerId = workerId === null ? null : checkWorkerId(workerId);
  }

  /** The next id as a bigint; `unavailable` while no worker id is held. */
  nextBigInt(): bigint {
    if (this.#workerId === null) {
      throw new AppError("unavailable", "Cannot mint ids: the worker id claim has lapsed");
    }
    let ms = this.#now() - SNOWFLAKE_EPOCH;
    if (ms < this.#lastMs) {
      // The clock stepped back: keep issuing from the last millisecond we used,
      // borrowing future milliseconds when its sequence runs out.
      ms = this.#lastMs;
    }
    if (ms === this.#lastMs) {
      this.#sequence++;
      if (this.#sequence > MAX_SEQUENCE) {
        this.#sequence = 0;
        ms = this.#lastMs + 1;
      }
    } else {
      this.#sequence = 0;
    }
    this.#lastMs = ms;
    return (BigInt(ms) << (WORKER_BITS + SEQUENCE_BITS)) |
      (this.#workerId << SEQUENCE_BITS) | BigInt(this.#sequence);
  }

  /** The next id as a decimal string, as it goes on the wire. */
  next(): string {
    return this.nextBigInt().toString();
  }
}

function checkWorkerId(workerId: number): bigint {
  if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER) {
    throw new RangeError(`Cannot create snowflake generator: worker id ${workerId} is not 0–1023`);
  }
  return BigInt(workerId);
}

/** The millisecond timestamp (Unix epoch) encoded in a snowflake id. */
export function snowflakeTime(id: string | bigint): number {
  return Number(BigInt(id) >> (WORKER_BITS + SEQUENCE_BITS)) + SNOWFLAKE_EPOCH;
}
