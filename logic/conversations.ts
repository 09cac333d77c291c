/** Conversations from one user's point of view: the list, history, read marks and receipts. */
import { restrictTo } from "../shared/message_view.ts";
import type { ConversationRow } from "../shared/store/mod.ts";
import type { ConversationSummary, Group, ReadMark, User } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { participant, type Participation } from "./participation.ts";
import { type ReceiptAudience, receipts as receiptsOf } from "./receipts.ts";
import { checkInt, checkString, object } from "./validate.ts";
import { groupView, userView } from "./views.ts";

/**
 * A conversation as the caller's list shows it, with the peer or group as the
 * caller sees them. A group's last message as the caller may see it: a reply to
 * a message from before they joined shows no preview (each row has its floor).
 * `hidden` is left out: a listed conversation is never hidden.
 */
export function toSummary(
  row: ConversationRow,
  peer: User | undefined,
  group: Group | undefined,
): ConversationSummary {
  return {
    id: row.id,
    type: row.type,
    ...(row.peerId ? { peer } : {}),
    ...(row.groupId ? { group } : {}),
    lastSeq: row.lastSeq,
    readSeq: row.readSeq,
    unread: row.unread,
    lastMessage: row.lastMessage && restrictTo(row.lastMessage, row.floor),
    mentioned: row.mentioned,
    pinned: row.pinned,
    muted: row.muted,
  };
}

/** Creates the conversations part of the logic service: `close()` drops receipts still waiting. */
export function conversations(ctx: Context) {
  const { store } = ctx;
  const receipts = receiptsOf(ctx);

  /** Who hears that `userId` read a conversation: the peer and themself, or a small group. */
  function audience(userId: string, { peerId, group }: Participation): ReceiptAudience {
    if (peerId !== undefined) return { userIds: [peerId, userId] };
    if (group && group.memberCount <= ctx.limits.receiptGroupMax) return { groupId: group.id };
    return { userIds: [userId] };
  }

  return {
    async conversations(userId: string): Promise<ConversationSummary[]> {
      const rows = await store.messages.conversations(userId);
      const peerRows = await store.accounts.users(rows.flatMap((r) => r.peerId ?? []));
      const peers = new Map(peerRows.map((u) => [u.id, userView(u)]));
      const groups = new Map((await store.groups.of(userId)).map((g) => [g.id, groupView(g)]));
      return rows.map((row) =>
        toSummary(row, peers.get(row.peerId ?? ""), groups.get(row.groupId ?? ""))
      );
    },

    async history(
      userId: string,
      conversationId: string,
      query: { after: string | null; before: string | null; limit: string | null },
    ) {
      const limit = checkInt(query.limit ?? undefined, "limit", 1, 200, 50);
      const after = query.after === null
        ? undefined
        : checkInt(query.after, "after", 0, 2 ** 31 - 1);
      const before = query.before === null
        ? undefined
        : checkInt(query.before, "before", 1, 2 ** 31 - 1);
      // Under a group's since_join setting, nothing at or below the member's join seq.
      const { floor } = await participant(store, userId, conversationId);
      if (before !== undefined && before <= floor + 1) return [];
      const messages = await store.messages.history(conversationId, {
        after: Math.max(after ?? 0, floor) || undefined,
        before,
        limit,
      });
      // Replies to and updates of messages from before the floor show their id and seq only.
      return messages.map((message) => restrictTo(message, floor));
    },

    async read(userId: string, input: unknown) {
      // First, so refused reads, valid or not, cost no more than the checks.
      await ctx.refuseDisabled(userId);
      await ctx.limit(`read:${userId}`, ctx.rates.readPerUser, "reads");
      const body = object(input, ["conversationId", "seq"]);
      const conversationId = checkString(body.conversationId, "conversationId", {
        min: 3,
        max: 64,
      });
      const seq = checkInt(body.seq, "seq", 0, 2 ** 31 - 1);
      const where = await participant(store, userId, conversationId);
      const mark = await store.messages.markRead(userId, conversationId, seq);
      if (mark !== null) {
        await receipts.advanced(userId, conversationId, mark, audience(userId, where));
      }
    },

    async reads(userId: string, conversationId: string): Promise<ReadMark[]> {
      await participant(store, userId, conversationId);
      return await store.messages.reads(conversationId);
    },

    close(): void {
      receipts.close();
    },
  };
}
