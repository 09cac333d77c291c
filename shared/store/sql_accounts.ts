/** The account port on SQL: users, credentials, sessions and user search. */
import { AppError } from "../errors.ts";
import type { SqlDriver } from "./driver.ts";
import type { AccountStore, NewUser, UserCredentials, UserRow } from "./mod.ts";
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
    const rows = await this.#db.query<UserDbRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE u.username_lower = $1`,
      [username.toLowerCase()],
    );
    return rows[0] ? { user: toUser(rows[0]), passwordHash: rows[0].password_hash } : null;
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
       WHERE u.username_lower LIKE $2 ESCAPE '\\' OR lower(u.nickname) LIKE $2 ESCAPE '\\'
       ORDER BY (u.username_lower = $1) DESC, (u.username_lower LIKE $3 ESCAPE '\\') DESC, u.username_lower
       LIMIT $4`,
      [q, `%${likeEscape(q)}%`, `${likeEscape(q)}%`, limit],
    );
    return rows.map(toUser);
  }

  async createSession(tokenHash: string, userId: string, expiresAt: number): Promise<void> {
    await this.#db.query(
      "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
      [tokenHash, userId, expiresAt],
    );
  }

  async sessionUser(tokenHash: string, now: number): Promise<UserRow | null> {
    const rows = await this.#db.query<UserDbRow>(
      `SELECT ${USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND NOT s.revoked AND s.expires_at > $2`,
      [tokenHash, now],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.#db.query("UPDATE sessions SET revoked = true WHERE token_hash = $1", [tokenHash]);
  }
}
