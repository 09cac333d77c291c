/** The friend port on SQL: friend requests and mutual friendships (a row each way). */
import type { SqlDriver } from "./driver.ts";
import type { FriendRequestRow, FriendStore } from "./mod.ts";

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

/** Friend requests and friendships over an SQL driver whose failures are already AppErrors. */
export class SqlFriendStore implements FriendStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async createRequest(row: FriendRequestRow): Promise<void> {
    await this.#db.query(
      "INSERT INTO friend_requests (id, from_id, to_id, note, created_at) VALUES ($1, $2, $3, $4, $5)",
      [row.id, row.fromId, row.toId, row.note, row.createdAt],
    );
  }

  async request(id: string): Promise<FriendRequestRow | null> {
    const rows = await this.#db.query<RequestDbRow>(
      "SELECT * FROM friend_requests WHERE id = $1",
      [id],
    );
    return rows[0] ? toRequest(rows[0]) : null;
  }

  async requestBetween(fromId: string, toId: string): Promise<FriendRequestRow | null> {
    const rows = await this.#db.query<RequestDbRow>(
      "SELECT * FROM friend_requests WHERE from_id = $1 AND to_id = $2",
      [fromId, toId],
    );
    return rows[0] ? toRequest(rows[0]) : null;
  }

  async requests(userId: string) {
    const rows = await this.#db.query<RequestDbRow>(
      "SELECT * FROM friend_requests WHERE from_id = $1 OR to_id = $1 ORDER BY created_at DESC, id DESC",
      [userId],
    );
    const all = rows.map(toRequest);
    return {
      incoming: all.filter((r) => r.toId === userId),
      outgoing: all.filter((r) => r.fromId === userId),
    };
  }

  async deleteRequest(id: string): Promise<void> {
    await this.#db.query("DELETE FROM friend_requests WHERE id = $1", [id]);
  }

  async cancelRequest(id: string, fromId: string): Promise<FriendRequestRow | null> {
    const rows = await this.#db.query<RequestDbRow>(
      "DELETE FROM friend_requests WHERE id = $1 AND from_id = $2 RETURNING *",
      [id, fromId],
    );
    return rows[0] ? toRequest(rows[0]) : null;
  }

  add(a: string, b: string, createdAt: number): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
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

  async remove(a: string, b: string): Promise<boolean> {
    const rows = await this.#db.query(
      `DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)
       RETURNING user_id`,
      [a, b],
    );
    return rows.length > 0;
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    const rows = await this.#db.query(
      "SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2",
      [a, b],
    );
    return rows.length > 0;
  }

  /** A pair whose friend blocked the user is absent: a block keeps the friendship, not the sends. */
  async pairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const rows = await this.#db.query<{ l: string; r: string }>(
      // Both columns by ANY, as pairsIn(); the cross pairs this also finds are dropped here.
      `SELECT f.user_id AS l, f.friend_id AS r FROM friendships f
       WHERE f.user_id = ANY($1::bigint[]) AND f.friend_id = ANY($2::bigint[])
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = f.friend_id AND b.blocked_id = f.user_id)`,
      [[...new Set(pairs.map((p) => p[0]))], [...new Set(pairs.map((p) => p[1]))]],
    );
    const asked = new Set(pairs.map((p) => `${p[0]}:${p[1]}`));
    return new Set(rows.map((row) => `${row.l}:${row.r}`).filter((key) => asked.has(key)));
  }

  async idsOf(userId: string): Promise<string[]> {
    const rows = await this.#db.query<{ friend_id: string }>(
      "SELECT friend_id FROM friendships WHERE user_id = $1 ORDER BY created_at, friend_id",
      [userId],
    );
    return rows.map((r) => String(r.friend_id));
  }
}
