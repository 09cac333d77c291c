/**
 * Groups: creation, details and search here; joining and leaving, join
 * requests and administration in their own parts (group_members.ts,
 * group_requests.ts, group_admin.ts), all answered as one part of the service.
 */
import { AppError } from "../shared/errors.ts";
import type { Context } from "./context.ts";
import { findGroup, memberOf } from "./group_access.ts";
import { groupAdmin } from "./group_admin.ts";
import { avatarOf, historyOf, memberIdsOf, mustBeFriends } from "./group_input.ts";
import { groupMembers } from "./group_members.ts";
import { groupRequests } from "./group_requests.ts";
import { changeRecords, publish, updateEvents } from "./group_system.ts";
import { checkName, checkString, object, SEARCH_MIN } from "./validate.ts";
import { groupView, memberViews } from "./views.ts";

/** Creates the groups part of the logic service. */
export function groups(ctx: Context) {
  const { store, limits } = ctx;
  const requests = groupRequests(ctx);

  return {
    ...groupMembers(ctx, requests),
    ...requests.rules,
    ...groupAdmin(ctx),

    async createGroup(userId: string, input: unknown) {
      const body = object(input, ["name", "avatar", "memberIds", "history"]);
      const history = historyOf(body.history);
      if (body.name === undefined) throw new AppError("invalid_argument", "Invalid name: required");
      const name = checkName(body.name, "name", { min: 1, max: limits.groupNameMax });
      const avatarMediaId = (await avatarOf(ctx, body)) ?? null;
      const ids = body.memberIds === undefined
        ? []
        : memberIdsOf(body.memberIds, "memberIds", limits);
      await mustBeFriends(ctx, userId, ids);
      const members = [userId, ...ids.filter((id) => id !== userId)];
      if (members.length > limits.groupSize) {
        throw new AppError(
          "forbidden",
          `Cannot create group: more than ${limits.groupSize} members`,
        );
      }
      const group = groupView(
        await store.groups.create(
          {
            id: ctx.ids.next(),
            name,
            avatarMediaId,
            ownerId: userId,
            createdAt: ctx.now(),
            history,
          },
          members,
        ),
      );
      // The `created` line brings every first member into the group at once.
      await publish(ctx, [
        ...changeRecords(ctx, {
          groupId: group.id,
          lines: [{ event: "created", by: userId }],
          membership: { added: members },
        }),
        ...await updateEvents(ctx, group, { counted: true }),
      ]);
      return group;
    },

    async groups(userId: string) {
      const list = (await store.groups.of(userId)).map(groupView);
      return await Promise.all(list.map(async (group) => ({
        group,
        onlineCount: (await ctx.presence.online(await store.groups.memberIds(group.id))).size,
      })));
    },

    async searchGroups(userId: string, query: string | null) {
      const q = checkString(query ?? "", "q", { min: SEARCH_MIN, max: 64 });
      await ctx.limit(`search:${userId}`, ctx.rates.searchPerUser, "searches");
      return (await store.groups.search(q, 50)).map(groupView);
    },

    async group(userId: string, groupId: string) {
      const group = groupView(await findGroup(ctx, groupId));
      await memberOf(ctx, group.id, userId, "view");
      // The count is every member's; whether one member is online only friends (and oneself) see.
      const { members, online } = await memberViews(
        ctx,
        userId,
        await store.groups.members(group.id),
      );
      return { group, members, onlineCount: online.size };
    },

    async groupIdsOf(userId: string) {
      return await store.groups.idsOf(userId);
    },
  };
}
