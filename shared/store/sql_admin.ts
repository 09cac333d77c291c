/** The admin tool's port on SQL: the audit log and its queue, disabled accounts, counts. */
import type { SqlDriver } from "./driver.ts";
import type {
  AdminActionRow,
  AdminCounts,
  AdminStore,
  AdminUserRow,
  NewAdminAction,
} from "./mod.ts";
import { likeEscape, toUser, USER_COLUMNS, type UserDbRow } from "./sql_rows.ts";

/** An admin_actions row as the engines give it. */
interface ActionDbRow {
  id: string | number;
  at: string | number;
  actor: string;
  action: NewAdminAction["action"];
  target: string;
  args: string;
  status: AdminActionRow["status"];
  result: string | null;
  applied_at: string | number | null;
  applied_by: string | null;
}

const ACTION_COLUMNS =
  "id, at, actor, action, target, args, status, result, applied_at, applied_by";

function toAction(row: ActionDbRow): AdminActionRow {
  return {
    id: String(row.id),
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    args: JSON.parse(row.args),
    status: row.status,
    result: row.result === null ? null : JSON.parse(row.result),
    appliedAt: row.applied_at === null ? null : Number(row.applied_at),
    appliedBy: row.applied_by,
  };
}

/** A positive 64-bit integer's text, as ids are; anything else names no id. */
function asId(text: string): string | null {
  return /^[1-9]\d{0,18}$/.test(text) && BigInt(text) < 2n ** 63n ? text : null;
}

/** The admin port over an SQL driver whose failures are already AppErrors. */
export class SqlAdminStore implements AdminStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async record(action: NewAdminAction): Promise<AdminActionRow> {
    const [row] = await this.#db.query<ActionDbRow>(
      `INSERT INTO admin_actions (at, actor, action, target, args)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${ACTION_COLUMNS}`,
      [action.at, action.actor, action.action, action.target, JSON.stringify(action.args)],
    );
    return toAction(row);
  }

  async claim(by: string, at: number, staleBefore: number): Promise<AdminActionRow | null> {
    // An action waits while an older one on the same target is unfinished (pending,
    // claimed or not): two instances never apply a disable and the enable after it
    // out of order. The oldest claimable action goes first, so a stale claim is
    // taken over before anything newer on its target.
    // PostgreSQL: a claim in progress elsewhere holds its row locked, and this one skips
    // it (and, as it is still pending, every newer action on its target).
    // SQLite has one writer at a time: the statement alone is enough.
    const lock = this.#db.dialect === "postgres" ? "FOR UPDATE OF a SKIP LOCKED" : "";
    const rows = await this.#db.query<ActionDbRow>(
      `UPDATE admin_actions SET applied_by = $1, applied_at = $2
       WHERE id = (SELECT a.id FROM admin_actions a
                   WHERE a.status = 'pending' AND (a.applied_at IS NULL OR a.applied_at < $3)
                     AND NOT EXISTS (SELECT 1 FROM admin_actions o
                                     WHERE o.status = 'pending' AND o.target = a.target
                                       AND o.id < a.id)
                   ORDER BY a.id LIMIT 1 ${lock})
       RETURNING ${ACTION_COLUMNS}`,
      [by, at, staleBefore],
    );
    return rows[0] ? toAction(rows[0]) : null;
  }

  async finish(
    id: string,
    { status, result, at, by }: {
      status: "done" | "failed";
      result: unknown;
      at: number;
      by: string;
    },
  ): Promise<boolean> {
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE admin_actions SET status = $2, result = $3, applied_at = $4, applied_by = $5
       WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, status, JSON.stringify(result ?? null), at, by],
    );
    return rows.length > 0;
  }

  async action(id: string): Promise<AdminActionRow | null> {
    if (!asId(id)) return null;
    const rows = await this.#db.query<ActionDbRow>(
      `SELECT ${ACTION_COLUMNS} FROM admin_actions WHERE id = $1`,
      [id],
    );
    return rows[0] ? toAction(rows[0]) : null;
  }

  async actions(limit: number): Promise<AdminActionRow[]> {
    const rows = await this.#db.query<ActionDbRow>(
      `SELECT ${ACTION_COLUMNS} FROM admin_actions ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toAction);
  }

  async findUsers(query: string, limit: number, now: number): Promise<AdminUserRow[]> {
    const q = query.toLowerCase();
    const rows = await this.#db.query<
      UserDbRow & {
        created_at: string | number;
        last_seen_at: string | number | null;
        disabled_at: string | number | null;
        disabled_reason: string | null;
        sessions: string | number;
      }
    >(
      `SELECT ${USER_COLUMNS}, u.created_at, u.last_seen_at, u.disabled_at, u.disabled_reason,
         (SELECT count(*) FROM sessions s
          WHERE s.user_id = u.id AND NOT s.revoked AND s.expires_at > $4)::int AS sessions
       FROM users u
       WHERE u.deleted_at IS NULL
         AND (u.id = $1 OR u.username_lower = $2 OR u.username_lower LIKE $3 ESCAPE '\\')
       ORDER BY (u.id = $1 OR u.username_lower = $2) DESC, u.username_lower
       LIMIT $5`,
      // Ids are positive: -1 matches none when the query is no id.
      [asId(query) ?? "-1", q, `${likeEscape(q)}%`, now, limit],
    );
    return rows.map((r) => ({
      ...toUser(r),
      createdAt: Number(r.created_at),
      lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
      disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
      disabledReason: r.disabled_reason,
      sessions: Number(r.sessions),
    }));
  }

  disableUser(userId: string, at: number, reason: string | null): Promise<string[] | null> {
    return this.#db.transaction(async (tx) => {
      // Disabled again: when and why stay those of the first time.
      const rows = await tx.query<{ id: string }>(
        `UPDATE users SET disabled_at = COALESCE(disabled_at, $2),
           disabled_reason = CASE WHEN disabled_at IS NULL THEN $3 ELSE disabled_reason END
         WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [userId, at, reason],
      );
      if (rows.length === 0) return null;
      return await deleteSessions(tx, userId);
    });
  }

  enableUser(userId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ disabled_at: string | number | null }>(
        "SELECT disabled_at FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        [userId],
      );
      if (rows.length === 0) return false;
      if (rows[0].disabled_at === null) return true;
      // The disable deleted every session: one there now was made by a sign-in that
      // raced it, and must not come back with the account (it never authenticated).
      await tx.query("DELETE FROM sessions WHERE user_id = $1", [userId]);
      await tx.query(
        "UPDATE users SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1",
        [userId],
      );
      return true;
    });
  }

  endSessions(userId: string): Promise<string[] | null> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        [userId],
      );
      if (rows.length === 0) return null;
      return await deleteSessions(tx, userId);
    });
  }

  async counts(): Promise<AdminCounts> {
    const [row] = await this.#db.query<Record<keyof AdminCounts, string | number>>(
      `SELECT (SELECT count(*) FROM users WHERE deleted_at IS NULL) AS users,
         (SELECT count(*) FROM users WHERE deleted_at IS NULL AND disabled_at IS NOT NULL) AS disabled,
         (SELECT count(*) FROM groups) AS groups,
         (SELECT count(*) FROM messages WHERE kind = 'message') AS messages`,
    );
    return {
      users: Number(row.users),
      disabled: Number(row.disabled),
      groups: Number(row.groups),
      messages: Number(row.messages),
    };
  }
}

/** Deletes every session of a user; the token hashes of those that were not revoked. */
async function deleteSessions(tx: SqlDriver, userId: string): Promise<string[]> {
  const rows = await tx.query<{ token_hash: string; revoked: boolean | number }>(
    "DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash, revoked",
    [userId],
  );
  return rows.filter((r) => !r.revoked).map((r) => r.token_hash);
}
