/**
 * Coming and going (PROTOCOL.md, Version 2, Groups): joining by the group's
 * policy, being added by a member, leaving and being removed. Each records a
 * system message carrying the membership change, so connect's group nodes
 * change exactly at its seq.
 */
import { AppError } from "../shared/errors.ts";
import type { LogRecord } from "../shared/message_log/mod.ts";
import type { GroupRow, Removal } from "../shared/store/mod.ts";
import type { Group, JoinRequest } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { findGroup, memberOf, targetOf } from "./group_access.ts";
import { memberIdsOf, mustBeFriends } from "./group_input.ts";
import type { groupRequests } from "./group_requests.ts";
import { changeRecords, joinedRecords, publish, updateEvents } from "./group_system.ts";
import { roleRank } from "./group_roles.ts";
import { object } from "./validate.ts";
import { groupView } from "./views.ts";

type Requests = ReturnType<typeof groupRequests>;

/** Creates the membership part of the logic service. */
export function groupMembers(ctx: Context, requests: Requests) {
  const { store, limits } = ctx;

  /** Adds members now; the records of their `joined` lines and of the change. */
  async function admit(
    group: GroupRow,
    userIds: readonly string[],
    by: (userId: string) => string,
  ): Promise<{ group: Group; added: string[]; records: LogRecord[] }> {
    const added = await store.groups.addMembers(group.id, userIds, limits.groupSize, ctx.now());
    const updated = groupView(await findGroup(ctx, group.id));
    if (added.length === 0) return { group: updated, added, records: [] };
    const records = [
      ...joinedRecords(ctx, group.id, added, by),
      ...await updateEvents(ctx, updated, { counted: true }),
      ...await requests.closeRequestsOf(group.id, added),
    ];
    return { group: updated, added, records };
  }

  /**
   * The records of a removal as the store did it: the `left` or `removed` line
   * carrying the change, a `transferred` line when ownership passed on, and the
   * events; a disbanded group only tells the one who left.
   */
  async function removalRecords(
    group: GroupRow,
    removal: Removal,
    userId: string,
    by: string,
  ): Promise<LogRecord[]> {
    const reason = userId === by ? "left" : "removed";
    if (removal.disbanded) {
      return [{
        type: "event",
        userIds: [userId],
        frame: { op: "group_removed", groupId: group.id, reason },
        membership: { groupId: group.id, added: [], removed: [userId] },
      }];
    }
    const lines = [{ event: reason, userId, by } as const];
    const transferred = removal.newOwner === undefined
      ? []
      : [{ event: "transferred", userId: removal.newOwner, by } as const];
    const updated = groupView(await findGroup(ctx, group.id));
    return [
      ...changeRecords(ctx, {
        groupId: group.id,
        lines: [...lines, ...transferred],
        membership: { removed: [userId] },
      }),
      ...await updateEvents(ctx, updated, { removed: [userId], reason }),
    ];
  }

  return {
    async joinGroup(
      userId: string,
      groupId: string,
    ): Promise<
      { group: Group; request?: undefined } | { request: JoinRequest; group?: undefined }
    > {
      const group = await findGroup(ctx, groupId);
      const conflict = new AppError(
        "conflict",
        `Cannot join group "${group.id}": already a member`,
      );
      if (await store.groups.member(group.id, userId)) throw conflict;
      if (group.joinPolicy === "invite") {
        throw new AppError(
          "forbidden",
          `Cannot join group "${group.id}": by invitation only (a member may add you)`,
        );
      }
      if (group.memberCount >= limits.groupSize) {
        throw new AppError("forbidden", `Cannot join group "${group.id}": the group is full`);
      }
      if (group.joinPolicy === "approval") {
        return { request: await requests.askToJoin(userId, group) };
      }
      const joined = await admit(group, [userId], () => userId);
      if (joined.added.length === 0) throw conflict;
      await publish(ctx, joined.records);
      return { group: joined.group };
    },

    async addGroupMembers(userId: string, groupId: string, input: unknown): Promise<Group> {
      const group = await findGroup(ctx, groupId);
      const body = object(input, ["userIds"]);
      const ids = memberIdsOf(body.userIds, "userIds", limits);
      if (ids.length === 0) {
        throw new AppError("invalid_argument", "Invalid userIds: expected at least one id");
      }
      await memberOf(ctx, group.id, userId, "add members to");
      await mustBeFriends(ctx, userId, ids);
      const joined = await admit(group, ids, () => userId);
      if (joined.added.length === 0) {
        throw new AppError(
          "conflict",
          `Cannot add members to group "${group.id}": already members`,
        );
      }
      await publish(ctx, joined.records);
      return joined.group;
    },

    async leaveGroup(userId: string, groupId: string): Promise<void> {
      const group = await findGroup(ctx, groupId);
      const removal = await store.groups.removeMember(group.id, userId);
      if (!removal.removed) {
        throw new AppError("forbidden", `Cannot leave group "${group.id}": not a member`);
      }
      await publish(ctx, await removalRecords(group, removal, userId, userId));
    },

    async removeGroupMember(userId: string, groupId: string, memberId: string): Promise<void> {
      const group = await findGroup(ctx, groupId);
      if (memberId === userId) {
        throw new AppError(
          "invalid_argument",
          `Cannot remove yourself from group "${group.id}": leave it instead`,
        );
      }
      const actor = await memberOf(ctx, group.id, userId, "remove members of");
      if (roleRank(actor.role) < 1) {
        throw new AppError(
          "forbidden",
          `Cannot remove members of group "${group.id}": only the owner and admins may`,
        );
      }
      const target = await targetOf(ctx, group.id, memberId);
      if (roleRank(target.role) >= roleRank(actor.role)) {
        throw new AppError(
          "forbidden",
          `Cannot remove "${memberId}" from group "${group.id}": an admin removes plain members only`,
        );
      }
      const removal = await store.groups.removeMember(group.id, target.userId);
      // Of two removals at once, the second finds them gone.
      if (!removal.removed) {
        throw new AppError("not_found", `Cannot find member "${memberId}" in group "${group.id}"`);
      }
      await publish(ctx, await removalRecords(group, removal, target.userId, userId));
    },
  };
}
