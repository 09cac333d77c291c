/**
 * One queue of pending pushes for a whole connect server, in due order (every
 * push waits the same timeout, so first in is first due): a single timer walks
 * its head instead of one timer per message.
 */

import { redeliveries } from "../shared/metrics.ts";

/** Something that holds pushes until they are acked. */
export interface PendingHolder {
  /** The frame still pending for (conversation, seq), or undefined once acked or closed. */
  pendingFrame(conversationId: string, seq: number): string | undefined;
  /** Sends a frame again. */
  resend(frame: string): void;
}

interface Entry {
  holder: PendingHolder;
  conversationId: string;
  seq: number;
  due: number;
}

/** Options of the redelivery queue. */
export interface RedeliveryOptions {
  timeoutMs: number;
  now?: () => number;
}

/** The redelivery queue; call `tick()` from one timer. */
export class RedeliveryQueue {
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #entries: Entry[] = [];
  #head = 0;

  constructor({ timeoutMs, now = Date.now }: RedeliveryOptions) {
    this.#timeoutMs = timeoutMs;
    this.#now = now;
  }

  /** Pending entries, acked or not, still queued. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Starts the clock on a push just sent. */
  track(holder: PendingHolder, conversationId: string, seq: number): void {
    this.#entries.push({ holder, conversationId, seq, due: this.#now() + this.#timeoutMs });
  }

  /** Resends what is due and still pending, restarting its clock; returns how many were resent. */
  tick(): number {
    const now = this.#now();
    let resent = 0;
    const again: Entry[] = [];
    while (this.#head < this.#entries.length && this.#entries[this.#head].due <= now) {
      const entry = this.#entries[this.#head++];
      const frame = entry.holder.pendingFrame(entry.conversationId, entry.seq);
      if (frame === undefined) continue;
      entry.holder.resend(frame);
      resent++;
      again.push({ ...entry, due: now + this.#timeoutMs });
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    this.#entries.push(...again);
    if (resent > 0) redeliveries.inc(resent);
    return resent;
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
  }
}
