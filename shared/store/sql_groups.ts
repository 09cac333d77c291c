/** The group port on SQL: groups, members and roles, and group search. */
import { AppError } from "../errors.ts";
import type { SqlDriver } from "./driver.ts";
import type { GroupPatch, GroupRole, GroupRow, GroupStore, NewGroup } from "./mod.ts";
import { GROUP_COLUMNS, type GroupDbRow, likeEscape, pairsIn, toGroup } from "./sql_rows.ts";

/** Groups and members over an SQL driver whose failures are already AppErrors. */
export class SqlGroupStore implements GroupStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  create(row: NewGroup, memberIds: readonly string[]): Promise<GroupRow> {
    return this.#db.transaction(async (tx) => {
      await tx.query(
        "INSERT INTO groups (id, name, avatar_media_id, owner_id, created_at, history) VALUES ($1, $2, $3, $4, $5, $6)",
        [
          row.id,
          row.name,
          row.avatarMediaId,
          row.ownerId,
          row.createdAt,
          row.history ?? "since_join",
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

  async members(groupId: string): Promise<{ userId: string; role: GroupRole }[]> {
    const rows = await this.#db.query<{ user_id: string; role: GroupRole }>(
      "SELECT user_id, role FROM group_members WHERE group_id = $1 ORDER BY joined_at, user_id",
      [groupId],
    );
    return rows.map((r) => ({ userId: String(r.user_id), role: r.role }));
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
    return this.#db.transaction(async (tx) => {
      // Lock the group row so concurrent joins cannot overshoot the size limit.
      await tx.query("SELECT id FROM groups WHERE id = $1 FOR UPDATE", [groupId]);
      const added = await tx.query<{ user_id: string }>(
        `INSERT INTO group_members (group_id, user_id, role, joined_at, join_seq)
         SELECT $1, x, 'member', $2,
           COALESCE((SELECT c.last_seq FROM conversations c WHERE c.id = 'g:' || $1::bigint), 0)
         FROM unnest($3::bigint[]) AS t(x)
         WHERE true -- (SQLite parses ON CONFLICT after a SELECT only behind a WHERE)
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [groupId, joinedAt, [...new Set(userIds)]],
      );
      const [{ n }] = await tx.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM group_members WHERE group_id = $1",
        [groupId],
      );
      if (Number(n) > maxSize) {
        throw new AppError(
          "forbidden",
          `Cannot add members to group "${groupId}": the group is full (${maxSize})`,
        );
      }
      return added.map((r) => String(r.user_id));
    });
  }

  removeMember(groupId: string, userId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const removed = await tx.query<{ role: string }>(
        "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING role",
        [groupId, userId],
      );
      if (removed.length === 0) return false;
      if (removed[0].role === "owner") {
        const next = await tx.query<{ user_id: string }>(
          "SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY joined_at, user_id LIMIT 1",
          [groupId],
        );
        const heir = next[0] ? String(next[0].user_id) : null;
        await tx.query("UPDATE groups SET owner_id = $2 WHERE id = $1", [groupId, heir]);
        if (heir) {
          await tx.query(
            "UPDATE group_members SET role = 'owner' WHERE group_id = $1 AND user_id = $2",
            [groupId, heir],
          );
        }
      }
      return true;
    });
  }

  async update(id: string, patch: GroupPatch): Promise<GroupRow> {
    await this.#db.query(
      `UPDATE groups SET name = COALESCE($2, name), history = COALESCE($5, history),
         avatar_media_id = CASE WHEN $3 THEN $4 ELSE avatar_media_id END WHERE id = $1`,
      [
        id,
        patch.name ?? null,
        patch.avatarMediaId !== undefined,
        patch.avatarMediaId ?? null,
        patch.history ?? null,
      ],
    );
    const group = await this.get(id);
    if (!group) throw new AppError("not_found", `Cannot update group "${id}": no such group`);
    return group;
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
