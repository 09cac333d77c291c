/**
 * The store contracts on PostgreSQL, each test in a database of its own. Needs
 * `deno task infra:up`; runs when IM_CLUSTER_TESTS=1 (as in CI, where missing
 * infrastructure fails it).
 */
import postgres from "postgres";
import { clusterTestsEnabled, freshDatabase, INFRA } from "../../tests/infra.ts";
import { assert } from "../../tests/assert.ts";
import { metricValue } from "../_metric_value.ts";
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

/** The same database on the streaming replica of the HA infrastructure. */
function onReplica(url: string): string {
  return `${INFRA.postgresReplica}/${new URL(url).pathname.slice(1)}`;
}

// Every contract again with history and search read from the replica whenever it has caught up:
// each contract reads right after it writes, so a read the replica answered too early fails one.
testStore(
  "PostgreSQL with a streaming replica",
  async () => {
    const url = await freshDatabase();
    return openPostgresStore({ url, poolSize: 4, replicaUrl: onReplica(url) });
  },
  { ignore: !INFRA.postgresReplica },
);

Deno.test({
  name: "history and search are read from the replica once it has replayed what the primary had",
  ignore: !INFRA.postgresReplica,
  async fn() {
    const url = await freshDatabase();
    const store = await openPostgresStore({ url, poolSize: 2, replicaUrl: onReplica(url) });
    try {
      const before = await replicaReads();
      for (let i = 0; i < 20; i++) await store.messages.history("u:1:2", { limit: 10 });
      const after = await replicaReads();
      assert(
        after.replica + after.lagging === before.replica + before.lagging + 20,
        "every read routed",
      );
      assert(after.replica > before.replica, "an idle replica answers reads");
    } finally {
      await store.close();
    }
  },
});

async function replicaReads(): Promise<{ replica: number; lagging: number }> {
  return {
    replica: await metricValue("im_replica_reads_total", { result: "replica" }),
    lagging: await metricValue("im_replica_reads_total", { result: "primary_lagging" }),
  };
}

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
