/**
 * Blocking (PROTOCOL.md, Version 2, Blocking): a user blocks another, who can
 * then no longer send them friend requests or private messages and stops seeing
 * their presence. The friendship stays, and unblocking restores everything.
 *
 * Nothing tells the blocked user of the block: their refusals read like others
 * (friends.ts, send.ts), their typing is dropped (typing.ts), and the blocker
 * merely looks offline to them.
 */
import { AppError } from "../shared/errors.ts";
import type { User } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { pathId } from "./validate.ts";
import { isDeleted, userView } from "./views.ts";

/** Creates the blocking part of the logic service. */
export function blocks(ctx: Context) {
  const { store } = ctx;

  /** The user a block route names: not the caller (`invalid_argument`), and stored (`not_found`). */
  async function other(userId: string, id: string, verb: "block" | "unblock") {
    const otherId = pathId(id, "user");
    if (otherId === userId) {
      throw new AppError("invalid_argument", `Invalid userId: cannot ${verb} yourself`);
    }
    const [user] = await store.accounts.users([otherId]);
    // A deleted account cannot be newly blocked (it cannot ask anything), but can be unblocked.
    if (!user || (verb === "block" && isDeleted(user))) {
      throw new AppError("not_found", `Cannot ${verb} user "${otherId}": no such user`);
    }
    return otherId;
  }

  /**
   * Tells `viewerId`, a friend of `userId`, the presence of `userId` they now
   * see: offline without a time while blocked (as if the blocker had left), the
   * real state again once unblocked. Their screen would keep the old one otherwise.
   */
  async function showPresence(userId: string, viewerId: string, blocked: boolean) {
    if (!await store.friends.areFriends(userId, viewerId)) return;
    if (blocked) {
      return await ctx.emit([viewerId], { op: "presence", userId, online: false });
    }
    const online = (await ctx.presence.online([userId])).has(userId);
    const lastSeenAt = online ? undefined : (await store.accounts.lastSeen([userId])).get(userId);
    await ctx.emit([viewerId], {
      op: "presence",
      userId,
      online,
      ...(lastSeenAt === undefined ? {} : { lastSeenAt }),
    });
  }

  return {
    async block(userId: string, blockedId: string): Promise<void> {
      const id = await other(userId, blockedId, "block");
      const made = await store.blocks.block(userId, id, ctx.now());
      // Their pending request to the blocker goes as a rejected one does, unannounced.
      const request = await store.friends.requestBetween(id, userId);
      if (request) await store.friends.deleteRequest(request.id);
      if (made) await showPresence(userId, id, true);
    },

    async unblock(userId: string, blockedId: string): Promise<void> {
      const id = await other(userId, blockedId, "unblock");
      if (await store.blocks.unblock(userId, id)) await showPresence(userId, id, false);
    },

    async blocks(userId: string): Promise<User[]> {
      const ids = await store.blocks.blockedBy(userId);
      const users = new Map((await store.accounts.users(ids)).map((u) => [u.id, userView(u)]));
      return ids.flatMap((id) => users.get(id) ?? []);
    },
  };
}
