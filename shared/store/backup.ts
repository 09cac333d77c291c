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

/** Owner read and write, nobody else: a store holds password hashes, sessions and every message. */
const PRIVATE = 0o600;

/**
 * Creates a new empty file readable by its owner only, before any data goes in: a file that is
 * made readable by all and narrowed afterwards can be opened by anyone meanwhile (and an open
 * file stays readable). It must not exist yet (nor a link of that name).
 */
async function createPrivate(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: PRIVATE });
  try {
    // `mode` passes through the umask, which could leave it narrower than we write with.
    await Deno.chmod(path, PRIVATE);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Writes a file's data to disk, before a rename gives it its final name. */
async function syncFile(path: string): Promise<void> {
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
    // Private from its first byte; SQLite writes the copy (and its journals) with this mode.
    (await createPrivate(partial)).close();
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
    await syncFile(partial);
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

/** The name of a data folder's lock file (embedded.ts). */
const LOCK_FILE = `${SQLITE_FILE}.lock`;
/** The lock file and its journal (kept while the lock is held): all a new folder may hold. */
const LOCK_FILES = new Set([LOCK_FILE, `${LOCK_FILE}-journal`]);

/**
 * Refuses a folder that holds anything but the lock's files: a restore never overwrites data. (A
 * lock file alone is what a failed restore, or a server that could not start, leaves.)
 */
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
    if (LOCK_FILES.has(entry.name)) continue;
    throw new BackupRefusal(
      `The folder ${dataDir} is not empty (it holds ${entry.name}): restore into a new or empty folder`,
    );
  }
}

/** Copies `from` into a new private file `to` (see `createPrivate`). */
async function copyPrivate(from: string, to: string): Promise<void> {
  const source = await Deno.open(from, { read: true });
  let target: Deno.FsFile;
  try {
    target = await createPrivate(to);
  } catch (error) {
    source.close();
    throw error;
  }
  // Closes both, whether it completes or fails.
  await source.readable.pipeTo(target.writable);
}

/**
 * Gives `partial` the name `store` unless a file has that name: a hard link fails where a
 * rename would replace. (Where the file system has no hard links: a rename, after a check that
 * the lock makes safe from servers and other restores.)
 */
async function renameNew(partial: string, store: string, dataDir: string): Promise<void> {
  const taken = () =>
    new BackupRefusal(
      `The folder ${dataDir} got a store while the backup was copied in: it was left as it is`,
    );
  try {
    await Deno.link(partial, store);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) throw taken();
    if (await exists(store)) throw taken();
    await Deno.rename(partial, store);
    return;
  }
  await Deno.remove(partial);
}

/**
 * The data folder's lock, as the server takes it (embedded.ts): held while the
 * restore writes, so a server started on the folder meanwhile refuses to open it.
 */
function lockFolder(dataDir: string): DatabaseSync {
  const lock = new DatabaseSync(`${dataDir}/${LOCK_FILE}`);
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
  // Checked before anything is written in it (a lock file in a folder we refuse is litter) and
  // again once it is ours: a server or another restore may have been at it in between.
  await emptyFolder(dataDir);
  await Deno.mkdir(dataDir, { recursive: true });
  const lock = lockFolder(dataDir);
  const store = `${dataDir.replace(/\/+$/, "")}/${SQLITE_FILE}`;
  const partial = `${store}.partial`;
  let ours = false;
  try {
    await emptyFolder(dataDir);
    ours = true;
    await copyPrivate(file, partial);
    await syncFile(partial);
    await renameNew(partial, store, dataDir);
    await syncFolder(dataDir);
    return { ...contents, file: store, ms: Math.round(performance.now() - started) };
  } catch (error) {
    // Not what another left in a folder we did not get to claim.
    if (ours) await removePartial(partial);
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
