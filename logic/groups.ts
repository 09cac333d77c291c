/** Groups: creation, membership, details and search. */
import { AppError } from "../shared/errors.ts";
import type { Group, GroupHistory } from "../shared/types.ts";
import type { Context } from "./context.ts";
import {
  checkId,
  checkMediaId,
  checkName,
  checkString,
  object,
  optionalName,
  pathId,
  SEARCH_MIN,
} from "./validate.ts";
import { groupView, userView } from "./views.ts";

/** Creates the groups part of the logic service. */
export function groups(ctx: Context) {
  const { store, limits } = ctx;

  async function find(groupId: string): Promise<Group> {
    const group = await store.groups.get(pathId(groupId, "group"));
    if (!group) throw new AppError("not_found", `Cannot find group "${groupId}"`);
    return groupView(group);
  }

  async function mustBeMember(group: Group, userId: string, action: string) {
    const role = await store.groups.role(group.id, userId);
    if (!role) {
      throw new AppError("forbidden", `Cannot ${action} group "${group.id}": not a member`);
    }
    return role;
  }

  async function avatarOf(body: Record<string, unknown>): Promise<string | null | undefined> {
    if (body.avatar === undefined || body.avatar === null) return body.avatar as null | undefined;
    const id = checkMediaId(body.avatar, "avatar");
    if (!await store.media.info(id)) {
      throw new AppError("not_found", `Cannot use avatar "${id}": no such media`);
    }
    return id;
  }

  async function mustBeFriends(userId: string, ids: readonly string[]) {
    const friends = new Set(await store.friends.idsOf(userId));
    const strangers = ids.filter((id) => id !== userId && !friends.has(id));
    if (strangers.length > 0) {
      throw new AppError("forbidden", `Cannot add "${strangers[0]}" to a group: not your friend`);
    }
  }

  function historyOf(value: unknown): GroupHistory | undefined {
    if (value === undefined || value === "all" || value === "since_join") return value;
    throw new AppError("invalid_argument", 'Invalid history: expected "all" or "since_join"');
  }

  function memberIds(value: unknown, field: string): string[] {
    if (!Array.isArray(value)) {
      throw new AppError("invalid_argument", `Invalid ${field}: expected an array of ids`);
    }
    if (value.length > limits.groupSize) {
      throw new AppError("invalid_argument", `Invalid ${field}: more than ${limits.groupSize} ids`);
    }
    return [...new Set(value.map((v, i) => checkId(v, `${field}[${i}]`)))];
  }

  /** Announces a change: group_update to every member (and those who left), and the new online count. */
  async function announce(group: Group, added: string[], removed: string[]) {
    const members = await store.groups.memberIds(group.id);
    await ctx.emit([...members, ...removed], { op: "group_update", group }, {
      groupId: group.id,
      added,
      removed,
    });
    if (added.length > 0 || removed.length > 0) {
      const online = [...await ctx.presence.online(members)];
      await ctx.emit(online, { op: "group_online", groupId: group.id, count: online.length });
    }
  }

  return {
    async createGroup(userId: string, input: unknown) {
      const body = object(input, ["name", "avatar", "memberIds", "history"]);
      const history = historyOf(body.history);
      if (body.name === undefined) throw new AppError("invalid_argument", "Invalid name: required");
      const name = checkName(body.name, "name", { min: 1, max: limits.groupNameMax });
      const avatarMediaId = (await avatarOf(body)) ?? null;
      const ids = body.memberIds === undefined ? [] : memberIds(body.memberIds, "memberIds");
      await mustBeFriends(userId, ids);
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
      await announce(group, members, []);
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
      const group = await find(groupId);
      await mustBeMember(group, userId, "view");
      const rows = await store.groups.members(group.id);
      const users = new Map(
        (await store.accounts.users(rows.map((r) => r.userId))).map((u) => [u.id, userView(u)]),
      );
      const online = await ctx.presence.online(rows.map((r) => r.userId));
      // The count is every member's; whether one member is online only friends (and oneself) see.
      const friends = new Set(await store.friends.idsOf(userId));
      const members = rows.flatMap((r) => {
        const user = users.get(r.userId);
        if (!user) return [];
        const visible = r.userId === userId || friends.has(r.userId);
        return [{ user, role: r.role, ...(visible ? { online: online.has(r.userId) } : {}) }];
      });
      return { group, members, onlineCount: online.size };
    },

    async joinGroup(userId: string, groupId: string) {
      const group = await find(groupId);
      if (await store.groups.role(group.id, userId)) {
        throw new AppError("conflict", `Cannot join group "${group.id}": already a member`);
      }
      const added = await store.groups.addMembers(group.id, [userId], limits.groupSize, ctx.now());
      if (added.length === 0) {
        throw new AppError("conflict", `Cannot join group "${group.id}": already a member`);
      }
      const updated = await find(group.id);
      await announce(updated, added, []);
      return updated;
    },

    async leaveGroup(userId: string, groupId: string) {
      const group = await find(groupId);
      if (!await store.groups.removeMember(group.id, userId)) {
        throw new AppError("forbidden", `Cannot leave group "${group.id}": not a member`);
      }
      await announce(await find(group.id), [], [userId]);
    },

    async addGroupMembers(userId: string, groupId: string, input: unknown) {
      const group = await find(groupId);
      const body = object(input, ["userIds"]);
      const ids = memberIds(body.userIds, "userIds");
      if (ids.length === 0) {
        throw new AppError("invalid_argument", "Invalid userIds: expected at least one id");
      }
      await mustBeMember(group, userId, "add members to");
      await mustBeFriends(userId, ids);
      const added = await store.groups.addMembers(group.id, ids, limits.groupSize, ctx.now());
      if (added.length === 0) {
        throw new AppError(
          "conflict",
          `Cannot add members to group "${group.id}": already members`,
        );
      }
      const updated = await find(group.id);
      await announce(updated, added, []);
      return updated;
    },

    async updateGroup(userId: string, groupId: string, input: unknown) {
      const group = await find(groupId);
      const body = object(input, ["name", "avatar", "history"]);
      const name = optionalName(body, "name", { min: 1, max: limits.groupNameMax });
      const history = historyOf(body.history);
      const avatarMediaId = await avatarOf(body);
      if (await mustBeMember(group, userId, "update") !== "owner") {
        throw new AppError("forbidden", `Cannot update group "${group.id}": only the owner may`);
      }
      const updated = groupView(
        await store.groups.update(group.id, { name, avatarMediaId, history }),
      );
      await announce(updated, [], []);
      return updated;
    },

    async groupIdsOf(userId: string) {
      return await store.groups.idsOf(userId);
    },
  };
}
