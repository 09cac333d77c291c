/** Conversations from one user's point of view: the list, history, read marks and receipts. */
import { AppError } from "../shared/errors.ts";
import { restrictTo } from "../shared/message_view.ts";
import type { GroupRow } from "../shared/store/mod.ts";
import type { ConversationSummary, ReadMark } from "../shared/types.ts";
import { privateConversationId } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { type ReceiptAudience, receipts as receiptsOf } from "./receipts.ts";
import { checkInt, checkString, object } from "./validate.ts";
import { groupView, userView } from "./views.ts";

/** Where a caller stands in a conversation: the seq above which they read, and its other side. */
interface Participation {
  floor: number;
  /** The other user of a private chat. */
  peerId?: string;
  /** The group of a group conversation. */
  group?: GroupRow;
}

/** Creates the conversations part of the logic service: `close()` drops receipts still waiting. */
export function conversations(ctx: Context) {
  const { store } = ctx;
  const receipts = receiptsOf(ctx);

  /** Checks the caller takes part in a conversation; resolves with where they stand in it. */
  async function participant(userId: string, conversationId: string): Promise<Participation> {
    const priv = /^u:([1-9][0-9]{0,18}):([1-9][0-9]{0,18})$/.exec(conversationId);
    if (priv) {
      if (privateConversationId(priv[1], priv[2]) !== conversationId || priv[1] === priv[2]) {
        throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
      }
      if (priv[1] !== userId && priv[2] !== userId) {
        throw new AppError(
          "forbidden",
          `Cannot read conversation "${conversationId}": not a participant`,
        );
      }
      return { floor: 0, peerId: priv[1] === userId ? priv[2] : priv[1] };
    }
    const match = /^g:([1-9][0-9]{0,18})$/.exec(conversationId);
    if (!match) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId.slice(0, 60)}"`);
    }
    const group = await store.groups.get(match[1]);
    if (!group) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    const floor = await store.groups.historyFloor(group.id, userId);
    if (floor === null) {
      throw new AppError("forbidden", `Cannot read conversation "${conversationId}": not a member`);
    }
    return { floor, group };
  }

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
      // A group's last message as the caller may see it: a reply to a message from
      // before they joined shows no preview (the store gives each row its floor).
      return rows.map((row) => ({
        id: row.id,
        type: row.type,
        ...(row.peerId ? { peer: peers.get(row.peerId) } : {}),
        ...(row.groupId ? { group: groups.get(row.groupId) } : {}),
        lastSeq: row.lastSeq,
        readSeq: row.readSeq,
        unread: row.unread,
        lastMessage: row.lastMessage && restrictTo(row.lastMessage, row.floor),
        mentioned: row.mentioned,
      }));
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
      const { floor } = await participant(userId, conversationId);
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
      // First, so refused reads, valid or not, cost no more than the check.
      await ctx.limit(`read:${userId}`, ctx.rates.readPerUser, "reads");
      const body = object(input, ["conversationId", "seq"]);
      const conversationId = checkString(body.conversationId, "conversationId", {
        min: 3,
        max: 64,
      });
      const seq = checkInt(body.seq, "seq", 0, 2 ** 31 - 1);
      const where = await participant(userId, conversationId);
      const mark = await store.messages.markRead(userId, conversationId, seq);
      if (mark !== null) {
        await receipts.advanced(userId, conversationId, mark, audience(userId, where));
      }
    },

    async reads(userId: string, conversationId: string): Promise<ReadMark[]> {
      await participant(userId, conversationId);
      return await store.messages.reads(conversationId);
    },

    close(): void {
      receipts.close();
    },
  };
}
