/** The SDK's side of the typing rule: at most one `typing` frame per conversation per interval. */

/** At most one `typing` frame per conversation in this many ms (the server drops more). */
export const TYPING_INTERVAL_MS = 2000;

/** Conversations above this many remembered: entries past the interval are pruned. */
const PRUNE_AT = 64;

/** When each conversation last let a typing frame through. */
export class TypingThrottle {
  readonly #now: () => number;
  readonly #sent = new Map<string, number>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Whether a frame for the conversation may leave now; if so, the interval starts again. */
  take(conversationId: string): boolean {
    const now = this.#now();
    const last = this.#sent.get(conversationId);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return false;
    if (this.#sent.size >= PRUNE_AT) {
      for (const [id, at] of this.#sent) {
        if (now - at >= TYPING_INTERVAL_MS) this.#sent.delete(id);
      }
    }
    this.#sent.set(conversationId, now);
    return true;
  }
}
