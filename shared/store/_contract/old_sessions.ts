/**
 * Migration 4 (account settings) on a database that has sessions already: what
 * its tests, one per dialect, put in a database at version 3, and what they
 * expect of the store the migration then leaves.
 */
import { assert, assertEquals } from "../../../tests/assert.ts";
import { MIGRATIONS } from "../migrations.ts";
import type { Store } from "../mod.ts";

const FAR = 9_000_000_000_000;

/** The statements that make a database at version 3 holding two users with three sessions. */
export function sessionsAtVersion3(dialect: "sql" | "sqlite"): string[] {
  return [
    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    ...MIGRATIONS.slice(0, 3).map((m) => m[dialect]),
    "INSERT INTO schema_migrations VALUES (1, 'initial schema', 0), (2, 'skeletons', 0), (3, 'history', 0)",
    `INSERT INTO users (id, username, username_lower, skeleton, password_hash, nickname, created_at)
     VALUES (1, 'ann', 'ann', 'ann', 'h', 'Ann', 5), (2, 'bob', 'bob', 'bob', 'h', 'Bob', 6)`,
    `INSERT INTO sessions (token_hash, user_id, expires_at)
     VALUES ('hash-a1', 1, ${FAR}), ('hash-a2', 1, ${FAR}), ('hash-b1', 2, ${FAR})`,
  ];
}

/** Each old session has an id of its own, a creation time, and can be listed and ended by it. */
export async function assertOldSessionsKept(store: Store, migratedBy: number): Promise<void> {
  const ann = await store.accounts.sessions("1", 1);
  const bob = await store.accounts.sessions("2", 1);
  assertEquals(ann.map((s) => s.tokenHash).sort(), ["hash-a1", "hash-a2"]);
  const ids = [...ann, ...bob].map((s) => s.id);
  assertEquals(new Set(ids).size, 3, "every session has its own id");
  for (const s of [...ann, ...bob]) {
    assert(s.createdAt >= migratedBy - 5000 && s.lastSeenAt === s.createdAt, "dated at migration");
    assertEquals(s.userAgent, "");
  }
  assertEquals((await store.accounts.session("hash-b1", 1))?.id, bob[0].id);
  assertEquals(await store.accounts.endSession("1", bob[0].id, 1), null);
  assertEquals(await store.accounts.endSession("1", ann[0].id, 1), ann[0].tokenHash);
  // Users from before have no last connection: they were last seen when they registered.
  assertEquals(await store.accounts.lastSeen(["1", "2"]), new Map([["1", 5], ["2", 6]]));
}
