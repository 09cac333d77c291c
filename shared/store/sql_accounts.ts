/** The account port on SQL: users, credentials, sessions and user search. */
import { AppError } from "../errors.ts";
import type { SqlDriver } from "./driver.ts";
import type {
  AccountStore,
  LiveSession,
  NewSession,
  NewUser,
  SessionRow,
  UserCredentials,
  UserRow,
} from "./mod.ts";
import * as sessions from "./sql_sessions.ts";
import { deleteAccount } from "./sql_sessions.ts";
import { likeEscape, toUser, USER_COLUMNS, type UserDbRow } from "./sql_rows.ts";

/** Users and sessions over an SQL driver whose failures are already AppErrors. */
export class SqlAccountStore implements AccountStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async createUser(row: NewUser): Promise<UserRow> {
    try {
      await this.#db.query(
        `INSERT INTO users (id, username, username_lower, skeleton, password_hash, nickname, created_at)
         VALUES ($1, $2, $3, username_skeleton($2), $4, $5, $6)`,
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
      if (error instanceof AppError && error.code === "conflict") {
        throw new AppError(
          "conflict",
          `Cannot register "${row.username}": the username is taken, or looks like one that is`,
        );
      }
      throw error;
    }
    return { id: row.id, username: row.username, nickname: row.nickname, avatarMediaId: null };
  }

  async credentials(username: string): Promise<UserCredentials | null> {
    const rows = await this.#db.query<
      UserDbRow & { password_hash: string; disabled_at: string | number | null }
    >(
      `SELECT ${USER_COLUMNS}, u.password_hash, u.disabled_at FROM users u
       WHERE u.username_lower = $1 AND u.deleted_at IS NULL`,
      [username.toLowerCase()],
    );
    const row = rows[0];
    return row
      ? { user: toUser(row), passwordHash: row.password_hash, disabled: row.disabled_at !== null }
      : null;
  }

  async users(ids: readonly string[]): Promise<UserRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<UserDbRow>(
      `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ANY($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [String(r.id), toUser(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async disabledUsers(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db.query<{ id: string | number }>(
      "SELECT id FROM users WHERE id = ANY($1::bigint[]) AND disabled_at IS NOT NULL",
      [ids],
    );
    return new Set(rows.map((r) => String(r.id)));
  }

  async updateUser(
    id: string,
    patch: { nickname?: string; avatarMediaId?: string | null },
  ): Promise<UserRow> {
    const rows = await this.#db.query<UserDbRow>(
      `UPDATE users SET nickname = COALESCE($2, nickname),
         avatar_media_id = CASE WHEN $3 THEN $4 ELSE avatar_media_id END
       WHERE id = $1 RETURNING id, username, nickname, avatar_media_id`,
      [id, patch.nickname ?? null, patch.avatarMediaId !== undefined, patch.avatarMediaId ?? null],
    );
    if (!rows[0]) throw new AppError("not_found", `Cannot update user "${id}": no such user`);
    return toUser(rows[0]);
  }

  async search(query: string, limit: number): Promise<UserRow[]> {
    const q = query.toLowerCase();
    const rows = await this.#db.query<UserDbRow>(
      `SELECT ${USER_COLUMNS} FROM users u
       WHERE (u.username_lower LIKE $2 ESCAPE '\\' OR lower(u.nickname) LIKE $2 ESCAPE '\\')
         AND u.deleted_at IS NULL
       ORDER BY (u.username_lower = $1) DESC, (u.username_lower LIKE $3 ESCAPE '\\') DESC, u.username_lower
       LIMIT $4`,
      [q, `%${likeEscape(q)}%`, `${likeEscape(q)}%`, limit],
    );
    return rows.map(toUser);
  }

  createSession(row: NewSession): Promise<boolean> {
    return sessions.create(this.#db, row);
  }

  session(tokenHash: string, now: number): Promise<LiveSession | null> {
    return sessions.live(this.#db, tokenHash, now);
  }

  touchSession(id: string, at: number, minGapMs: number): Promise<void> {
    return sessions.touch(this.#db, id, at, minGapMs);
  }

  sessions(userId: string, now: number): Promise<SessionRow[]> {
    return sessions.of(this.#db, userId, now);
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.#db.query("UPDATE sessions SET revoked = true WHERE token_hash = $1", [tokenHash]);
  }

  endSession(userId: string, sessionId: string, now: number): Promise<string | null> {
    return sessions.end(this.#db, userId, sessionId, now);
  }

  async passwordHash(userId: string): Promise<string | null> {
    const rows = await this.#db.query<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = $1 AND deleted_at IS NULL",
      [userId],
    );
    return rows[0]?.password_hash ?? null;
  }

  setPassword(userId: string, passwordHash: string, keepTokenHash: string): Promise<string[]> {
    return this.#db.transaction(async (tx) => {
      await tx.query("UPDATE users SET password_hash = $2 WHERE id = $1", [userId, passwordHash]);
      const rows = await tx.query<{ token_hash: string }>(
        `UPDATE sessions SET revoked = true
         WHERE user_id = $1 AND token_hash <> $2 AND NOT revoked RETURNING token_hash`,
        [userId, keepTokenHash],
      );
      return rows.map((r) => r.token_hash);
    });
  }

  deleteUser(userId: string, at: number): Promise<string[]> {
    return deleteAccount(this.#db, userId, at);
  }

  async releaseUsername(username: string, deletedBefore: number): Promise<boolean> {
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE users SET username_lower = '#' || CAST(id AS text), skeleton = NULL
       WHERE deleted_at IS NOT NULL AND deleted_at <= $3
         AND (username_lower = $1 OR skeleton = username_skeleton($2))
       RETURNING id`,
      [username.toLowerCase(), username, deletedBefore],
    );
    return rows.length > 0;
  }

  async recordLastSeen(userId: string, at: number): Promise<void> {
    await this.#db.query(
      `UPDATE users SET last_seen_at = $2
       WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)`,
      [userId, at],
    );
  }

  async lastSeen(ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.query<{ id: string; at: string }>(
      `SELECT id, COALESCE(last_seen_at, created_at) AS at FROM users
       WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL`,
      [ids],
    );
    return new Map(rows.map((r) => [String(r.id), Number(r.at)]));
  }
}
