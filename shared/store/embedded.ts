/**
 * The embedded mode's store: SQLite in the data folder, on a worker thread. A folder that PGlite
 * wrote (before SQLite became the embedded store) is converted on the first
 * start: every row is copied into a new SQLite file beside it, which takes the
 * place of the old data only once complete. The PGlite files stay where they
 * are, unread, until the operator removes them.
 */
import { DatabaseSync } from "node:sqlite";
import { AppError } from "../errors.ts";
import type { SqlDriver } from "./driver.ts";
import type { Store } from "./mod.ts";
import { openPgliteDriver } from "./pglite.ts";
import { openSqliteDriver, SQLITE_FILE, type SqliteSynchronous } from "./sqlite.ts";
import { openSqliteStoreOnWorker } from "./sqlite_thread.ts";

/** Options of the embedded store. */
export interface EmbeddedStoreOptions {
  /** A folder for the data; `memory://` keeps it in memory only. */
  dataDir: string;
  synchronous?: SqliteSynchronous;
  /** See `SqlStoreOptions.searchIndex` (true unless a benchmark turns it off). */
  searchIndex?: boolean;
  /** Told what a conversion of PGlite data did. */
  onConverted?: (summary: ConversionSummary) => void;
}

/** What a conversion copied, table by table, and where the old files are. */
export interface ConversionSummary {
  rows: Record<string, number>;
  ms: number;
  pgliteFiles: string;
}

/** Every table, parents before children, with the key a copy pages by (and rows a page, 5000 unless said). */
const TABLES: readonly { name: string; key: readonly string[]; page?: number }[] = [
  { name: "users", key: ["id"] },
  { name: "sessions", key: ["token_hash"] },
  { name: "friend_requests", key: ["id"] },
  { name: "friendships", key: ["user_id", "friend_id"] },
  { name: "groups", key: ["id"] },
  { name: "group_members", key: ["group_id", "user_id"] },
  // One blob a page: an image may be as large as IM_MAX_IMAGE_BYTES allows, a file IM_MAX_FILE_BYTES.
  { name: "media_blobs", key: ["sha256"], page: 1 },
  { name: "media", key: ["id"] },
  { name: "conversations", key: ["id"] },
  { name: "messages", key: ["id"] },
  { name: "read_marks", key: ["user_id", "conversation_id"] },
  { name: "mentions", key: ["user_id", "conversation_id", "seq"] },
  { name: "group_join_requests", key: ["id"] },
  { name: "blocks", key: ["user_id", "blocked_id"] },
];

/** Whether a path exists (following symlinks); other errors than NotFound are thrown. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Copies one table from PostgreSQL into SQLite, a page at a time in key order. */
async function copyTable(
  from: SqlDriver,
  to: SqlDriver,
  table: { name: string; key: readonly string[]; page?: number },
): Promise<number> {
  const page = table.page ?? 5000;
  const columns = (await to.query<{ name: string }>(
    "SELECT name FROM pragma_table_info($1)",
    [table.name],
  )).map((c) => c.name);
  const list = columns.join(", ");
  const key = table.key.join(", ");
  const after = table.key.map((_, i) => `$${i + 1}`).join(", ");
  const insert = `INSERT INTO ${table.name} (${list}) VALUES (${
    columns.map((_, i) => `$${i + 1}`).join(", ")
  })`;
  let last: unknown[] | null = null;
  let copied = 0;
  for (;;) {
    const rows: Record<string, unknown>[] = await from.query(
      last
        ? `SELECT ${list} FROM ${table.name} WHERE (${key}) > (${after}) ORDER BY ${key} LIMIT ${page}`
        : `SELECT ${list} FROM ${table.name} ORDER BY ${key} LIMIT ${page}`,
      last ?? [],
    );
    if (rows.length === 0) return copied;
    await to.transaction(async (tx) => {
      for (const row of rows) await tx.query(insert, columns.map((c) => row[c]));
    });
    copied += rows.length;
    const end = rows[rows.length - 1];
    last = table.key.map((k) => end[k]);
  }
}

/** Converts the PGlite data of a folder into its SQLite file; see the module's comment. */
async function convertPglite(
  dataDir: string,
  synchronous: SqliteSynchronous,
): Promise<ConversionSummary> {
  const started = performance.now();
  const partial = `${SQLITE_FILE}.converting`;
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(`${dataDir}/${partial}${suffix}`).catch(() => {});
  }
  // Migrated to the same version first, so both have the same columns.
  const from = await openPgliteDriver({ dataDir });
  const rows: Record<string, number> = {};
  try {
    const to = await openSqliteDriver({ dataDir, synchronous, file: partial });
    try {
      for (const table of TABLES) {
        rows[table.name] = await copyTable(from, to, table);
        const [{ n }] = await from.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table.name}`,
        );
        if (Number(n) !== rows[table.name]) {
          throw new Error(
            `Cannot convert the PGlite data in ${dataDir}: ${table.name} has ${n} rows, ${
              rows[table.name]
            } were copied`,
          );
        }
      }
      // The search index is not copied (its SQLite form is another): every message copied
      // is older than the new file's index, so the search backlog indexes them all.
      await to.query(
        "UPDATE search_backlog SET below = (SELECT COALESCE(max(id) + 1, 0) FROM messages), stale = false",
      );
      // One file to rename: no WAL beside it.
      await to.exec("PRAGMA journal_mode = DELETE");
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
  await Deno.rename(`${dataDir}/${partial}`, `${dataDir}/${SQLITE_FILE}`);
  return { rows, ms: Math.round(performance.now() - started), pgliteFiles: dataDir };
}

/**
 * Makes this process the only user of a data folder until it exits: two
 * servers on one folder would mint the same ids and seqs. The lock is SQLite's
 * own, on a file of its own (held open, exclusively, by this process; the
 * system lets it go when the process ends, however it ends). The admin tool
 * takes it too, to tell whether a server is running on the folder (close the
 * returned handle to let it go). Fails `unavailable` while another holds it.
 */
export function lockDataDir(dataDir: string): DatabaseSync {
  const lock = new DatabaseSync(`${dataDir}/${SQLITE_FILE}.lock`);
  try {
    lock.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    lock.close();
    throw new AppError(
      "unavailable",
      `Cannot open the data folder ${dataDir}: another server is using it`,
      { cause: error },
    );
  }
  return lock;
}

/** Opens the embedded store of a data folder, converting PGlite data first if that is what it holds. */
export async function openEmbeddedStore(
  { dataDir, synchronous = "normal", searchIndex = true, onConverted }: EmbeddedStoreOptions,
): Promise<Store> {
  const lock = dataDir.startsWith("memory://") ? null : lockDataDir(dataDir);
  try {
    const store = await openConverted({ dataDir, synchronous, searchIndex, onConverted });
    return {
      ...store,
      async close() {
        await store.close();
        lock?.close();
      },
    };
  } catch (error) {
    lock?.close();
    throw error;
  }
}

async function openConverted(
  { dataDir, synchronous = "normal", searchIndex = true, onConverted }: EmbeddedStoreOptions,
): Promise<Store> {
  if (
    !dataDir.startsWith("memory://") &&
    await exists(`${dataDir}/PG_VERSION`) &&
    !await exists(`${dataDir}/${SQLITE_FILE}`)
  ) {
    onConverted?.(await convertPglite(dataDir, synchronous));
  }
  return await openSqliteStoreOnWorker({ dataDir, synchronous, searchIndex });
}
