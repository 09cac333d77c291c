/**
 * The admin tool's command line (what it takes, and what it refuses before
 * touching any data), and how it opens an embedded folder beside a running server.
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { lockDataDir } from "../shared/store/embedded.ts";
import { LATEST_SCHEMA_VERSION } from "../shared/store/sql.ts";
import { openSqliteStore, SQLITE_FILE } from "../shared/store/sqlite.ts";
import { openAdminTarget, parseAdminArgs } from "./admin.ts";

Deno.test("parseAdminArgs() reads subcommands and options in any order", () => {
  assertEquals(
    parseAdminArgs(["disable", "alice", "--reason", "spam and abuse", "--data=/srv/im", "--json"]),
    {
      subcommand: "disable",
      argument: "alice",
      reason: "spam and abuse",
      limit: 20,
      data: "/srv/im",
      postgres: null,
      by: null,
      json: true,
      waitMs: 10_000,
    },
  );
  const audit = parseAdminArgs(["--postgres", "postgres://db/im", "audit", "--limit", "5"]);
  assertEquals([audit.subcommand, audit.limit, audit.postgres], ["audit", 5, "postgres://db/im"]);
  const recall = parseAdminArgs(["recall", "386419711258136576", "--by", "ops", "--wait", "0"]);
  assertEquals([recall.argument, recall.by, recall.waitMs], ["386419711258136576", "ops", 0]);
});

Deno.test("parseAdminArgs() refuses what it does not know or what is missing", () => {
  const refusals: [string[], RegExp][] = [
    [[], /Missing subcommand/],
    [["delete", "bob"], /Unknown subcommand "delete"/],
    [["find"], /find needs a user/],
    [["recall"], /recall needs a message id/],
    [["recall", "01"], /Invalid message id "01"/],
    [["recall", "99999999999999999999"], /Invalid message id/],
    [["counts", "extra"], /Unexpected argument "extra"/],
    [["enable", "bob", "--reason", "x"], /--reason goes with disable or recall/],
    [["audit", "--limit", "-1"], /--limit takes a whole number from 1 to 1000/],
    [["audit", "--limit"], /--limit needs a value/],
    [["counts", "--data", "d", "--postgres", "p"], /not both/],
    [["counts", "-x"], /Unknown option -x/],
    [["disable", "bob", "--reason", "x".repeat(501)], /at most 500 characters/],
  ];
  for (const [args, message] of refusals) {
    const error = assertThrows(() => parseAdminArgs(args));
    assertEquals(
      message.test((error as Error).message),
      true,
      `${args}: ${(error as Error).message}`,
    );
  }
});

/** A data folder with a store in it, and the path of its database file. */
async function folder(): Promise<
  { dataDir: string; file: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const dataDir = await Deno.makeTempDir({ prefix: "im-admin-tool-" });
  const store = await openSqliteStore({ dataDir });
  await store.accounts.createUser({
    id: "77",
    username: "someone",
    passwordHash: "x",
    nickname: "S",
    createdAt: 1,
  });
  await store.close();
  return {
    dataDir,
    file: `${dataDir}/${SQLITE_FILE}`,
    [Symbol.asyncDispose]: () => Deno.remove(dataDir, { recursive: true }),
  };
}

/** What a running server holds of a folder: its lock, and the database open with writes in its WAL. */
function runningServer(dataDir: string, file: string) {
  const lock = lockDataDir(dataDir);
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0");
  db.exec("UPDATE users SET nickname = 'written by the server' WHERE id = 77");
  return {
    db,
    walBytes: () => Deno.statSync(`${file}-wal`).size,
    [Symbol.dispose]() {
      db.close();
      lock.close();
    },
  };
}

const args = (dataDir: string, ...rest: string[]) => parseAdminArgs([...rest, "--data", dataDir]);

Deno.test("openAdminTarget(): beside a running server, the tool neither locks, migrates nor checkpoints", async () => {
  await using data = await folder();
  using server = runningServer(data.dataDir, data.file);
  const before = server.walBytes();
  assertEquals(before > 0, true, "the server's writes are in the WAL");
  for (const command of [["find", "some"], ["audit"], ["signout", "someone"]]) {
    const target = await openAdminTarget(args(data.dataDir, ...command));
    assertEquals(target.lock, null, command[0]);
    assertEquals((await target.store.admin.findUsers("someone", 1, 1)).length, 1);
    await target.store.close();
    // A truncating checkpoint would have emptied the WAL under the server.
    assertEquals(server.walBytes() >= before, true, `${command[0]} left the WAL as it was`);
  }
});

Deno.test("openAdminTarget(): reads never take the folder's lock; an action without a server holds it until closed", async () => {
  await using data = await folder();
  for (const command of [["find", "some"], ["audit"]]) {
    const target = await openAdminTarget(args(data.dataDir, ...command));
    // A server starting now finds the folder free.
    lockDataDir(data.dataDir).close();
    await target.store.close();
  }
  const target = await openAdminTarget(args(data.dataDir, "counts"));
  assertEquals(target.lock !== null, true);
  assert(/another server is using it/.test(assertThrows(() => lockDataDir(data.dataDir)).message));
  await target.store.close();
  target.lock!.close();
  lockDataDir(data.dataDir).close();
});

Deno.test("openAdminTarget(): a folder at another schema version than this build's is refused, not migrated", async () => {
  await using data = await folder();
  using server = runningServer(data.dataDir, data.file);
  const newer = LATEST_SCHEMA_VERSION + 1;
  server.db.exec(`INSERT INTO schema_migrations VALUES (${newer}, 'from the future', 0)`);
  const action = await assertRejects(() => openAdminTarget(args(data.dataDir, "signout", "x")));
  const said =
    `the server on this folder runs another version (its data is at schema version ${newer}, this tool's is ${LATEST_SCHEMA_VERSION})`;
  assert(action.message.includes(said), action.message);
  const read = await assertRejects(() => openAdminTarget(args(data.dataDir, "find", "x")));
  assert(read.message.includes("the server on this folder runs another version"), read.message);
  server.db.exec(`DELETE FROM schema_migrations WHERE version >= ${LATEST_SCHEMA_VERSION}`);
  await assertRejects(() => openAdminTarget(args(data.dataDir, "counts")));
  const [{ version }] = server.db.prepare("SELECT max(version) AS version FROM schema_migrations")
    .all() as { version: number }[];
  assertEquals(version, LATEST_SCHEMA_VERSION - 1, "left at its version");
});
