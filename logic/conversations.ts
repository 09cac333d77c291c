/** Conversations from one user's point of view: the list, history and read marks. */
import { AppError } from "../shared/errors.ts";
import type { ConversationSummary } from "../shared/types.ts";
import { privateConversationId } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { checkInt, checkString, object } from "./validate.ts";
import { groupView, userView } from "./views.ts";

/** Creates the conversations part of the logic service. */
export function conversations(ctx: Context) {
  const { store } = ctx;

  /** Checks the caller takes part in a conversation; resolves with the seq above which they may read. */
  async function participant(userId: string, conversationId: string): Promise<number> {
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
      return 0;
    }
    const group = /^g:([1-9][0-9]{0,18})$/.exec(conversationId);
    if (!group) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId.slice(0, 60)}"`);
    }
    if (!await store.groups.get(group[1])) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    const floor = await store.groups.historyFloor(group[1], userId);
    if (floor === null) {
      throw new AppError("forbidden", `Cannot read conversation "${conversationId}": not a member`);
    }
    return floor;
  }

  return {
    async conversations(userId: string): Promise<ConversationSummary[]> {
      const rows = await store.messages.conversations(userId);
      const peerRows = await store.accounts.users(rows.flatMap((r) => r.peerId ?? []));
      const peers = new Map(peerRows.map((u) => [u.id, userView(u)]));
      const groups = new Map((await store.groups.of(userId)).map((g) => [g.id, groupView(g)]));
      return rows.map((row) => ({
        id: row.id,
        type: row.type,
        ...(row.peerId ? { peer: peers.get(row.peerId) } : {}),
        ...(row.groupId ? { group: groups.get(row.groupId) } : {}),
        lastSeq: row.lastSeq,
        readSeq: row.readSeq,
        unread: row.unread,
        lastMessage: row.lastMessage,
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
      const floor = await participant(userId, conversationId);
      if (before !== undefined && before <= floor + 1) return [];
      return await store.messages.history(conversationId, {
        after: Math.max(after ?? 0, floor) || undefined,
        before,
        limit,
      });
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
      await participant(userId, conversationId);
      await store.messages.markRead(userId, conversationId, seq);
    },
  };
}
