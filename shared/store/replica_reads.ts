/**
 * Reads on a streaming replica that never miss what the primary had committed when they began.
 *
 * A replica replays the primary's write-ahead log moments behind it, so a read sent there blindly
 * could miss a message a client was just told is stored, or show a recalled one. Before a read
 * goes to the replica, the router asks the primary for its current WAL position (a function call,
 * no table touched) and the replica whether it has replayed that far; only then does the read run
 * there. What the read sees is then at least everything committed before it began: exactly the
 * guarantee of the same read on the primary. A replica that has not caught up within a few
 * milliseconds, has failed, or was promoted (it then replays nothing) sends the read to the
 * primary instead.
 *
 * The position is fetched once for all the reads that arrive while a fetch is under way: they
 * share the next fetch, which begins after every one of them arrived, so one primary round trip
 * serves a burst of reads. That round trip and the replica's check cost a few hundred microseconds
 * each against the history page or search the replica then answers.
 */
import { replicaReads } from "../metrics.ts";

/** The two engines, as the router needs them. */
export interface ReplicaPositions {
  /** The primary's current WAL position (`pg_current_wal_lsn()`), as text. */
  primaryPosition(): Promise<string>;
  /** Whether the replica has replayed at least up to `position`; false when it replays nothing. */
  replicaReached(position: string): Promise<boolean>;
}

/** Options of {@link ReplicaReads}. */
export interface ReplicaReadsOptions {
  /** How long a read waits for the replica to reach the primary's position (default 20 ms). */
  maxWaitMs?: number;
  /** How long the replica rests after it failed a read or a check (default 5 s). */
  restMs?: number;
  now?: () => number;
  onError?: (error: unknown) => void;
}

/** Routes reads to the replica when it cannot miss anything (see the module doc). */
export class ReplicaReads {
  readonly #engines: ReplicaPositions;
  readonly #maxWaitMs: number;
  readonly #restMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  #restUntil = 0;
  /** The fetch under way, and the one the reads that arrived during it will share. */
  #current: Promise<string> | null = null;
  #next: Promise<string> | null = null;

  constructor(engines: ReplicaPositions, options: ReplicaReadsOptions = {}) {
    this.#engines = engines;
    this.#maxWaitMs = options.maxWaitMs ?? 20;
    this.#restMs = options.restMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * `onReplica()` when the replica has replayed all the primary had committed when this call
   * began, else `onPrimary()`. An error of the replica's read falls back to the primary too.
   */
  async read<T>(onReplica: () => Promise<T>, onPrimary: () => Promise<T>): Promise<T> {
    if (this.#now() < this.#restUntil) {
      replicaReads.inc({ result: "primary_unavailable" });
      return await onPrimary();
    }
    let reached: boolean;
    try {
      reached = await this.#caughtUp(await this.#position());
    } catch (error) {
      this.#rest(error);
      replicaReads.inc({ result: "primary_unavailable" });
      return await onPrimary();
    }
    if (!reached) {
      replicaReads.inc({ result: "primary_lagging" });
      return await onPrimary();
    }
    let answer: T;
    try {
      answer = await onReplica();
    } catch (error) {
      this.#rest(error);
      replicaReads.inc({ result: "primary_unavailable" });
      return await onPrimary();
    }
    replicaReads.inc({ result: "replica" });
    return answer;
  }

  #rest(error: unknown): void {
    this.#restUntil = this.#now() + this.#restMs;
    this.#onError(error);
  }

  /** A position fetched after this call began: the next fetch if one is already under way. */
  #position(): Promise<string> {
    if (this.#current === null) {
      this.#current = this.#fetch();
      return this.#current;
    }
    if (this.#next === null) {
      this.#next = this.#current.catch(() => {}).then(() => {
        this.#next = null;
        this.#current = this.#fetch();
        return this.#current;
      });
    }
    return this.#next;
  }

  async #fetch(): Promise<string> {
    try {
      return await this.#engines.primaryPosition();
    } finally {
      // The reads that joined `#next` start their fetch as this one settles.
      if (this.#next === null) this.#current = null;
    }
  }

  /** Whether the replica reaches `position` within the wait: checked at once, then a few times. */
  async #caughtUp(position: string): Promise<boolean> {
    const deadline = this.#now() + this.#maxWaitMs;
    for (let pause = 1;; pause *= 2) {
      if (await this.#engines.replicaReached(position)) return true;
      const left = deadline - this.#now();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }
}
