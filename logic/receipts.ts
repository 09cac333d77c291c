/**
 * Read receipts (PROTOCOL.md, Version 2, Messages): when a reader's mark
 * advances, a `read` event goes through the message log, so task delivers it
 * in order with the conversation's messages (no side channel).
 *
 * Coalesced: at most one event per reader and conversation per second, by a
 * token bucket of the rate limiter port (shared by every logic instance, since
 * one reader's reads are spread over them). An advance the bucket refuses
 * waits here, on a timer, until the bucket has a token again; advances that
 * come meanwhile only raise its seq, so the second's end sends the highest.
 * Advances waiting on two instances go out a second apart; each sends the
 * reader's stored mark when it is higher than its own, so the last event of a
 * burst always carries the highest mark (receivers keep the highest anyway).
 */
import type { RateLimit } from "../shared/config.ts";
import { logger } from "../shared/log.ts";
import type { ServerFrame } from "../shared/types.ts";
import type { Context } from "./context.ts";

/** Who receives a reader's receipts: users by id, or a group's online members (one push item). */
export type ReceiptAudience = { userIds: string[] } | { groupId: string };

/** One event per reader and conversation per second. */
export const RECEIPT_RATE: RateLimit = { rate: 1, burst: 1 };
/**
 * How long an advance waits to be tried again after the limiter or the log
 * failed: the mark is stored already, so its event is late, never lost, while
 * this instance runs.
 */
export const RECEIPT_RETRY_MS = 1000;

/** An advance waiting for its reader's bucket. */
interface Waiting {
  seq: number;
  audience: ReceiptAudience;
  timer: unknown;
}

const log = logger("receipts");

/** A read receipt that could not be sent: its reader's mark is stored, only the event is lost. */
function receiptFailed(error: unknown, userId: string, conversationId: string): void {
  log.error("read receipt failed", { error, userId, conversationId });
}

/** The receipts of a logic instance; `close()` drops the advances still waiting. */
export function receipts(ctx: Context) {
  const waiting = new Map<string, Waiting>();
  let closed = false;

  async function publish(
    userId: string,
    conversationId: string,
    seq: number,
    audience: ReceiptAudience,
  ): Promise<void> {
    const frame: ServerFrame = { op: "read", conversationId, userId, seq };
    if ("groupId" in audience) {
      await ctx.log.append([{ type: "group_event", groupId: audience.groupId, frame }]);
    } else {
      await ctx.emit(audience.userIds, frame);
    }
  }

  /** Takes the reader's token; 0 when the event may go now, else milliseconds to wait. */
  function take(userId: string, conversationId: string): Promise<number> {
    return ctx.limiter.take(`receipt:${userId}:${conversationId}`, RECEIPT_RATE);
  }

  function wait(userId: string, conversationId: string, ms: number): unknown {
    return ctx.timers.setTimeout(
      () =>
        void flush(userId, conversationId).catch((error) =>
          receiptFailed(error, userId, conversationId)
        ),
      Math.max(1, ms),
    );
  }

  /**
   * Keeps an advance waiting to be tried again (the limiter or the log failed);
   * one already waiting for the pair takes the higher seq instead.
   */
  function retry(userId: string, conversationId: string, seq: number, audience: ReceiptAudience) {
    if (closed) return;
    const key = `${userId}:${conversationId}`;
    const entry = waiting.get(key);
    if (entry) {
      entry.seq = Math.max(entry.seq, seq);
      return;
    }
    waiting.set(key, { seq, audience, timer: wait(userId, conversationId, RECEIPT_RETRY_MS) });
  }

  /** Publishes now; a failure leaves the advance waiting for a retry rather than failing the read. */
  async function send(
    userId: string,
    conversationId: string,
    seq: number,
    audience: ReceiptAudience,
  ) {
    try {
      await publish(userId, conversationId, seq, audience);
    } catch (error) {
      retry(userId, conversationId, seq, audience);
      throw error;
    }
  }

  /** The period ended: sends the highest seq waiting, or waits again if another instance sent one. */
  async function flush(userId: string, conversationId: string): Promise<void> {
    const key = `${userId}:${conversationId}`;
    const entry = waiting.get(key);
    if (closed || !entry) return;
    let ms: number;
    try {
      ms = await take(userId, conversationId);
    } catch (error) {
      // The limiter failed: wait and ask again (never stay waiting with no timer).
      if (!closed && waiting.get(key) === entry) {
        entry.timer = wait(userId, conversationId, RECEIPT_RETRY_MS);
      }
      throw error;
    }
    if (closed || waiting.get(key) !== entry) return;
    if (ms > 0) {
      entry.timer = wait(userId, conversationId, ms);
      return;
    }
    waiting.delete(key);
    // Another logic instance may have stored a higher mark and sent it meanwhile: send the
    // stored one if higher, so the last receipt of a burst is always the reader's highest.
    const stored = await ctx.store.messages.readMark(userId, conversationId).catch(() => 0);
    await send(userId, conversationId, Math.max(entry.seq, stored), entry.audience);
  }

  return {
    /** A reader's mark advanced to `seq`: publishes the event now, or when the period ends. */
    async advanced(
      userId: string,
      conversationId: string,
      seq: number,
      audience: ReceiptAudience,
    ): Promise<void> {
      const key = `${userId}:${conversationId}`;
      const raise = () => {
        const entry = waiting.get(key);
        if (entry) {
          entry.seq = Math.max(entry.seq, seq);
          entry.audience = audience;
        }
        return entry !== undefined;
      };
      if (raise()) return;
      let ms: number;
      try {
        ms = await take(userId, conversationId);
      } catch (error) {
        // The mark is stored: the event is sent once the limiter answers again.
        retry(userId, conversationId, seq, audience);
        return receiptFailed(error, userId, conversationId);
      }
      if (ms === 0) {
        return await send(userId, conversationId, seq, audience).catch((error) =>
          receiptFailed(error, userId, conversationId)
        );
      }
      // Another advance may have started waiting while the bucket answered.
      if (raise() || closed) return;
      waiting.set(key, { seq, audience, timer: wait(userId, conversationId, ms) });
    },

    /** Clears the timers of waiting advances (they are not sent). */
    close(): void {
      closed = true;
      for (const entry of waiting.values()) ctx.timers.clearTimeout(entry.timer);
      waiting.clear();
    },
  };
}
