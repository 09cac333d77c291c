import { assertEquals } from "../../tests/assert.ts";
import type { SqlDriver } from "./driver.ts";
import { MIGRATIONS } from "./migrations.ts";
import { inTempDir, testStore } from "./_contract/mod.ts";
import { assertLookAlikesKept, lookAlikesAtVersion1 } from "./_contract/look_alikes.ts";
import { assertOldGroupsKept, groupsAtVersion5 } from "./_contract/old_groups.ts";
import { assertOldMessagesKept, messagesAtVersion4 } from "./_contract/old_messages.ts";
import { assertOldSessionsKept, sessionsAtVersion3 } from "./_contract/old_sessions.ts";
import { openPgliteDriver } from "./pglite.ts";
import { sqlStore } from "./sql.ts";
import { openSqliteDriver, openSqliteStore, toSqlite, usernameSkeleton } from "./sqlite.ts";
import { openSqliteStoreOnWorker } from "./sqlite_thread.ts";

testStore("SQLite", () => openSqliteStore({ dataDir: "memory://" }), {
  reopenable: () => inTempDir((dataDir, searchIndex) => openSqliteStore({ dataDir, searchIndex })),
});
testStore("SQLite on a worker thread", () => openSqliteStoreOnWorker({ dataDir: "memory://" }), {
  reopenable: () =>
    inTempDir((dataDir, searchIndex) => openSqliteStoreOnWorker({ dataDir, searchIndex })),
});

Deno.test("toSqlite() translates the PostgreSQL constructs the ports use", () => {
  assertEquals(
    toSqlite(
      "SELECT u.id FROM users u WHERE u.id = ANY($1::bigint[]) AND u.name = ANY($2::text[])",
    ),
    "SELECT u.id FROM users u WHERE u.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?1)) AND u.name IN (SELECT value FROM json_each(?2))",
  );
  assertEquals(
    toSqlite("SELECT $1, x FROM unnest($3::bigint[]) AS t(x)"),
    "SELECT ?1, x FROM (SELECT CAST(value AS INTEGER) AS x FROM json_each(?3)) AS t",
  );
  assertEquals(
    toSqlite(
      "SELECT count(*)::int, GREATEST(a, $1), LEAST($2, b), 'g:' || $3::bigint FROM t FOR UPDATE",
    ),
    "SELECT count(*), max(a, ?1), min(?2, b), 'g:' || ?3 FROM t",
  );
});

Deno.test("enableUser() deletes a session that a sign-in racing the disable left", async () => {
  const db = await openSqliteDriver({ dataDir: "memory://" });
  const store = sqlStore(db);
  try {
    const user = await store.accounts.createUser({
      id: "41",
      username: "raced",
      passwordHash: "h",
      nickname: "Raced",
      createdAt: 1,
    });
    assertEquals(await store.admin.disableUser(user.id, 2, null), []);
    // Written as a sign-in past its checks would have, had it not seen the disable.
    await db.query(
      `INSERT INTO sessions (token_hash, user_id, expires_at, id, created_at, last_seen_at, user_agent)
       VALUES ('raced', 41, 9000000000000, 42, 3, 3, '')`,
      [],
    );
    assertEquals(await store.admin.enableUser(user.id), true);
    assertEquals(await store.accounts.session("raced", 4), null);
  } finally {
    await store.close();
  }
});

Deno.test("the SQL function username_skeleton() and its JavaScript twin agree", async () => {
  const pglite = await openPgliteDriver({ dataDir: "memory://" });
  try {
    for (const name of ["alice", "aIice", "b0b", "Wmadmin", "l1I0Odwm_.-"]) {
      const [row] = await pglite.query<{ s: string }>("SELECT username_skeleton($1) AS s", [name]);
      assertEquals(usernameSkeleton(name), row.s, name);
    }
  } finally {
    await pglite.close();
  }
});

/** Each table's columns as `table.column type-class not-null`, in a form both engines give. */
async function columns(db: SqlDriver): Promise<string[]> {
  const rows = db.dialect === "sqlite"
    ? await db.query<{ t: string; c: string; type: string; nn: number }>(
      // A column that is the row id (INTEGER PRIMARY KEY) is never NULL, whatever the pragma says.
      `SELECT m.name AS t, p.name AS c, p.type AS type,
         p."notnull" OR (p.pk = 1 AND upper(p.type) = 'INTEGER') AS nn
       FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`,
    )
    : await db.query<{ t: string; c: string; type: string; nn: number }>(
      `SELECT table_name AS t, column_name AS c, data_type AS type,
         CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS nn
       FROM information_schema.columns WHERE table_schema = 'public'`,
    );
  const kind = (type: string) =>
    /int/i.test(type)
      ? "integer"
      : /bytea|blob/i.test(type)
      ? "bytes"
      : /bool/i.test(type)
      ? "boolean"
      : "text";
  return rows.filter((r) => !isSearchIndex(r.t))
    .map((r) => `${r.t}.${r.c} ${kind(r.type)}${Number(r.nn) ? " not null" : ""}`)
    .sort();
}

/**
 * The message search index differs by design (shared/store/sql_search.ts): an
 * FTS5 table with its shadow tables in SQLite, a tsvector table in PostgreSQL.
 */
function isSearchIndex(table: string): boolean {
  return table === "message_search" || table.startsWith("message_search_");
}

Deno.test("the SQLite migrations build the same tables and columns as the PostgreSQL ones", async () => {
  const pglite = await openPgliteDriver({ dataDir: "memory://" });
  const sqlite = await openSqliteDriver({ dataDir: "memory://" });
  try {
    assertEquals(await columns(sqlite), await columns(pglite));
    const [fts] = await sqlite.query<{ sql: string }>(
      "SELECT sql FROM sqlite_master WHERE name = 'message_search'",
    );
    assertEquals(/USING fts5\(\s*conv, grams,/.test(fts.sql), true, fts.sql);
    const [gin] = await pglite.query<{ def: string }>(
      "SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'message_search_grams'",
    );
    assertEquals(/USING gin \(grams\)/.test(gin.def), true, gin.def);
    assertEquals(
      (await sqlite.query<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      ))
        .map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
  } finally {
    await pglite.close();
    await sqlite.close();
  }
});

Deno.test("SQLite migration 2 gives existing users their skeleton, the oldest of look-alikes only", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(`${dataDir}/im.sqlite3`);
    for (const statement of lookAlikesAtVersion1("sqlite")) raw.exec(statement);
    raw.close();
    const store = sqlStore(await openSqliteDriver({ dataDir }));
    try {
      await assertLookAlikesKept(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SQLite migration 4 gives existing sessions ids of their own", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(`${dataDir}/im.sqlite3`);
    raw.function("username_skeleton", (name) => usernameSkeleton(String(name)));
    for (const statement of sessionsAtVersion3("sqlite")) raw.exec(statement);
    raw.close();
    const before = Date.now();
    const store = sqlStore(await openSqliteDriver({ dataDir }));
    try {
      await assertOldSessionsKept(store, before);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SQLite migration 5 keeps old messages as plain messages that take edits and recalls", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(`${dataDir}/im.sqlite3`);
    raw.function("username_skeleton", (name) => usernameSkeleton(String(name)));
    for (const statement of messagesAtVersion4("sqlite")) raw.exec(statement);
    raw.close();
    const store = sqlStore(await openSqliteDriver({ dataDir }));
    try {
      await assertOldMessagesKept(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SQLite migration 6 keeps old groups and members, which may then have admins", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(`${dataDir}/im.sqlite3`);
    raw.function("username_skeleton", (name) => usernameSkeleton(String(name)));
    for (const statement of groupsAtVersion5("sqlite")) raw.exec(statement);
    raw.close();
    const store = sqlStore(await openSqliteDriver({ dataDir }));
    try {
      await assertOldGroupsKept(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an SQLite store keeps its data across a reopen, in one file of the data folder", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const first = await openSqliteStore({ dataDir });
    await first.accounts.createUser({
      id: "7000000000000000001",
      username: "kept",
      passwordHash: "h",
      nickname: "Kept",
      createdAt: 1,
    });
    await first.close();
    const again = await openSqliteStore({ dataDir });
    try {
      assertEquals((await again.accounts.credentials("kept"))?.user.id, "7000000000000000001");
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
