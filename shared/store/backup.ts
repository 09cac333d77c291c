/**
 * Backups of the embedded store, for `deno task backup` and `deno task restore`.
 *
 * A backup is SQLite's online backup API on a connection of its own, every
 * page in one step: in WAL mode that step is one read transaction, so the copy
 * is one snapshot (every transaction committed before it began, none after)
 * while the server goes on writing beside it. (`VACUUM INTO` would do the same,
 * but Deno's node:sqlite refuses it, as every ATTACH, unless the process has
 * every permission.) The copy is then made one self-contained file (rollback
 * journal, nothing to replay), checked (integrity, foreign keys, our schema
 * and its version), synced, and only then renamed to the name asked for, so a
 * file of that name is always a whole, checked backup. While the copy runs,
 * checkpoints cannot pass its snapshot: the WAL grows for that time and is
 * reused afterwards.
 *
 * The SQLite file is the whole of the data: media bytes are rows of
 * `media_blobs`, the search index is its `message_search` tables, sessions and
 * password hashes are rows too (so a backup is written readable by its owner
 * only). Presence, dedupe keys, rate limits and pushes awaiting acks live in
 * the server's memory and are in no backup.
 */
import { backup, DatabaseSync } from "node:sqlite";
import { type BackupContents, BackupRefusal, inspectBackup, latestVersion } from "./backup_file.ts";
import { SQLITE_FILE } from "./sqlite.ts";

/** What `backupDataDir()` and `restoreBackup()` did. */
export interface BackupReport extends BackupContents {
  /** The file written: the backup, or the restored store in its folder. */
  file: string;
  ms: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A path as the system resolves it, for comparing two names of one file (the file may not exist yet). */
async function resolved(path: string): Promise<string> {
  const folder = folderOf(path);
  try {
    return `${await Deno.realPath(folder)}/${path.slice(path.lastIndexOf("/") + 1)}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new BackupRefusal(`Cannot write ${path}: the folder ${folder} does not exist`);
    }
    throw error;
  }
}

/** Sets a file's mode and writes its data to disk, before a rename gives it its final name. */
async function syncFile(path: string, mode: number): Promise<void> {
  await Deno.chmod(path, mode);
  using file = await Deno.open(path, { read: true, write: true });
  await file.sync();
}

/** Writes a folder's entries to disk, so a rename in it survives a power cut. */
async function syncFolder(path: string): Promise<void> {
  using folder = await Deno.open(path, { read: true });
  await folder.sync();
}

/** The folder a path names a file in. */
function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash) || "/";
}

/** Removes what a failed run left of a partial file, with its journals. */
async function removePartial(path: string): Promise<void> {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) {
    await Deno.remove(`${path}${suffix}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/** Options of `backupDataDir()`. */
export interface BackupOptions {
  /** The embedded server's data folder (IM_DATA_DIR). */
  dataDir: string;
  /** Where the backup goes. */
  file: string;
  /** Replace an existing `file`. */
  force?: boolean;
  /** How long to wait for a lock the server holds for a moment, in ms. */
  busyTimeoutMs?: number;
}

/** The store file of a data folder, or a refusal saying why there is none. */
async function storeOf(dataDir: string): Promise<string> {
  const info = await Deno.stat(dataDir).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new BackupRefusal(`The data folder ${dataDir} does not exist`);
    }
    throw error;
  });
  if (!info.isDirectory) throw new BackupRefusal(`The data folder ${dataDir} is not a folder`);
  const store = `${dataDir.replace(/\/+$/, "")}/${SQLITE_FILE}`;
  if (await exists(store)) return store;
  if (await exists(`${dataDir}/PG_VERSION`)) {
    throw new BackupRefusal(
      `The data folder ${dataDir} holds PGlite data from an older version: start the server on it once to convert it to SQLite, then take the backup`,
    );
  }
  throw new BackupRefusal(`The data folder ${dataDir} holds no store (no ${SQLITE_FILE})`);
}

/** Takes a consistent backup of a data folder's store into `file`; see the module's comment. */
export async function backupDataDir(
  { dataDir, file, force = false, busyTimeoutMs = 10_000 }: BackupOptions,
): Promise<BackupReport> {
  const started = performance.now();
  const store = await storeOf(dataDir);
  const target = await resolved(file);
  const live = await resolved(store);
  if ([live, `${live}-wal`, `${live}-shm`, `${live}.lock`].includes(target)) {
    throw new BackupRefusal(`Cannot write the backup over the store itself (${store})`);
  }
  if (await exists(file)) {
    if (!force) {
      throw new BackupRefusal(`${file} exists: choose another name, or add --force to replace it`);
    }
    if (!(await Deno.lstat(file)).isFile) throw new BackupRefusal(`${file} is not a file`);
  }
  const partial = `${file}.partial`;
  await removePartial(partial);
  try {
    // Read-write, though it only reads: a read-only connection to a WAL database
    // that no server has open would leave an empty -wal and -shm behind.
    const source = new DatabaseSync(store);
    try {
      source.exec(`PRAGMA busy_timeout = ${Math.round(busyTimeoutMs)}`);
      // Every page in one step (rate -1), so in one read transaction: one snapshot.
      await backup(source, partial, { rate: -1 });
    } finally {
      source.close();
    }
    // The copy has the store's WAL mode; as a backup it is one file with nothing to replay.
    const copy = new DatabaseSync(partial);
    try {
      copy.exec("PRAGMA journal_mode = DELETE");
    } finally {
      copy.close();
    }
    const contents = await inspectBackup(partial);
    // Passwords' and sessions' hashes and every message: for its owner's eyes only.
    await syncFile(partial, 0o600);
    await Deno.rename(partial, file);
    await syncFolder(folderOf(file));
    return { ...contents, file, ms: Math.round(performance.now() - started) };
  } catch (error) {
    await removePartial(partial);
    throw error;
  }
}

/** Options of `restoreBackup()`. */
export interface RestoreOptions {
  /** A backup `backupDataDir()` wrote. */
  file: string;
  /** The new data folder: absent or empty. */
  dataDir: string;
}

/** Refuses a folder that holds anything: a restore never overwrites data. */
async function emptyFolder(dataDir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dataDir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isDirectory) throw new BackupRefusal(`${dataDir} exists and is not a folder`);
  for await (const entry of Deno.readDir(dataDir)) {
    throw new BackupRefusal(
      `The folder ${dataDir} is not empty (it holds ${entry.name}): restore into a new or empty folder`,
    );
  }
}

/**
 * The data folder's lock, as the server takes it (embedded.ts): held while the
 * restore writes, so a server started on the folder meanwhile refuses to open it.
 */
function lockFolder(dataDir: string): DatabaseSync {
  const lock = new DatabaseSync(`${dataDir}/${SQLITE_FILE}.lock`);
  try {
    lock.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    lock.close();
    throw new BackupRefusal(
      `Cannot restore into ${dataDir}: a server is using it (${(error as Error).message})`,
    );
  }
  return lock;
}

/**
 * Restores a backup into a new data folder: the file is checked (ours, sound,
 * not from a newer server), copied in under a partial name and renamed to the
 * store's name. The server started on the folder applies newer migrations.
 */
export async function restoreBackup({ file, dataDir }: RestoreOptions): Promise<BackupReport> {
  const started = performance.now();
  const contents = await inspectBackup(file);
  if (contents.version > latestVersion()) {
    throw new BackupRefusal(
      `${file} was written by a newer server (schema version ${contents.version}; this one knows up to ${latestVersion()}): restore it with that version`,
    );
  }
  await emptyFolder(dataDir);
  await Deno.mkdir(dataDir, { recursive: true });
  const lock = lockFolder(dataDir);
  const store = `${dataDir.replace(/\/+$/, "")}/${SQLITE_FILE}`;
  const partial = `${store}.partial`;
  try {
    await Deno.copyFile(file, partial);
    await syncFile(partial, 0o600);
    await Deno.rename(partial, store);
    await syncFolder(dataDir);
    return { ...contents, file: store, ms: Math.round(performance.now() - started) };
  } catch (error) {
    await removePartial(partial);
    throw error;
  } finally {
    lock.close();
  }
}

/** The lines the scripts print about a backup: its version, bytes and time, then rows by table. */
export function summaryLines(report: BackupReport): string[] {
  const width = Math.max(...Object.keys(report.tables).map((t) => t.length));
  return [
    `${report.file}: schema version ${report.version}, ${report.bytes} bytes, ${report.ms} ms`,
    ...Object.entries(report.tables).map(([table, rows]) => `  ${table.padEnd(width)} ${rows}`),
  ];
}
