/**
 * Who may do what in a group (PROTOCOL.md, Version 2, Groups): the lookups and
 * refusals every group operation starts with. An unknown (or disbanded) group is
 * `not_found`; a caller who is not a member, or whose role is too low, `forbidden`.
 */
import { AppError } from "../shared/errors.ts";
import type { GroupRow, MemberRow } from "../shared/store/mod.ts";
import type { Context } from "./context.ts";
import { isModerator } from "./group_roles.ts";
import { pathId } from "./validate.ts";

/** The group of a path id; `not_found` when there is none (malformed, unknown or disbanded). */
export async function findGroup(ctx: Context, groupId: string): Promise<GroupRow> {
  const group = await ctx.store.groups.get(pathId(groupId, "group"));
  if (!group) throw new AppError("not_found", `Cannot find group "${groupId}"`);
  return group;
}

/** The caller as a member; `forbidden` for a non-member. `action` completes "Cannot … group". */
export async function memberOf(
  ctx: Context,
  groupId: string,
  userId: string,
  action: string,
): Promise<MemberRow> {
  const member = await ctx.store.groups.member(groupId, userId);
  if (!member) {
    throw new AppError("forbidden", `Cannot ${action} group "${groupId}": not a member`);
  }
  return member;
}

/** The caller as the owner; `forbidden` for anyone else. */
export async function ownerOf(
  ctx: Context,
  groupId: string,
  userId: string,
  action: string,
): Promise<MemberRow> {
  const member = await memberOf(ctx, groupId, userId, action);
  if (member.role !== "owner") {
    throw new AppError("forbidden", `Cannot ${action} group "${groupId}": only the owner may`);
  }
  return member;
}

/** The caller as the owner or an admin; `forbidden` for a plain member or a non-member. */
export async function moderatorOf(
  ctx: Context,
  groupId: string,
  userId: string,
  action: string,
): Promise<MemberRow> {
  const member = await memberOf(ctx, groupId, userId, action);
  if (!isModerator(member.role)) {
    throw new AppError(
      "forbidden",
      `Cannot ${action} group "${groupId}": only the owner and admins may`,
    );
  }
  return member;
}

/** Another member of the group, named by a path id; `not_found` when they are not a member. */
export async function targetOf(
  ctx: Context,
  groupId: string,
  memberId: string,
): Promise<MemberRow> {
  const member = await ctx.store.groups.member(groupId, pathId(memberId, "member"));
  if (!member) {
    throw new AppError("not_found", `Cannot find member "${memberId}" in group "${groupId}"`);
  }
  return member;
}

/** The owner and admins of a group: who hear of join requests. */
export async function moderatorIds(ctx: Context, groupId: string): Promise<string[]> {
  return (await ctx.store.groups.members(groupId)).flatMap((m) =>
    isModerator(m.role) ? [m.userId] : []
  );
}

/** A mute as it stands at `now`: a time already past is no mute. */
export function activeMute(mutedUntil: number | null, now: number): number | null {
  return mutedUntil !== null && mutedUntil > now ? mutedUntil : null;
}
