/**
 * What a backup of the embedded store is, and the checks that tell one: a
 * SQLite file of our schema, sound (integrity and foreign keys), in
 * rollback-journal mode (nothing left in a -wal beside it), at a schema
 * version this build knows or an older one.
 */
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";
import { usernameSkeleton } from "./sqlite.ts";

/** Something the operator asked for that would lose or misplace data, or input that is not ours. */
export class BackupRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupRefusal";
  }
}

/** What a backup file holds. */
export interface BackupContents {
  /** The schema version it was written at (the last migration applied). */
  version: number;
  /** Rows of each table (the search index's internal tables aside). */
  tables: Record<string, number>;
  bytes: number;
}

/** The latest schema version this build knows (a newer one was written by a newer server). */
export function latestVersion(): number {
  return Math.max(...MIGRATIONS.map((m) => m.version));
}

/** Tables a store of ours has at every version. */
const OUR_TABLES = ["schema_migrations", "users", "conversations", "messages"];

/**
 * The server's own SQL functions (sqlite.ts registers the same): an index or a
 * constraint that ever calls them must compute in the copy what it computes in
 * the server (SQLite's built-in lower() folds ASCII only).
 */
function withServerFunctions(db: DatabaseSync): DatabaseSync {
  db.function(
    "lower",
    { deterministic: true },
    (s: unknown) => (s === null ? null : String(s).toLowerCase()),
  );
  db.function(
    "username_skeleton",
    { deterministic: true },
    (s: unknown) => (s === null ? null : usernameSkeleton(String(s))),
  );
  return db;
}

/**
 * Checks that `path` is a sound SQLite store of ours and says what it holds;
 * a file that is not one is refused with the reason.
 */
export async function inspectBackup(path: string): Promise<BackupContents> {
  let bytes: number;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new BackupRefusal(`${path} is not a file`);
    bytes = info.size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new BackupRefusal(`${path} does not exist`);
    throw error;
  }
  const notOurs = (why: string) =>
    new BackupRefusal(`${path} is not a backup of this server's data: ${why}`);
  if (bytes === 0) throw notOurs("it is empty");
  const header = new Uint8Array(100);
  {
    using handle = await Deno.open(path);
    await handle.read(header);
  }
  if (new TextDecoder().decode(header.subarray(0, 16)) !== "SQLite format 3\0") {
    throw notOurs("it is not a SQLite database");
  }
  // A store in WAL mode has commits in its -wal file that a copy of the file alone would miss.
  if (header[18] === 2) {
    throw notOurs(
      "it is a store in use (WAL mode), not a backup: take one of its folder with deno task backup",
    );
  }
  let db: DatabaseSync;
  try {
    db = withServerFunctions(new DatabaseSync(path, { readOnly: true }));
  } catch (error) {
    throw notOurs(error instanceof Error ? error.message : String(error));
  }
  try {
    const names = new Set(
      db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main'").all()
        .map((r) => String(r.name)),
    );
    const missing = OUR_TABLES.filter((t) => !names.has(t));
    if (missing.length > 0) throw notOurs(`it has no table ${missing.join(", ")}`);
    const problems = db.prepare("PRAGMA integrity_check(20)").all().map((r) =>
      String(r.integrity_check)
    );
    if (problems.join() !== "ok") {
      throw new BackupRefusal(`${path} is damaged: ${problems.join("; ")}`);
    }
    const orphans = db.prepare("PRAGMA foreign_key_check").all();
    if (orphans.length > 0) {
      throw new BackupRefusal(
        `${path} is damaged: ${orphans.length} row(s) refer to rows that are not there, such as one in ${
          orphans[0].table
        }`,
      );
    }
    const { version } = db.prepare("SELECT max(version) AS version FROM schema_migrations")
      .get() as { version: number | bigint | null };
    if (version === null) throw notOurs("no migration was applied to it");
    return { version: Number(version), tables: tableRows(db), bytes };
  } catch (error) {
    // SQLITE_CORRUPT: a page the checks could not even read.
    if ((error as { errcode?: number }).errcode === 11) {
      throw new BackupRefusal(`${path} is damaged: ${(error as Error).message}`);
    }
    // SQLite answers "file is not a database" only at the first read.
    if ((error as { code?: string }).code === "ERR_SQLITE_ERROR") {
      throw notOurs((error as Error).message);
    }
    throw error;
  } finally {
    db.close();
  }
}

/** Rows of every ordinary table (not the search index's shadow tables, nor SQLite's own). */
function tableRows(db: DatabaseSync): Record<string, number> {
  const names = db.prepare(
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
  ).all().map((r) => String(r.name));
  const rows: Record<string, number> = {};
  for (const name of names) {
    const { n } = db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number };
    rows[name] = Number(n);
  }
  return rows;
}
