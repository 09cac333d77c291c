/** The sessions half of the account port on SQL, and the deletion of an account. */
import type { SqlDriver } from "./driver.ts";
import type { LiveSession, NewSession, SessionRow } from "./mod.ts";
import { toUser, USER_COLUMNS, type UserDbRow } from "./sql_rows.ts";

/** A sessions row as listed. */
interface SessionDbRow {
  id: string;
  token_hash: string;
  created_at: string;
  last_seen_at: string;
  user_agent: string;
}

const LIVE = "NOT s.revoked AND s.expires_at > $2";

/**
 * Stores a new session, last seen when it was created, unless its user is
 * disabled or deleted by now; whether it did. A sign-in that passed its checks
 * just before an operator disabled the account thus leaves no session behind
 * that `enable` would bring back. On PostgreSQL the user's row is read
 * `FOR SHARE`: a disable in progress (its UPDATE holds the row) is waited for
 * and seen, and a disable after it finds this session to delete. SQLite writes
 * one statement at a time anyway.
 */
export async function create(db: SqlDriver, row: NewSession): Promise<boolean> {
  const lock = db.dialect === "postgres" ? "FOR SHARE" : "";
  const rows = await db.query<{ id: string }>(
    `INSERT INTO sessions (token_hash, user_id, expires_at, id, created_at, last_seen_at, user_agent)
     SELECT $1::text, u.id, $3::bigint, $4::bigint, $5::bigint, $5::bigint, $6::text FROM users u
     WHERE u.id = $2 AND u.disabled_at IS NULL AND u.deleted_at IS NULL ${lock}
     RETURNING id`,
    [row.tokenHash, row.userId, row.expiresAt, row.id, row.createdAt, row.userAgent],
  );
  return rows.length > 0;
}

/** The live session of a token hash, with its user (who is neither deleted nor disabled). */
export async function live(
  db: SqlDriver,
  tokenHash: string,
  now: number,
): Promise<LiveSession | null> {
  const rows = await db.query<UserDbRow & { session_id: string; session_seen: string }>(
    `SELECT ${USER_COLUMNS}, s.id AS session_id, s.last_seen_at AS session_seen
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND ${LIVE} AND u.deleted_at IS NULL AND u.disabled_at IS NULL`,
    [tokenHash, now],
  );
  const row = rows[0];
  if (!row) return null;
  return { id: String(row.session_id), lastSeenAt: Number(row.session_seen), user: toUser(row) };
}

/** Moves a session's last use to `at` unless it is within `minGapMs` already (no write then). */
export async function touch(db: SqlDriver, id: string, at: number, minGapMs: number) {
  await db.query(
    "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at <= $3",
    [id, at, at - minGapMs],
  );
}

/** A user's live sessions, oldest first. */
export async function of(db: SqlDriver, userId: string, now: number): Promise<SessionRow[]> {
  const rows = await db.query<SessionDbRow>(
    `SELECT s.id, s.token_hash, s.created_at, s.last_seen_at, s.user_agent FROM sessions s
     WHERE s.user_id = $1 AND ${LIVE} ORDER BY s.created_at, s.id`,
    [userId, now],
  );
  return rows.map((r) => ({
    id: String(r.id),
    tokenHash: r.token_hash,
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    userAgent: r.user_agent,
  }));
}

/** Revokes one live session of a user; its token hash, or null when there is none. */
export async function end(
  db: SqlDriver,
  userId: string,
  sessionId: string,
  now: number,
): Promise<string | null> {
  const rows = await db.query<{ token_hash: string }>(
    `UPDATE sessions SET revoked = true
     WHERE user_id = $1 AND id = $3 AND NOT revoked AND expires_at > $2 RETURNING token_hash`,
    [userId, now, sessionId],
  );
  return rows[0]?.token_hash ?? null;
}

/** Deletes an account as AccountStore.deleteUser() says; the token hashes of its unrevoked sessions. */
export function deleteAccount(db: SqlDriver, userId: string, at: number): Promise<string[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ token_hash: string; revoked: boolean | number }>(
      "DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash, revoked",
      [userId],
    );
    await tx.query("DELETE FROM friend_requests WHERE from_id = $1 OR to_id = $1", [userId]);
    await tx.query("DELETE FROM read_marks WHERE user_id = $1", [userId]);
    await tx.query("DELETE FROM conversation_settings WHERE user_id = $1", [userId]);
    await tx.query("DELETE FROM group_join_requests WHERE user_id = $1", [userId]);
    await tx.query("DELETE FROM blocks WHERE user_id = $1 OR blocked_id = $1", [userId]);
    await tx.query(
      `UPDATE users SET username = '', nickname = 'Deleted account', avatar_media_id = NULL,
         password_hash = '', last_seen_at = NULL, deleted_at = $2
       WHERE id = $1 AND deleted_at IS NULL`,
      [userId, at],
    );
    return rows.filter((r) => !r.revoked).map((r) => r.token_hash);
  });
}
