/**
 * Running a group (PROTOCOL.md, Version 2, Groups): its settings (owner or
 * admin), its members' roles (owner) and mutes (owner, or an admin on a plain
 * member), handing it over and disbanding it (owner). Each change that is one
 * makes its system message; asking for what already holds changes nothing.
 */
import { AppError } from "../shared/errors.ts";
import type { GroupPatch, GroupRow, MemberRow } from "../shared/store/mod.ts";
import type { Group, GroupMember } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { activeMute, findGroup, memberOf, moderatorOf, ownerOf, targetOf } from "./group_access.ts";
import {
  avatarOf,
  booleanOf,
  historyOf,
  joinPolicyOf,
  mutedUntilOf,
  noticeOf,
} from "./group_input.ts";
import { isModerator } from "./group_roles.ts";
import { changeRecords, publish, type SystemLine, updateEvents } from "./group_system.ts";
import { checkId, object, optionalName } from "./validate.ts";
import { groupView, memberViews } from "./views.ts";

const SETTINGS = ["name", "avatar", "notice", "joinPolicy", "muted", "history"] as const;

/** A role to give: `admin` or `member` (the owner changes by transfer). */
function roleOf(value: unknown): "admin" | "member" | undefined {
  if (value === undefined || value === "admin" || value === "member") return value;
  throw new AppError(
    "invalid_argument",
    value === "owner"
      ? 'Invalid role: expected "admin" or "member" (transfer the group to make an owner)'
      : 'Invalid role: expected "admin" or "member"',
  );
}

/** Creates the administration part of the logic service. */
export function groupAdmin(ctx: Context) {
  const { store, limits } = ctx;

  /** Publishes the lines of a change with `group_update` to the members; the group as now. */
  async function record(groupId: string, lines: readonly SystemLine[]): Promise<Group> {
    const group = groupView(await findGroup(ctx, groupId));
    if (lines.length > 0) {
      await publish(ctx, [
        ...changeRecords(ctx, { groupId, lines }),
        ...await updateEvents(ctx, group),
      ]);
    }
    return group;
  }

  /** What a PATCH of the group changes, and the line of each change (avatar: none). */
  function settingsPatch(group: GroupRow, wanted: GroupPatch, by: string) {
    const patch: GroupPatch = {};
    const lines: SystemLine[] = [];
    if (wanted.name !== undefined && wanted.name !== group.name) {
      patch.name = wanted.name;
      lines.push({ event: "renamed", by, value: wanted.name });
    }
    if (wanted.notice !== undefined && wanted.notice !== group.notice) {
      patch.notice = wanted.notice;
      lines.push({ event: "notice", by, value: wanted.notice });
    }
    if (wanted.joinPolicy !== undefined && wanted.joinPolicy !== group.joinPolicy) {
      patch.joinPolicy = wanted.joinPolicy;
      lines.push({ event: "policy", by, value: wanted.joinPolicy });
    }
    if (wanted.history !== undefined && wanted.history !== group.history) {
      patch.history = wanted.history;
      lines.push({ event: "policy", by, value: wanted.history });
    }
    if (wanted.muted !== undefined && wanted.muted !== group.muted) {
      patch.muted = wanted.muted;
      lines.push({ event: "muted", by, value: wanted.muted ? "on" : "off" });
    }
    if (wanted.avatarMediaId !== undefined && wanted.avatarMediaId !== group.avatarMediaId) {
      patch.avatarMediaId = wanted.avatarMediaId;
    }
    return { patch, lines };
  }

  /** Refuses a change of `target` that `actor` may not make. */
  function mayChange(
    groupId: string,
    actor: MemberRow,
    target: MemberRow,
    change: { role?: string; mutedUntil?: number | null },
  ): void {
    if (change.role !== undefined && target.role === "owner") {
      throw new AppError(
        "invalid_argument",
        `Cannot change the role of the owner of group "${groupId}": transfer the group instead`,
      );
    }
    if (change.mutedUntil === undefined) return;
    if (target.role === "owner") {
      throw new AppError("forbidden", `Cannot mute the owner of group "${groupId}"`);
    }
    if (actor.role !== "owner" && target.role !== "member") {
      throw new AppError(
        "forbidden",
        `Cannot mute "${target.userId}" in group "${groupId}": an admin mutes plain members only`,
      );
    }
  }

  /** The member as now; `not_found` when they left meanwhile. */
  async function memberNow(userId: string, groupId: string, memberId: string) {
    const row = await targetOf(ctx, groupId, memberId);
    const { members } = await memberViews(ctx, userId, [row]);
    if (!members[0]) throw new AppError("not_found", `Cannot find user "${memberId}"`);
    return members[0];
  }

  return {
    async updateGroup(userId: string, groupId: string, input: unknown): Promise<Group> {
      const group = await findGroup(ctx, groupId);
      const body = object(input, SETTINGS);
      if (Object.keys(body).length === 0) {
        throw new AppError(
          "invalid_argument",
          `Invalid body: expected at least one of ${SETTINGS.join(", ")}`,
        );
      }
      const wanted: GroupPatch = {
        name: optionalName(body, "name", { min: 1, max: limits.groupNameMax }),
        notice: noticeOf(body.notice, limits),
        joinPolicy: joinPolicyOf(body.joinPolicy),
        muted: booleanOf(body.muted, "muted"),
        history: historyOf(body.history),
        avatarMediaId: await avatarOf(ctx, body),
      };
      await moderatorOf(ctx, group.id, userId, "update");
      const { patch, lines } = settingsPatch(group, wanted, userId);
      if (Object.keys(patch).length === 0) return groupView(group);
      const updated = groupView(await store.groups.update(group.id, patch));
      await publish(ctx, [
        ...changeRecords(ctx, { groupId: group.id, lines }),
        ...await updateEvents(ctx, updated),
      ]);
      return updated;
    },

    async updateGroupMember(
      userId: string,
      groupId: string,
      memberId: string,
      input: unknown,
    ): Promise<GroupMember> {
      const group = await findGroup(ctx, groupId);
      const body = object(input, ["role", "mutedUntil"]);
      if (body.role === undefined && body.mutedUntil === undefined) {
        throw new AppError("invalid_argument", "Invalid body: expected role or mutedUntil");
      }
      const now = ctx.now();
      const role = roleOf(body.role);
      const mutedUntil = mutedUntilOf(body.mutedUntil, now, limits);
      const actor = await memberOf(ctx, group.id, userId, "change members of");
      if (role !== undefined && actor.role !== "owner") {
        throw new AppError(
          "forbidden",
          `Cannot change roles in group "${group.id}": only the owner may`,
        );
      }
      if (mutedUntil !== undefined && !isModerator(actor.role)) {
        throw new AppError(
          "forbidden",
          `Cannot mute members of group "${group.id}": only the owner and admins may`,
        );
      }
      const target = await targetOf(ctx, group.id, memberId);
      mayChange(group.id, actor, target, { role, mutedUntil });
      const lines: SystemLine[] = [];
      const gone = () => targetOf(ctx, group.id, memberId);
      if (role !== undefined && role !== target.role) {
        // False when they left, or became the owner, meanwhile: say which.
        if (!await store.groups.setRole(group.id, target.userId, role)) {
          mayChange(group.id, actor, await gone(), { role });
        }
        lines.push({ event: "role", userId: target.userId, by: userId, value: role });
      }
      if (mutedUntil !== undefined && mutedUntil !== activeMute(target.mutedUntil, now)) {
        if (!await store.groups.setMutedUntil(group.id, target.userId, mutedUntil)) await gone();
        const value = mutedUntil === null ? {} : { value: String(mutedUntil) };
        lines.push({ event: "muted", userId: target.userId, by: userId, ...value });
      }
      await record(group.id, lines);
      return await memberNow(userId, group.id, target.userId);
    },

    async transferGroup(userId: string, groupId: string, input: unknown): Promise<Group> {
      const group = await findGroup(ctx, groupId);
      const body = object(input, ["userId"]);
      if (body.userId === undefined) {
        throw new AppError("invalid_argument", "Invalid userId: required");
      }
      const toId = checkId(body.userId, "userId");
      await ownerOf(ctx, group.id, userId, "transfer");
      if (toId === userId) {
        throw new AppError(
          "invalid_argument",
          `Cannot transfer group "${group.id}" to yourself: you own it`,
        );
      }
      await targetOf(ctx, group.id, toId);
      if (!await store.groups.transfer(group.id, userId, toId)) {
        // Another change came first: the target left, or the caller no longer owns it.
        await targetOf(ctx, group.id, toId);
        await ownerOf(ctx, group.id, userId, "transfer");
        throw new AppError("conflict", `Cannot transfer group "${group.id}": it changed meanwhile`);
      }
      return await record(group.id, [{ event: "transferred", userId: toId, by: userId }]);
    },

    async disbandGroup(userId: string, groupId: string): Promise<void> {
      const group = await findGroup(ctx, groupId);
      await ownerOf(ctx, group.id, userId, "disband");
      const members = await store.groups.disband(group.id);
      // Of two disbands at once, the second finds nothing.
      if (members.length === 0) throw new AppError("not_found", `Cannot find group "${groupId}"`);
      await publish(ctx, [{
        type: "event",
        userIds: members,
        frame: { op: "group_removed", groupId: group.id, reason: "disbanded" },
        membership: { groupId: group.id, added: [], removed: members },
      }]);
    },
  };
}
