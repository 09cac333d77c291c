/** The store on any SQL engine behind a SqlDriver (PGlite embedded, PostgreSQL in a cluster). */
import { AppError } from "../errors.ts";
import type { AcceptedMessage, Group, Message, SendResult, User } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import { MIGRATIONS } from "./migrations.ts";
import type {
  ConversationRow,
  FriendRequestRow,
  HistoryQuery,
  MediaRow,
  Store,
  UserCredentials,
} from "./mod.ts";
import {
  GROUP_COLUMNS,
  type GroupRow,
  likeEscape,
  toGroup,
  toUser,
  USER_COLUMNS,
  type UserRow,
} from "./sql_rows.ts";
import { conversations, history, messagesByClientIds, saveMessages } from "./sql_messages.ts";

/** Maps a driver failure to an AppError: unique violations are conflicts, the rest unavailable. */
export function storeError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string } | null)?.code;
  if (code === "23505") return new AppError("conflict", "Already exists", { cause: error });
  return new AppError("unavailable", "The database is unavailable", { cause: error });
}

/** Runs the migrations not yet applied in one transaction, under a lock so instances starting together take turns. */
export async function migrate(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(7245001)");
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    );
    const rows = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => Number(r.version)));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        [
          migration.version,
          migration.name,
          Date.now(),
        ],
      );
    }
  });
}

type RequestDbRow = {
  id: string;
  from_id: string;
  to_id: string;
  note: string;
  created_at: string;
};

function toRequest(row: RequestDbRow): FriendRequestRow {
  return {
    id: String(row.id),
    fromId: String(row.from_id),
    toId: String(row.to_id),
    note: row.note,
    createdAt: Number(row.created_at),
  };
}

type MediaDbRow = {
  id: string;
  sha256: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  owner_id: string;
  created_at: string;
};

function toMedia(row: MediaDbRow): MediaRow {
  return {
    id: row.id,
    url: `/api/media/${row.id}`,
    sha256: row.sha256,
    contentType: row.content_type,
    size: Number(row.size),
    width: row.width === null ? null : Number(row.width),
    height: row.height === null ? null : Number(row.height),
    ownerId: String(row.owner_id),
    createdAt: Number(row.created_at),
  };
}

/** The store over an SQL driver; call `migrate()` on the driver first. */
export class SqlStore implements Store {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async #q<T>(
    text: string,
    params: readonly unknown[] = [],
    db: SqlDriver = this.#db,
  ): Promise<T[]> {
    try {
      return await db.query<T>(text, params);
    } catch (error) {
      throw storeError(error);
    }
  }

  async #tx<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    try {
      return await this.#db.transaction(fn);
    } catch (error) {
      throw storeError(error);
    }
  }

  async ping(): Promise<void> {
    await this.#q("SELECT 1");
  }

  async createUser(
    row: {
      id: string;
      username: string;
      passwordHash: string;
      nickname: string;
      createdAt: number;
    },
  ): Promise<User> {
    try {
      await this.#db.query(
        "INSERT INTO users (id, username, username_lower, password_hash, nickname, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [
          row.id,
          row.username,
          row.username.toLowerCase(),
          row.passwordHash,
          row.nickname,
          row.createdAt,
        ],
      );
    } catch (error) {
      const appError = storeError(error);
      if (appError.code === "conflict") {
        throw new AppError("conflict", `Cannot register "${row.username}": the username is taken`);
      }
      throw appError;
    }
    return { id: row.id, username: row.username, nickname: row.nickname, avatar: null };
  }

  async userCredentials(username: string): Promise<UserCredentials | null> {
    const rows = await this.#q<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE u.username_lower = $1`,
      [username.toLowerCase()],
    );
    return rows[0] ? { user: toUser(rows[0]), passwordHash: rows[0].password_hash } : null;
  }

  async users(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = await this.#q<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ANY($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [String(r.id), toUser(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async updateUser(
    id: string,
    patch: { nickname?: string; avatarMediaId?: string | null },
  ): Promise<User> {
    const rows = await this.#q<UserRow>(
      `UPDATE users u SET nickname = COALESCE($2, u.nickname),
         avatar_media_id = CASE WHEN $3 THEN $4 ELSE u.avatar_media_id END
       WHERE u.id = $1 RETURNING ${USER_COLUMNS}`,
      [id, patch.nickname ?? null, patch.avatarMediaId !== undefined, patch.avatarMediaId ?? null],
    );
    if (!rows[0]) throw new AppError("not_found", `Cannot update user "${id}": no such user`);
    return toUser(rows[0]);
  }

  async searchUsers(query: string, limit: number): Promise<User[]> {
    const q = query.toLowerCase();
    const rows = await this.#q<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u
       WHERE u.username_lower LIKE $2 OR lower(u.nickname) LIKE $2
       ORDER BY (u.username_lower = $1) DESC, (u.username_lower LIKE $3) DESC, u.username_lower
       LIMIT $4`,
      [q, `%${likeEscape(q)}%`, `${likeEscape(q)}%`, limit],
    );
    return rows.map(toUser);
  }

  async createSession(tokenHash: string, userId: string, expiresAt: number): Promise<void> {
    await this.#q("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)", [
      tokenHash,
      userId,
      expiresAt,
    ]);
  }

  async sessionUser(tokenHash: string, now: number): Promise<User | null> {
    const rows = await this.#q<UserRow>(
      `SELECT ${USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND NOT s.revoked AND s.expires_at > $2`,
      [tokenHash, now],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.#q("UPDATE sessions SET revoked = true WHERE token_hash = $1", [tokenHash]);
  }

  async createFriendRequest(row: FriendRequestRow): Promise<void> {
    await this.#q(
      "INSERT INTO friend_requests (id, from_id, to_id, note, created_at) VALUES ($1, $2, $3, $4, $5)",
      [row.id, row.fromId, row.toId, row.note, row.createdAt],
    );
  }

  async friendRequest(id: string): Promise<FriendRequestRow | null> {
    const rows = await this.#q<RequestDbRow>("SELECT * FROM friend_requests WHERE id = $1", [id]);
    return rows[0] ? toRequest(rows[0]) : null;
  }

  async friendRequestBetween(fromId: string, toId: string): Promise<FriendRequestRow | null> {
    const rows = await this.#q<RequestDbRow>(
      "SELECT * FROM friend_requests WHERE from_id = $1 AND to_id = $2",
      [fromId, toId],
    );
    return rows[0] ? toRequest(rows[0]) : null;
  }

  async friendRequests(userId: string) {
    const rows = await this.#q<RequestDbRow>(
      "SELECT * FROM friend_requests WHERE from_id = $1 OR to_id = $1 ORDER BY created_at DESC, id DESC",
      [userId],
    );
    const all = rows.map(toRequest);
    return {
      incoming: all.filter((r) => r.toId === userId),
      outgoing: all.filter((r) => r.fromId === userId),
    };
  }

  async deleteFriendRequest(id: string): Promise<void> {
    await this.#q("DELETE FROM friend_requests WHERE id = $1", [id]);
  }

  addFriendship(a: string, b: string, createdAt: number): Promise<boolean> {
    return this.#tx(async (tx) => {
      await tx.query(
        "DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
        [a, b],
      );
      const rows = await tx.query(
        `INSERT INTO friendships (user_id, friend_id, created_at) VALUES ($1, $2, $3), ($2, $1, $3)
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [a, b, createdAt],
      );
      return rows.length > 0;
    });
  }

  async removeFriendship(a: string, b: string): Promise<boolean> {
    const rows = await this.#q(
      `DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)
       RETURNING user_id`,
      [a, b],
    );
    return rows.length > 0;
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    const rows = await this.#q("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", [
      a,
      b,
    ]);
    return rows.length > 0;
  }

  friendPairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>> {
    return this.#pairs("friendships", "user_id", "friend_id", pairs);
  }

  async friendIds(userId: string): Promise<string[]> {
    const rows = await this.#q<{ friend_id: string }>(
      "SELECT friend_id FROM friendships WHERE user_id = $1 ORDER BY created_at, friend_id",
      [userId],
    );
    return rows.map((r) => String(r.friend_id));
  }

  createGroup(
    row: {
      id: string;
      name: string;
      avatarMediaId: string | null;
      ownerId: string;
      createdAt: number;
    },
    memberIds: readonly string[],
  ): Promise<Group> {
    return this.#tx(async (tx) => {
      await tx.query(
        "INSERT INTO groups (id, name, avatar_media_id, owner_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        [row.id, row.name, row.avatarMediaId, row.ownerId, row.createdAt],
      );
      const others = [...new Set(memberIds)].filter((id) => id !== row.ownerId);
      await tx.query(
        `INSERT INTO group_members (group_id, user_id, role, joined_at)
         SELECT $1, x, CASE WHEN x = $2 THEN 'owner' ELSE 'member' END, $3
         FROM unnest($4::bigint[]) WITH ORDINALITY AS t(x, n) ORDER BY n`,
        [row.id, row.ownerId, row.createdAt, [row.ownerId, ...others]],
      );
      const groups = await tx.query<GroupRow>(
        `SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = $1`,
        [row.id],
      );
      return toGroup(groups[0]);
    });
  }

  async group(id: string): Promise<Group | null> {
    const rows = await this.#q<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = $1`, [
      id,
    ]);
    return rows[0] ? toGroup(rows[0]) : null;
  }

  async groupRole(groupId: string, userId: string): Promise<"owner" | "member" | null> {
    const rows = await this.#q<{ role: "owner" | "member" }>(
      "SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2",
      [groupId, userId],
    );
    return rows[0]?.role ?? null;
  }

  memberPairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>> {
    return this.#pairs("group_members", "group_id", "user_id", pairs);
  }

  /** Which of the (left, right) pairs are rows of a two-key table, as `left:right`. */
  async #pairs(
    table: "friendships" | "group_members",
    left: string,
    right: string,
    pairs: readonly (readonly [string, string])[],
  ): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const rows = await this.#q<{ l: string; r: string }>(
      // Both columns by ANY (a plan as cheap as one lookup); the cross pairs this also finds are dropped here.
      `SELECT ${left} AS l, ${right} AS r FROM ${table}
       WHERE ${left} = ANY($1::bigint[]) AND ${right} = ANY($2::bigint[])`,
      [[...new Set(pairs.map((p) => p[0]))], [...new Set(pairs.map((p) => p[1]))]],
    );
    const asked = new Set(pairs.map((p) => `${p[0]}:${p[1]}`));
    return new Set(rows.map((row) => `${row.l}:${row.r}`).filter((key) => asked.has(key)));
  }

  async groupMembers(groupId: string): Promise<{ userId: string; role: "owner" | "member" }[]> {
    const rows = await this.#q<{ user_id: string; role: "owner" | "member" }>(
      "SELECT user_id, role FROM group_members WHERE group_id = $1 ORDER BY joined_at, user_id",
      [groupId],
    );
    return rows.map((r) => ({ userId: String(r.user_id), role: r.role }));
  }

  async groupMemberIds(groupId: string): Promise<string[]> {
    return (await this.groupMembers(groupId)).map((m) => m.userId);
  }

  addGroupMembers(
    groupId: string,
    userIds: readonly string[],
    maxSize: number,
    joinedAt: number,
  ): Promise<string[]> {
    return this.#tx(async (tx) => {
      // Lock the group row so concurrent joins cannot overshoot the size limit.
      await tx.query("SELECT id FROM groups WHERE id = $1 FOR UPDATE", [groupId]);
      const added = await tx.query<{ user_id: string }>(
        `INSERT INTO group_members (group_id, user_id, role, joined_at)
         SELECT $1, x, 'member', $2 FROM unnest($3::bigint[]) AS t(x)
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

  removeGroupMember(groupId: string, userId: string): Promise<boolean> {
    return this.#tx(async (tx) => {
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
            [
              groupId,
              heir,
            ],
          );
        }
      }
      return true;
    });
  }

  async updateGroup(
    id: string,
    patch: { name?: string; avatarMediaId?: string | null },
  ): Promise<Group> {
    await this.#q(
      `UPDATE groups SET name = COALESCE($2, name),
         avatar_media_id = CASE WHEN $3 THEN $4 ELSE avatar_media_id END WHERE id = $1`,
      [id, patch.name ?? null, patch.avatarMediaId !== undefined, patch.avatarMediaId ?? null],
    );
    const group = await this.group(id);
    if (!group) throw new AppError("not_found", `Cannot update group "${id}": no such group`);
    return group;
  }

  async groupsOf(userId: string): Promise<Group[]> {
    const rows = await this.#q<GroupRow>(
      `SELECT ${GROUP_COLUMNS} FROM groups g JOIN group_members me ON me.group_id = g.id AND me.user_id = $1
       ORDER BY me.joined_at, g.id`,
      [userId],
    );
    return rows.map(toGroup);
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    const rows = await this.#q<{ group_id: string }>(
      "SELECT group_id FROM group_members WHERE user_id = $1",
      [userId],
    );
    return rows.map((r) => String(r.group_id));
  }

  async searchGroups(query: string, limit: number): Promise<Group[]> {
    const q = query.toLowerCase();
    const rows = await this.#q<GroupRow>(
      `SELECT ${GROUP_COLUMNS} FROM groups g WHERE lower(g.name) LIKE $2
       ORDER BY (lower(g.name) = $1) DESC, lower(g.name), g.id LIMIT $3`,
      [q, `%${likeEscape(q)}%`, limit],
    );
    return rows.map(toGroup);
  }

  putMedia(row: MediaRow, bytes: Uint8Array): Promise<void> {
    return this.#tx(async (tx) => {
      await tx.query(
        "INSERT INTO media_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [
          row.sha256,
          bytes,
        ],
      );
      await tx.query(
        `INSERT INTO media (id, sha256, content_type, size, width, height, owner_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          row.id,
          row.sha256,
          row.contentType,
          row.size,
          row.width,
          row.height,
          row.ownerId,
          row.createdAt,
        ],
      );
    });
  }

  async mediaInfo(id: string): Promise<MediaRow | null> {
    const rows = await this.#q<MediaDbRow>("SELECT * FROM media WHERE id = $1", [id]);
    return rows[0] ? toMedia(rows[0]) : null;
  }

  async mediaBytes(id: string): Promise<{ info: MediaRow; bytes: Uint8Array } | null> {
    const rows = await this.#q<MediaDbRow & { bytes: Uint8Array }>(
      "SELECT m.*, b.bytes FROM media m JOIN media_blobs b ON b.sha256 = m.sha256 WHERE m.id = $1",
      [id],
    );
    return rows[0] ? { info: toMedia(rows[0]), bytes: new Uint8Array(rows[0].bytes) } : null;
  }

  async saveMessages(messages: readonly AcceptedMessage[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    try {
      return await saveMessages(this.#db, messages);
    } catch (error) {
      throw storeError(error);
    }
  }

  async messagesByClientIds(
    keys: readonly { senderId: string; clientMsgId: string }[],
    since: number,
  ): Promise<Map<string, SendResult>> {
    try {
      return await messagesByClientIds(this.#db, keys, since);
    } catch (error) {
      throw storeError(error);
    }
  }

  async newestMessageAt(): Promise<number | null> {
    // Ids are snowflakes, ordered by time: the primary key finds the newest.
    const rows = await this.#q<{ sent_at: string }>(
      "SELECT sent_at FROM messages ORDER BY id DESC LIMIT 1",
    );
    return rows[0] ? Number(rows[0].sent_at) : null;
  }

  async history(conversationId: string, query: HistoryQuery): Promise<Message[]> {
    try {
      return await history(this.#db, conversationId, query);
    } catch (error) {
      throw storeError(error);
    }
  }

  async conversations(userId: string): Promise<ConversationRow[]> {
    try {
      return await conversations(this.#db, userId);
    } catch (error) {
      throw storeError(error);
    }
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<void> {
    await this.#q(
      `INSERT INTO read_marks (user_id, conversation_id, read_seq)
       SELECT $1, c.id, LEAST($3, c.last_seq) FROM conversations c WHERE c.id = $2
       ON CONFLICT (user_id, conversation_id)
       DO UPDATE SET read_seq = GREATEST(read_marks.read_seq, EXCLUDED.read_seq)`,
      [userId, conversationId, seq],
    );
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
