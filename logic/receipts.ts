/**
 * Read receipts (PROTOCOL.md, Version 2, Messages): when a reader's mark
 * advances, a `read` event goes through the message log, so task delivers it
 * in order with the conversation's messages (no side channel). Coalesced here:
 * at most one event per reader and conversation per second; an advance within
 * that second is sent when it ends, with the highest seq by then.
 *
 * The coalescing is per logic instance: in a cluster whose instances share one
 * reader's reads, each sends at most one a second.
 */
import type { ServerFrame } from "../shared/types.ts";
import type { Context } from "./context.ts";

/** Who receives a reader's receipts: users by id, or a group's online members (one push item). */
export type ReceiptAudience = { userIds: string[] } | { groupId: string };

/** The coalescing period. */
export const RECEIPT_EVERY_MS = 1000;

interface Slot {
  /** When the last event of this reader and conversation was published. */
  sentAt: number;
  /** An advance waiting for the period to end. */
  pending?: { seq: number; audience: ReceiptAudience; timer: unknown };
}

/** The receipts of a logic instance; `close()` drops the advances still waiting. */
export function receipts(ctx: Context) {
  const slots = new Map<string, Slot>();
  let pruneAt = 1024;

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

  /** Forgets readers whose period is over, once the map has doubled since the last time. */
  function prune(now: number): void {
    if (slots.size < pruneAt) return;
    for (const [key, slot] of slots) {
      if (!slot.pending && now - slot.sentAt >= RECEIPT_EVERY_MS) slots.delete(key);
    }
    pruneAt = Math.max(1024, slots.size * 2);
  }

  function flush(key: string, userId: string, conversationId: string): void {
    const slot = slots.get(key);
    const pending = slot?.pending;
    if (!slot || !pending) return;
    slot.pending = undefined;
    slot.sentAt = ctx.now();
    publish(userId, conversationId, pending.seq, pending.audience).catch((error) =>
      console.error(`logic: read receipt of ${userId} in ${conversationId}:`, error)
    );
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
      const now = ctx.now();
      prune(now);
      const slot = slots.get(key);
      if (!slot || now - slot.sentAt >= RECEIPT_EVERY_MS) {
        slots.set(key, { sentAt: now });
        return await publish(userId, conversationId, seq, audience);
      }
      if (slot.pending) {
        slot.pending.seq = Math.max(slot.pending.seq, seq);
        slot.pending.audience = audience;
        return;
      }
      const timer = ctx.timers.setTimeout(
        () => flush(key, userId, conversationId),
        slot.sentAt + RECEIPT_EVERY_MS - now,
      );
      slot.pending = { seq, audience, timer };
    },

    /** Clears the timers of waiting advances (they are not sent). */
    close(): void {
      for (const slot of slots.values()) {
        if (slot.pending) ctx.timers.clearTimeout(slot.pending.timer);
      }
      slots.clear();
    },
  };
}
