/**
 * The store contracts on PostgreSQL, each test in a database of its own. Needs
 * `deno task infra:up`; runs when IM_CLUSTER_TESTS=1 (as in CI, where missing
 * infrastructure fails it).
 */
import postgres from "postgres";
import { clusterTestsEnabled, freshDatabase } from "../../tests/infra.ts";
import { testStore } from "./_contract/mod.ts";
import { assertLookAlikesKept, lookAlikesAtVersion1 } from "./_contract/look_alikes.ts";
import { assertOldGroupsKept, groupsAtVersion5 } from "./_contract/old_groups.ts";
import { assertOldMessagesKept, messagesAtVersion4 } from "./_contract/old_messages.ts";
import { assertOldSessionsKept, sessionsAtVersion3 } from "./_contract/old_sessions.ts";
import { openPostgresStore } from "./postgres.ts";

testStore(
  "PostgreSQL",
  async () => openPostgresStore({ url: await freshDatabase(), poolSize: 4 }),
  {
    ignore: !clusterTestsEnabled(),
    async reopenable() {
      const url = await freshDatabase();
      return {
        open: (searchIndex) => openPostgresStore({ url, poolSize: 2, searchIndex }),
        remove: () => Promise.resolve(),
      };
    },
  },
);

Deno.test({
  name: "migration 2 gives existing users their skeleton, the oldest of look-alikes only",
  ignore: !clusterTestsEnabled(),
  async fn() {
    const url = await freshDatabase();
    const db = postgres(url, { onnotice: () => {} });
    try {
      for (const statement of lookAlikesAtVersion1("sql")) await db.unsafe(statement);
    } finally {
      await db.end();
    }
    const store = await openPostgresStore({ url, poolSize: 1 });
    try {
      await assertLookAlikesKept(store);
    } finally {
      await store.close();
    }
  },
});

Deno.test({
  name: "migration 4 gives existing sessions ids of their own",
  ignore: !clusterTestsEnabled(),
  async fn() {
    const url = await freshDatabase();
    const db = postgres(url, { onnotice: () => {} });
    try {
      for (const statement of sessionsAtVersion3("sql")) await db.unsafe(statement);
    } finally {
      await db.end();
    }
    const before = Date.now();
    const store = await openPostgresStore({ url, poolSize: 1 });
    try {
      await assertOldSessionsKept(store, before);
    } finally {
      await store.close();
    }
  },
});

Deno.test({
  name: "migration 5 keeps old messages as plain messages that take edits and recalls",
  ignore: !clusterTestsEnabled(),
  async fn() {
    const url = await freshDatabase();
    const db = postgres(url, { onnotice: () => {} });
    try {
      for (const statement of messagesAtVersion4("sql")) await db.unsafe(statement);
    } finally {
      await db.end();
    }
    const store = await openPostgresStore({ url, poolSize: 1 });
    try {
      await assertOldMessagesKept(store);
    } finally {
      await store.close();
    }
  },
});

Deno.test({
  name: "migration 6 keeps old groups and members, which may then have admins",
  ignore: !clusterTestsEnabled(),
  async fn() {
    const url = await freshDatabase();
    const db = postgres(url, { onnotice: () => {} });
    try {
      for (const statement of groupsAtVersion5("sql")) await db.unsafe(statement);
    } finally {
      await db.end();
    }
    const store = await openPostgresStore({ url, poolSize: 1 });
    try {
      await assertOldGroupsKept(store);
    } finally {
      await store.close();
    }
  },
});
