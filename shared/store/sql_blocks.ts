/** The block port on SQL: a row from the blocker to the blocked user (PROTOCOL.md, Version 2, Blocking). */
import type { SqlDriver } from "./driver.ts";
import type { BlockStore } from "./mod.ts";

/** Blocks over an SQL driver whose failures are already AppErrors. */
export class SqlBlockStore implements BlockStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async block(userId: string, blockedId: string, at: number): Promise<boolean> {
    const rows = await this.#db.query(
      `INSERT INTO blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [userId, blockedId, at],
    );
    return rows.length > 0;
  }

  async unblock(userId: string, blockedId: string): Promise<boolean> {
    const rows = await this.#db.query(
      "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2 RETURNING user_id",
      [userId, blockedId],
    );
    return rows.length > 0;
  }

  async blockedBy(userId: string): Promise<string[]> {
    const rows = await this.#db.query<{ blocked_id: string }>(
      "SELECT blocked_id FROM blocks WHERE user_id = $1 ORDER BY created_at DESC, blocked_id DESC",
      [userId],
    );
    return rows.map((r) => String(r.blocked_id));
  }

  async blocks(userId: string, otherId: string): Promise<boolean> {
    const rows = await this.#db.query(
      "SELECT 1 FROM blocks WHERE user_id = $1 AND blocked_id = $2",
      [userId, otherId],
    );
    return rows.length > 0;
  }
}
