/** Friends: requests, acceptance, the friend list. */
import { AppError } from "../shared/errors.ts";
import type { FriendRequestRow } from "../shared/store/mod.ts";
import type { FriendRequest, User } from "../shared/types.ts";
import { presenceShownTo } from "./presence_shown.ts";
import type { Context } from "./context.ts";
import { checkId, object, optionalString, pathId } from "./validate.ts";
import { isDeleted, userView, withLastSeen } from "./views.ts";

/** Creates the friends part of the logic service. */
export function friends(ctx: Context) {
  const { store } = ctx;

  async function expand(rows: FriendRequestRow[]): Promise<FriendRequest[]> {
    const users = new Map(
      (await store.accounts.users([...new Set(rows.flatMap((r) => [r.fromId, r.toId]))])).map((
        u,
      ) => [u.id, userView(u)]),
    );
    return rows.flatMap((r) => {
      const from = users.get(r.fromId);
      const to = users.get(r.toId);
      return from && to ? [{ id: r.id, from, to, note: r.note, createdAt: r.createdAt }] : [];
    });
  }

  async function befriend(a: string, b: string): Promise<User> {
    await store.friends.add(a, b, ctx.now());
    const [userA, userB] = (await store.accounts.users([a, b])).map(userView);
    await ctx.emit([a], { op: "friend_added", user: userB });
    await ctx.emit([b], { op: "friend_added", user: userA });
    return userB;
  }

  return {
    async requestFriend(userId: string, input: unknown) {
      const body = object(input, ["userId", "note"]);
      const toId = checkId(body.userId, "userId");
      const note = optionalString(body, "note", { min: 0, max: ctx.limits.noteMax }) ?? "";
      await ctx.limit(
        `friend-request:${userId}`,
        ctx.rates.friendRequestPerUser,
        "friend requests",
      );
      if (toId === userId) {
        throw new AppError("invalid_argument", "Invalid userId: cannot befriend yourself");
      }
      const [to] = await store.accounts.users([toId]);
      if (!to || isDeleted(to)) {
        throw new AppError("not_found", `Cannot send a friend request to "${toId}": no such user`);
      }
      if (await store.friends.areFriends(userId, toId)) {
        throw new AppError(
          "conflict",
          `Cannot send a friend request to "${toId}": already friends`,
        );
      }
      // After "already friends", which a blocked friend knows anyway; before their own
      // request could be accepted. The text names no block (PROTOCOL.md, Blocking).
      if (await store.blocks.blocks(toId, userId)) {
        throw new AppError(
          "forbidden",
          `Cannot send a friend request to "${toId}": not accepting your requests`,
        );
      }
      if (await store.friends.requestBetween(toId, userId)) {
        return { friend: await befriend(userId, toId) };
      }
      if (await store.friends.requestBetween(userId, toId)) {
        throw new AppError(
          "conflict",
          `Cannot send a friend request to "${toId}": a request is pending`,
        );
      }
      const row = { id: ctx.ids.next(), fromId: userId, toId, note, createdAt: ctx.now() };
      await store.friends.createRequest(row);
      const [request] = await expand([row]);
      await ctx.emit([toId], { op: "friend_request", request });
      return { request };
    },

    async friendRequests(userId: string) {
      const { incoming, outgoing } = await store.friends.requests(userId);
      return { incoming: await expand(incoming), outgoing: await expand(outgoing) };
    },

    async acceptFriend(userId: string, requestId: string) {
      const row = await store.friends.request(pathId(requestId, "friend request"));
      if (!row || (row.toId !== userId && row.fromId !== userId)) {
        throw new AppError("not_found", `Cannot find friend request "${requestId}"`);
      }
      if (row.toId !== userId) {
        throw new AppError(
          "forbidden",
          `Cannot accept friend request "${requestId}": it is your own`,
        );
      }
      return await befriend(userId, row.fromId);
    },

    async rejectFriend(userId: string, requestId: string) {
      const row = await store.friends.request(pathId(requestId, "friend request"));
      if (!row || (row.toId !== userId && row.fromId !== userId)) {
        throw new AppError("not_found", `Cannot find friend request "${requestId}"`);
      }
      // The receiver rejects; the sender may withdraw the same way.
      await store.friends.deleteRequest(row.id);
    },

    async cancelFriendRequest(userId: string, requestId: string) {
      const id = pathId(requestId, "friend request");
      const row = await store.friends.cancelRequest(id, userId);
      if (!row) {
        // The receiver knows the request exists (it is in their list): they are told why. Anyone
        // else gets the answer of an unknown id, so a guessed id says nothing.
        const other = await store.friends.request(id);
        if (other?.toId === userId) {
          throw new AppError(
            "forbidden",
            `Cannot cancel friend request "${requestId}": only its sender may; reject it instead`,
          );
        }
        throw new AppError("not_found", `Cannot find friend request "${requestId}"`);
      }
      await ctx.emit([row.toId], { op: "friend_request_cancelled", requestId: row.id });
    },

    async friends(userId: string) {
      const ids = await store.friends.idsOf(userId);
      const [rows, shown] = await Promise.all([
        store.accounts.users(ids),
        presenceShownTo(store, userId, ids),
      ]);
      const users = rows.map(userView);
      // A friend who blocked the caller looks offline, with no time of their last visit.
      const seen = new Map(
        (await withLastSeen(ctx, users.filter((u) => shown.has(u.id)))).map((f) => [f.user.id, f]),
      );
      return users.map((user) => seen.get(user.id) ?? { user, online: false });
    },

    async removeFriend(userId: string, friendId: string) {
      const id = pathId(friendId, "friend");
      if (!await store.friends.remove(userId, id)) {
        throw new AppError("not_found", `Cannot remove friend "${friendId}": not a friend`);
      }
    },
  };
}
