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

Deno.test({
  name: "a session written while a disable of its user is under way waits for it and is not made",
  ignore: !clusterTestsEnabled(),
  async fn() {
    const url = await freshDatabase();
    const store = await openPostgresStore({ url, poolSize: 4 });
    const db = postgres(url, { onnotice: () => {}, max: 1 });
    try {
      const user = await store.accounts.createUser({
        id: "51",
        username: "racing",
        passwordHash: "h",
        nickname: "R",
        createdAt: 1,
      });
      let updated!: () => void;
      const locked = new Promise<void>((resolve) => updated = resolve);
      let commit!: () => void;
      const committing = new Promise<void>((resolve) => commit = resolve);
      // The disable's transaction: the user's row updated, not yet committed.
      const disabling = db.begin(async (tx) => {
        await tx`UPDATE users SET disabled_at = 2 WHERE id = ${user.id}`;
        updated();
        await committing;
      });
      await locked;
      const created = store.accounts.createSession({
        id: "52",
        tokenHash: "racing-hash",
        userId: user.id,
        createdAt: 3,
        expiresAt: 9_000_000_000_000,
        userAgent: "",
      });
      // Long enough for a session write that does not wait to be done.
      await new Promise((resolve) => setTimeout(resolve, 200));
      commit();
      await disabling;
      if (await created !== false) throw new Error("a session was made for a disabled account");
      const [{ n }] = await db`SELECT count(*)::int AS n FROM sessions WHERE user_id = ${user.id}`;
      if (n !== 0) throw new Error(`${n} session(s) left`);
    } finally {
      await db.end();
      await store.close();
    }
  },
});
