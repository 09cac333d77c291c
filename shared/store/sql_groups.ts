/**
 * The group port on SQL: groups, members, roles and mutes, and group search;
 * the changes of membership are in sql_group_changes.ts.
 */
import { AppError } from "../errors.ts";
import type { SqlDriver } from "./driver.ts";
import type {
  GroupPatch,
  GroupRole,
  GroupRow,
  GroupStore,
  JoinRequestRow,
  MemberRow,
  NewGroup,
  Removal,
  SenderState,
} from "./mod.ts";
import {
  addMembers,
  addRequest,
  decideRequest,
  disband,
  removeMember,
  requests,
  transfer,
} from "./sql_group_changes.ts";
import { GROUP_COLUMNS, type GroupDbRow, likeEscape, pairsIn, toGroup } from "./sql_rows.ts";

/** A group_members row as the member reads select it. */
type MemberDbRow = { user_id: string; role: GroupRole; muted_until: string | null };

function toMember(row: MemberDbRow): MemberRow {
  return {
    userId: String(row.user_id),
    role: row.role,
    mutedUntil: row.muted_until === null ? null : Number(row.muted_until),
  };
}

/** Groups and members over an SQL driver whose failures are already AppErrors. */
export class SqlGroupStore implements GroupStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  create(row: NewGroup, memberIds: readonly string[]): Promise<GroupRow> {
    return this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO groups (id, name, avatar_media_id, owner_id, created_at, history, join_policy)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          row.id,
          row.name,
          row.avatarMediaId,
          row.ownerId,
          row.createdAt,
          row.history ?? "since_join",
          row.joinPolicy ?? "open",
        ],
      );
      const others = [...new Set(memberIds)].filter((id) => id !== row.ownerId);
      await tx.query(
        `INSERT INTO group_members (group_id, user_id, role, joined_at)
         SELECT $1, x, CASE WHEN x = $2 THEN 'owner' ELSE 'member' END, $3
         FROM unnest($4::bigint[]) AS t(x)`,
        [row.id, row.ownerId, row.createdAt, [row.ownerId, ...others]],
      );
      const groups = await tx.query<GroupDbRow>(
        `SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = $1`,
        [row.id],
      );
      return toGroup(groups[0]);
    });
  }

  async get(id: string): Promise<GroupRow | null> {
    const rows = await this.#db.query<GroupDbRow>(
      `SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = $1`,
      [id],
    );
    return rows[0] ? toGroup(rows[0]) : null;
  }

  async role(groupId: string, userId: string): Promise<GroupRole | null> {
    const rows = await this.#db.query<{ role: GroupRole }>(
      "SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2",
      [groupId, userId],
    );
    return rows[0]?.role ?? null;
  }

  async historyFloor(groupId: string, userId: string): Promise<number | null> {
    const rows = await this.#db.query<{ floor: number }>(
      `SELECT CASE WHEN g.history = 'all' THEN 0 ELSE gm.join_seq END AS floor
       FROM group_members gm JOIN groups g ON g.id = gm.group_id
       WHERE gm.group_id = $1 AND gm.user_id = $2`,
      [groupId, userId],
    );
    return rows[0] ? Number(rows[0].floor) : null;
  }

  async floors(groupId: string): Promise<Map<string, number>> {
    const rows = await this.#db.query<{ user_id: string; floor: number }>(
      `SELECT gm.user_id, CASE WHEN g.history = 'all' THEN 0 ELSE gm.join_seq END AS floor
       FROM group_members gm JOIN groups g ON g.id = gm.group_id
       WHERE gm.group_id = $1`,
      [groupId],
    );
    return new Map(rows.map((row) => [String(row.user_id), Number(row.floor)]));
  }

  memberPairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>> {
    return pairsIn(this.#db, "group_members", "group_id", "user_id", pairs);
  }

  async senders(pairs: readonly (readonly [string, string])[]): Promise<Map<string, SenderState>> {
    const found = new Map<string, SenderState>();
    if (pairs.length === 0) return found;
    const rows = await this.#db.query<
      MemberDbRow & { group_id: string; group_muted: boolean | number }
    >(
      // Both columns by ANY, as pairsIn(); the cross pairs this also finds are dropped here.
      `SELECT gm.group_id, gm.user_id, gm.role, gm.muted_until, g.muted AS group_muted
       FROM group_members gm JOIN groups g ON g.id = gm.group_id
       WHERE gm.group_id = ANY($1::bigint[]) AND gm.user_id = ANY($2::bigint[])`,
      [[...new Set(pairs.map((p) => p[0]))], [...new Set(pairs.map((p) => p[1]))]],
    );
    const asked = new Set(pairs.map((p) => `${p[0]}:${p[1]}`));
    for (const row of rows) {
      const key = `${row.group_id}:${row.user_id}`;
      if (!asked.has(key)) continue;
      const { role, mutedUntil } = toMember(row);
      found.set(key, { role, mutedUntil, groupMuted: Boolean(row.group_muted) });
    }
    return found;
  }

  async members(groupId: string): Promise<MemberRow[]> {
    const rows = await this.#db.query<MemberDbRow>(
      `SELECT user_id, role, muted_until FROM group_members WHERE group_id = $1
       ORDER BY joined_at, user_id`,
      [groupId],
    );
    return rows.map(toMember);
  }

  async member(groupId: string, userId: string): Promise<MemberRow | null> {
    const rows = await this.#db.query<MemberDbRow>(
      "SELECT user_id, role, muted_until FROM group_members WHERE group_id = $1 AND user_id = $2",
      [groupId, userId],
    );
    return rows[0] ? toMember(rows[0]) : null;
  }

  async memberIds(groupId: string): Promise<string[]> {
    return (await this.members(groupId)).map((m) => m.userId);
  }

  addMembers(
    groupId: string,
    userIds: readonly string[],
    maxSize: number,
    joinedAt: number,
  ): Promise<string[]> {
    return addMembers(this.#db, groupId, userIds, maxSize, joinedAt);
  }

  removeMember(groupId: string, userId: string): Promise<Removal> {
    return removeMember(this.#db, groupId, userId);
  }

  async setRole(groupId: string, userId: string, role: "admin" | "member"): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE group_members SET role = $3 WHERE group_id = $1 AND user_id = $2 AND role <> 'owner'
       RETURNING user_id`,
      [groupId, userId, role],
    );
    return rows.length > 0;
  }

  async setMutedUntil(groupId: string, userId: string, until: number | null): Promise<boolean> {
    const rows = await this.#db.query(
      "UPDATE group_members SET muted_until = $3 WHERE group_id = $1 AND user_id = $2 RETURNING user_id",
      [groupId, userId, until],
    );
    return rows.length > 0;
  }

  transfer(groupId: string, fromId: string, toId: string): Promise<boolean> {
    return transfer(this.#db, groupId, fromId, toId);
  }

  disband(groupId: string): Promise<string[]> {
    return disband(this.#db, groupId);
  }

  async update(id: string, patch: GroupPatch): Promise<GroupRow> {
    await this.#db.query(
      `UPDATE groups SET name = COALESCE($2, name), history = COALESCE($5, history),
         avatar_media_id = CASE WHEN $3 THEN $4 ELSE avatar_media_id END,
         notice = COALESCE($6, notice), join_policy = COALESCE($7, join_policy),
         muted = COALESCE($8::boolean, muted)
       WHERE id = $1`,
      [
        id,
        patch.name ?? null,
        patch.avatarMediaId !== undefined,
        patch.avatarMediaId ?? null,
        patch.history ?? null,
        patch.notice ?? null,
        patch.joinPolicy ?? null,
        patch.muted ?? null,
      ],
    );
    const group = await this.get(id);
    if (!group) throw new AppError("not_found", `Cannot update group "${id}": no such group`);
    return group;
  }

  addRequest(row: JoinRequestRow): Promise<JoinRequestRow> {
    return addRequest(this.#db, row);
  }

  requests(groupId: string): Promise<JoinRequestRow[]> {
    return requests(this.#db, groupId);
  }

  decideRequest(
    groupId: string,
    requestId: string,
    accept: boolean,
    maxSize: number,
    at: number,
  ): Promise<JoinRequestRow | null> {
    return decideRequest(this.#db, groupId, requestId, accept, maxSize, at);
  }

  async of(userId: string): Promise<GroupRow[]> {
    const rows = await this.#db.query<GroupDbRow>(
      `SELECT ${GROUP_COLUMNS} FROM groups g JOIN group_members me ON me.group_id = g.id AND me.user_id = $1
       ORDER BY me.joined_at, g.id`,
      [userId],
    );
    return rows.map(toGroup);
  }

  async idsOf(userId: string): Promise<string[]> {
    const rows = await this.#db.query<{ group_id: string }>(
      "SELECT group_id FROM group_members WHERE user_id = $1",
      [userId],
    );
    return rows.map((r) => String(r.group_id));
  }

  async search(query: string, limit: number): Promise<GroupRow[]> {
    const q = query.toLowerCase();
    const rows = await this.#db.query<GroupDbRow>(
      `SELECT ${GROUP_COLUMNS} FROM groups g WHERE lower(g.name) LIKE $2 ESCAPE '\\'
       ORDER BY (lower(g.name) = $1) DESC, lower(g.name), g.id LIMIT $3`,
      [q, `%${likeEscape(q)}%`, limit],
    );
    return rows.map(toGroup);
  }
}
