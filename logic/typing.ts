/**
 * Typing: checked here (participation, group size, the 2 s rule) and pushed
 * straight to the connect servers that hold the other participants. Nothing is
 * stored and nothing goes through the message log: a typing indicator is worth
 * something only now, so it is never redelivered either.
 */
import { AppError } from "../shared/errors.ts";
import { OncePerWindow } from "../shared/once_per_window.ts";
import type { PushItem } from "../shared/rpc/connect.ts";
import { privateConversationId, type ServerFrame } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { isModerator } from "./group_roles.ts";

/** A user's typing in one conversation is relayed at most once in this many ms (PROTOCOL.md, Typing). */
export const TYPING_WINDOW_MS = 2000;
/**
 * How long a group's member count is trusted for the `typingGroupMax` rule: a group
 * that just grew past it may still relay typing this long, and one lookup serves
 * every typist of the group meanwhile.
 */
export const GROUP_SIZE_TTL_MS = 10_000;
/** Group sizes kept at most; past it they are all forgotten (and looked up again). */
const GROUP_SIZES_KEPT = 100_000;

/** Creates the typing part of the logic service. */
export function typing(ctx: Context) {
  const { store } = ctx;
  // Per logic instance: in a cluster each instance counts the typing it sees, and
  // each connect server drops repeats before they reach any of them.
  const recent = new OncePerWindow(TYPING_WINDOW_MS, () => ctx.now());
  const groupSizes = new Map<string, { count: number; at: number }>();

  /**
   * The other user of a private conversation `userId` may type in; refused
   * otherwise. Null for a friend who blocked `userId`: their typing is dropped as
   * silently as a relayed one is answered, so it does not tell of the block.
   */
  async function peerOf(
    userId: string,
    conversationId: string,
    a: string,
    b: string,
  ): Promise<string | null> {
    if (privateConversationId(a, b) !== conversationId || a === b) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    if (a !== userId && b !== userId) {
      throw new AppError(
        "forbidden",
        `Cannot type in conversation "${conversationId}": not a participant`,
      );
    }
    const peer = a === userId ? b : a;
    // The cached authorization of sends (the friend pairs found before).
    if ((await store.friends.pairs([[userId, peer]])).has(`${userId}:${peer}`)) return peer;
    if (await store.friends.areFriends(userId, peer)) return null;
    if ((await store.accounts.users([peer])).length === 0) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    throw new AppError(
      "forbidden",
      `Cannot type in conversation "${conversationId}": not a friend`,
    );
  }

  /**
   * Members of a group `userId` belongs to, as of at most GROUP_SIZE_TTL_MS ago; refused
   * otherwise. Null for a member who may not send now (muted, or the group muted and they are
   * no owner or admin): their typing is dropped, as no message of theirs can follow it.
   */
  async function groupSize(
    userId: string,
    conversationId: string,
    groupId: string,
  ): Promise<number | null> {
    // The send path's cached lookup: the member's role and mutes.
    const state = (await store.groups.senders([[groupId, userId]])).get(`${groupId}:${userId}`);
    const now = ctx.now();
    const known = groupSizes.get(groupId);
    let count: number;
    if (state && known && now - known.at < GROUP_SIZE_TTL_MS) count = known.count;
    else {
      const group = await store.groups.get(groupId);
      if (!group) throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
      if (!state) {
        throw new AppError(
          "forbidden",
          `Cannot type in conversation "${conversationId}": not a member`,
        );
      }
      if (groupSizes.size >= GROUP_SIZES_KEPT) groupSizes.clear();
      groupSizes.set(groupId, { count: group.memberCount, at: now });
      count = group.memberCount;
    }
    const silenced = (state.mutedUntil !== null && state.mutedUntil > now) ||
      (state.groupMuted && !isModerator(state.role));
    return silenced ? null : count;
  }

  /** Pushes to the connect servers named, each with its items; a server that fails is skipped. */
  async function pushTo(servers: Iterable<[string, PushItem[]]>): Promise<void> {
    await Promise.allSettled(
      [...servers].map(([serverId, items]) => ctx.connects.connect(serverId)?.push(items)),
    );
  }

  return {
    async typing(userId: string, conversationId: string): Promise<void> {
      if (typeof conversationId !== "string") {
        throw new AppError("invalid_argument", "Invalid conversationId: expected a string");
      }
      const priv = /^u:([1-9][0-9]{0,18}):([1-9][0-9]{0,18})$/.exec(conversationId);
      const group = priv ? null : /^g:([1-9][0-9]{0,18})$/.exec(conversationId);
      if (!priv && !group) {
        throw new AppError(
          "not_found",
          `Cannot find conversation "${conversationId.slice(0, 64)}"`,
        );
      }
      // Silently, before any lookup: the second of a pair within the window costs nothing.
      if (!recent.take(`${userId} ${conversationId}`)) return;
      await ctx.refuseDisabled(userId);
      const frame = JSON.stringify(
        { op: "typing", conversationId, userId } satisfies ServerFrame,
      );
      if (priv) {
        const peer = await peerOf(userId, conversationId, priv[1], priv[2]);
        if (peer === null) return;
        const routes = await ctx.presence.routes([peer]);
        return await pushTo(
          [...routes].map(([serverId, userIds]) => [serverId, [{ userIds, frame }]]),
        );
      }
      const groupId = group![1];
      const size = await groupSize(userId, conversationId, groupId);
      if (size === null || size > ctx.limits.typingGroupMax) return;
      // Each connect server knows its online members of the group (its group nodes):
      // one item per server, and no lookup of who is a member or online here.
      const item: PushItem = { groupId, frame, except: userId };
      await pushTo(ctx.connects.connectServers().map((serverId) => [serverId, [item]]));
    },
  };
}
