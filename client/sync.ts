/**
 * Sync by seq: the last seq delivered per conversation, gap repair through the
 * history endpoint when a push skips seqs, and a catch-up of every
 * conversation after each `ready`, so each message is delivered once, in seq
 * order per conversation. It keeps a seq and a work chain per conversation,
 * nothing per message, and acks once per push (the server holds only pushes
 * pending), never per message a repair or catch-up fetched.
 */
import type { ConversationSummary, Message } from "../shared/types.ts";
import { Backoff, type Timers } from "./backoff.ts";

/** What sync needs of the rest of the client. */
export interface SyncHooks {
  conversations(): Promise<ConversationSummary[]>;
  history(conversationId: string, page: { after: number; limit: number }): Promise<Message[]>;
  /** A message to hand to the application: each once, in seq order per conversation. */
  deliver(message: Message): void;
  /** Everything up to `seq` of the conversation reached this device. */
  ack(conversationId: string, seq: number): void;
  error(error: { code: string; message: string }): void;
  /** Whether the session is open, so a catch-up can run. */
  connected(): boolean;
}

/** Options of a Sync. */
export interface SyncOptions {
  timers: Timers;
  backoffMs: number;
  maxBackoffMs: number;
}

/** Per-conversation positions and the repair of gaps. */
export class Sync {
  readonly #hooks: SyncHooks;
  readonly #timers: Timers;
  readonly #backoff: Backoff;
  readonly #lastSeq = new Map<string, number>();
  readonly #chains = new Map<string, Promise<void>>();
  #resync: unknown;
  #synced = false;

  constructor(hooks: SyncHooks, { timers, backoffMs, maxBackoffMs }: SyncOptions) {
    this.#hooks = hooks;
    this.#timers = timers;
    this.#backoff = new Backoff(backoffMs, maxBackoffMs);
  }

  /** The highest seq seen, in order, of a conversation. */
  lastSeq(conversationId: string): number {
    return this.#lastSeq.get(conversationId) ?? 0;
  }

  /** Takes a pushed message: delivered after any messages it reveals missing, or dropped as a repeat. */
  receive(message: Message): Promise<void> {
    return this.#enqueue(message.conversationId, () => this.#receive(message));
  }

  /** Catches up after a `ready`; a failure is reported and retried with backoff. */
  async catchUp(): Promise<void> {
    try {
      await this.#sync();
    } catch (error) {
      this.#repairFailed(error);
    }
  }

  /** Cancels a pending retry of the catch-up (the session closed). */
  stop(): void {
    this.#timers.clearTimeout(this.#resync);
    this.#resync = undefined;
  }

  /** Catches up every conversation: the first time it takes the server's positions; later it fetches what it missed. */
  async #sync(): Promise<void> {
    const conversations = await this.#hooks.conversations();
    const first = !this.#synced;
    this.#synced = true;
    await Promise.all(conversations.map((c) =>
      this.#enqueue(c.id, async () => {
        if (first && !this.#lastSeq.has(c.id)) {
          this.#lastSeq.set(c.id, c.lastSeq);
          return;
        }
        if (c.lastSeq > this.lastSeq(c.id)) await this.#fill(c.id, c.lastSeq);
      })
    ));
  }

  /** Runs `work` after every earlier piece of work of the same conversation. */
  #enqueue(conversationId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(conversationId) ?? Promise.resolve()).then(work).catch((error) =>
      this.#repairFailed(error)
    );
    this.#chains.set(conversationId, next);
    return next;
  }

  /**
   * Gap repair could not reach the server (it may be restarting): say so, and try
   * the whole catch-up again with backoff while the session lasts, so a missed
   * message is fetched even if no later one reveals the gap.
   */
  #repairFailed(error: unknown): void {
    this.#hooks.error({
      code: "unavailable",
      message: `Gap repair failed: ${(error as Error).message}`,
    });
    if (this.#resync !== undefined) return;
    this.#resync = this.#timers.setTimeout(async () => {
      this.#resync = undefined;
      if (!this.#hooks.connected()) return;
      try {
        await this.#sync();
        this.#backoff.reset();
      } catch (error) {
        this.#repairFailed(error);
      }
    }, this.#backoff.next());
  }

  /** Fetches and delivers what lies between the last seq seen and `upTo`. */
  async #fill(conversationId: string, upTo: number): Promise<void> {
    while (this.lastSeq(conversationId) < upTo) {
      const page = await this.#hooks.history(conversationId, {
        after: this.lastSeq(conversationId),
        limit: 200,
      });
      if (page.length === 0) break;
      if (conversationId.startsWith("g:") && page[0].seq > this.lastSeq(conversationId) + 1) {
        // A group under `history: since_join` never shows a member what came before they
        // joined: history starts above those seqs, so they are not a gap to wait for.
        this.#lastSeq.set(conversationId, page[0].seq - 1);
      }
      for (const message of page) if (message.seq <= upTo) this.#deliver(message);
      if (page[page.length - 1].seq >= upTo) break;
    }
  }

  async #receive(message: Message): Promise<void> {
    const last = this.lastSeq(message.conversationId);
    if (message.seq <= last) return this.#ackUpTo(message.conversationId);
    if (message.seq > last + 1 && (this.#synced || last > 0)) {
      await this.#fill(message.conversationId, message.seq - 1);
      const reached = this.lastSeq(message.conversationId);
      if (reached < message.seq - 1) {
        // History does not show the missing seqs yet (a read that lags the push):
        // delivering this one would skip them for good. The catch-up retries,
        // and the unacked push comes again.
        throw new Error(
          `seqs ${reached + 1} to ${
            message.seq - 1
          } of ${message.conversationId} are not in the history yet`,
        );
      }
    }
    this.#deliver(message);
    // One ack covers every seq up to it: none for the messages a repair fetched.
    this.#ackUpTo(message.conversationId);
  }

  /**
   * Hands a message on once: only a seq above the last one delivered passes.
   * That is also the dedupe by id: an id has one seq, and once delivered the
   * last seq is at least that, so a repeated push (redelivery, or a push that
   * raced a history page) never passes again. No set of seen ids is kept.
   */
  #deliver(message: Message): void {
    if (message.seq <= this.lastSeq(message.conversationId)) return;
    this.#lastSeq.set(message.conversationId, message.seq);
    this.#hooks.deliver(message);
  }

  #ackUpTo(conversationId: string): void {
    this.#hooks.ack(conversationId, this.lastSeq(conversationId));
  }
}
