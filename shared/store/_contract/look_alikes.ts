/**
 * Migration 2 (username skeletons) on a database that has users already: what
 * its tests, one per dialect, put in a database at version 1, and what they
 * expect of the store the migration then leaves.
 */
import { assertEquals, assertRejects } from "../../../tests/assert.ts";
import { AppError } from "../../errors.ts";
import { MIGRATIONS } from "../migrations.ts";
import type { Store } from "../mod.ts";

/** The statements that make a database at version 1 holding three users, two of them look-alikes. */
export function lookAlikesAtVersion1(dialect: "sql" | "sqlite"): string[] {
  return [
    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    MIGRATIONS[0][dialect],
    "INSERT INTO schema_migrations VALUES (1, 'initial schema', 0)",
    // Look-alikes registered before skeletons existed.
    `INSERT INTO users (id, username, username_lower, password_hash, nickname, created_at)
     VALUES (1, 'alice', 'alice', 'h', 'a', 1), (2, 'aIice', 'aiice', 'h', 'a', 1),
            (3, 'b0b', 'b0b', 'h', 'b', 1)`,
  ];
}

/** Every existing user still signs in, and no new look-alike of them may register. */
export async function assertLookAlikesKept(store: Store): Promise<void> {
  for (const name of ["alice", "aIice", "b0b"]) {
    assertEquals((await store.accounts.credentials(name))?.user.username, name);
  }
  for (const twin of ["a1ice", "bob", "BOB"]) {
    const error = await assertRejects(
      () =>
        store.accounts.createUser({
          id: String(10 + twin.length),
          username: twin,
          passwordHash: "h",
          nickname: twin,
          createdAt: 2,
        }),
      AppError,
    );
    assertEquals((error as AppError).code, "conflict", twin);
  }
}
