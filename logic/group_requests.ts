/**
 * Join requests (PROTOCOL.md, Version 2, Groups): under the `approval` policy a
 * join asks, and the owner or an admin accepts or rejects. Both hear of every
 * new request (`group_join_request`) and of every one decided
 * (`group_join_request_closed`), also when its user joined another way.
 */
import { AppError } from "../shared/errors.ts";
import type { LogRecord } from "../shared/message_log/mod.ts";
import { rateLimited } from "../shared/metrics.ts";
import type { GroupRow, JoinRequestRow } from "../shared/store/mod.ts";
import type { Group, JoinRequest } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { findGroup, moderatorIds, moderatorOf } from "./group_access.ts";
import { eventTo, joinedRecords, publish, updateEvents } from "./group_system.ts";
import { pathId } from "./validate.ts";
import { groupView, userView } from "./views.ts";

/** Creates the join request part of the logic service, and what joining needs of it. */
export function groupRequests(ctx: Context) {
  const { store, limits } = ctx;

  /** Requests as clients see them, with their users (a deleted one drops out). */
  async function views(rows: readonly JoinRequestRow[]): Promise<JoinRequest[]> {
    const users = new Map(
      (await store.accounts.users(rows.map((r) => r.userId))).map((u) => [u.id, userView(u)]),
    );
    return rows.flatMap(({ id, groupId, userId, createdAt }) => {
      const user = users.get(userId);
      return user ? [{ id, groupId, user, createdAt }] : [];
    });
  }

  /** The `group_join_request_closed` events of decided requests, to the owner and admins. */
  async function closedEvents(groupId: string, requestIds: readonly string[]) {
    if (requestIds.length === 0) return [];
    const moderators = await moderatorIds(ctx, groupId);
    return requestIds.flatMap((requestId) =>
      eventTo(moderators, { op: "group_join_request_closed", groupId, requestId })
    );
  }

  /** A pending request of the group, by path id; `not_found` when unknown or decided. */
  function unknownRequest(groupId: string, requestId: string): AppError {
    return new AppError(
      "not_found",
      `Cannot find join request "${requestId}" of group "${groupId}"`,
    );
  }

  /** An accept into a full group: the request stays for when there is room. */
  function full(groupId: string, requestId: string): AppError {
    return new AppError(
      "forbidden",
      `Cannot accept join request "${requestId}": group "${groupId}" is full`,
    );
  }

  return {
    /**
     * A join under `approval`: the user's pending request, made now unless they
     * have one; `rate_limited` while the group holds `joinRequestsMax` of them.
     */
    async askToJoin(userId: string, group: GroupRow): Promise<JoinRequest> {
      const pending = await store.groups.requests(group.id);
      const own = pending.find((r) => r.userId === userId);
      if (own) return (await views([own]))[0];
      if (pending.length >= limits.joinRequestsMax) {
        rateLimited.inc({ limit: "join_requests" });
        throw new AppError(
          "rate_limited",
          `Cannot ask to join group "${group.id}": too many pending requests; try again later`,
        );
      }
      const id = ctx.ids.next();
      const row = await store.groups.addRequest({
        id,
        groupId: group.id,
        userId,
        createdAt: ctx.now(),
      });
      const [request] = await views([row]);
      // Another join of this user made it first: that one told the moderators.
      if (row.id === id) {
        await publish(
          ctx,
          eventTo(await moderatorIds(ctx, group.id), { op: "group_join_request", request }),
        );
      }
      return request;
    },

    /**
     * Closes the pending requests of users who just became members another way
     * (joined, added); the records telling the owner and admins.
     */
    async closeRequestsOf(groupId: string, userIds: readonly string[]): Promise<LogRecord[]> {
      if (userIds.length === 0) return [];
      const joined = new Set(userIds);
      const mine = (await store.groups.requests(groupId)).filter((r) => joined.has(r.userId));
      const closed = await Promise.all(
        mine.map((r) =>
          store.groups.decideRequest(groupId, r.id, false, limits.groupSize, ctx.now())
        ),
      );
      return await closedEvents(groupId, closed.flatMap((r) => r ? [r.id] : []));
    },

    /** The routes of join requests. */
    rules: {
      async joinRequests(userId: string, groupId: string): Promise<JoinRequest[]> {
        const group = await findGroup(ctx, groupId);
        await moderatorOf(ctx, group.id, userId, "see the join requests of");
        return await views(await store.groups.requests(group.id));
      },

      async acceptJoinRequest(userId: string, groupId: string, requestId: string): Promise<Group> {
        const group = await findGroup(ctx, groupId);
        await moderatorOf(ctx, group.id, userId, "accept join requests of");
        const rid = pathId(requestId, "join request");
        const request = (await store.groups.requests(group.id)).find((r) => r.id === rid);
        if (!request) throw unknownRequest(group.id, requestId);
        // Who became a member meanwhile (joined, was added) just has the request closed.
        const already = await store.groups.member(group.id, request.userId) !== null;
        if (!already && group.memberCount >= limits.groupSize) throw full(group.id, rid);
        const decided = await store.groups.decideRequest(
          group.id,
          rid,
          !already,
          limits.groupSize,
          ctx.now(),
        );
        if (!decided) throw unknownRequest(group.id, requestId);
        const updated = groupView(await findGroup(ctx, group.id));
        await publish(ctx, [
          ...already ? [] : joinedRecords(ctx, group.id, [request.userId], () => userId),
          ...await updateEvents(ctx, updated, { counted: !already }),
          ...await closedEvents(group.id, [rid]),
        ]);
        return updated;
      },

      async rejectJoinRequest(userId: string, groupId: string, requestId: string): Promise<void> {
        const group = await findGroup(ctx, groupId);
        await moderatorOf(ctx, group.id, userId, "reject join requests of");
        const rid = pathId(requestId, "join request");
        const decided = await store.groups.decideRequest(
          group.id,
          rid,
          false,
          limits.groupSize,
          ctx.now(),
        );
        if (!decided) throw unknownRequest(group.id, requestId);
        await publish(ctx, await closedEvents(group.id, [rid]));
      },
    },
  };
}
