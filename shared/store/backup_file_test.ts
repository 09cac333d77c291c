import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { user } from "./_contract/fixtures.ts";
import { BackupRefusal, inspectBackup, latestVersion } from "./backup_file.ts";
import { openSqliteStore, SQLITE_FILE } from "./sqlite.ts";

/** A store file as a backup is: migrated, holding two users, in rollback-journal mode. */
async function backupLike(dir: string): Promise<string> {
  const store = await openSqliteStore({ dataDir: dir });
  await user(store);
  await user(store);
  await store.close();
  const path = `${dir}/${SQLITE_FILE}`;
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = DELETE");
  db.close();
  return path;
}

Deno.test("inspectBackup() tells the schema version and the rows of each table, not the index's own", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const contents = await inspectBackup(await backupLike(dir));
    assertEquals(contents.version, latestVersion());
    assertEquals(contents.tables.users, 2);
    assertEquals(contents.tables.schema_migrations, latestVersion());
    // The search index (a virtual table and its shadow tables) is in the file, not in the counts.
    assert(!Object.keys(contents.tables).some((t) => t.startsWith("message_search")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspectBackup() finds a damaged file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await backupLike(dir);
    const db = new DatabaseSync(path);
    const { rootpage } = db.prepare(
      "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_users_1'",
    ).get() as { rootpage: number };
    db.close();
    // The page of an index claims no cells: rows the index misses, which only a full check sees.
    const bytes = await Deno.readFile(path);
    const pageSize = new DataView(bytes.buffer).getUint16(16);
    bytes.fill(0, (Number(rootpage) - 1) * pageSize + 3, (Number(rootpage) - 1) * pageSize + 5);
    await Deno.writeFile(path, bytes);
    const error = await assertRejects(() => inspectBackup(path), BackupRefusal);
    assert(error.message.includes("is damaged"), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
