/**
 * The store contracts on PostgreSQL, each test in a database of its own. Needs
 * `deno task infra:up`; runs when IM_CLUSTER_TESTS=1 (as in CI, where missing
 * infrastructure fails it).
 */
import postgres from "postgres";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { clusterTestsEnabled, freshDatabase } from "../../tests/infra.ts";
import { AppError } from "../errors.ts";
import { MIGRATIONS } from "./migrations.ts";
import { testStore } from "./_contract/mod.ts";
import { openPostgresStore } from "./postgres.ts";

testStore(
  "PostgreSQL",
  async () => openPostgresStore({ url: await freshDatabase(), poolSize: 4 }),
  { ignore: !clusterTestsEnabled() },
);

Deno.test({
  name: "migration 2 gives existing users their skeleton, the oldest of look-alikes only",
  ignore: !clusterTestsEnabled(),
  async fn() {
    const url = await freshDatabase();
    const db = postgres(url, { onnotice: () => {} });
    try {
      await db.unsafe(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
      );
      await db.unsafe(MIGRATIONS[0].sql);
      await db.unsafe("INSERT INTO schema_migrations VALUES (1, 'initial schema', 0)");
      // Look-alikes registered before skeletons existed.
      await db.unsafe(
        `INSERT INTO users (id, username, username_lower, password_hash, nickname, created_at)
         VALUES (1, 'alice', 'alice', 'h', 'a', 1), (2, 'aIice', 'aiice', 'h', 'a', 1),
                (3, 'b0b', 'b0b', 'h', 'b', 1)`,
      );
    } finally {
      await db.end();
    }
    const store = await openPostgresStore({ url, poolSize: 1 });
    try {
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
    } finally {
      await store.close();
    }
  },
});
