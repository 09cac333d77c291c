/**
 * The embedded store on SQLite, through Deno's built-in `node:sqlite`: one
 * file in the data folder, in WAL mode. The ports write PostgreSQL; this
 * driver translates the few constructs they use (`toSqlite()`).
 *
 * Durability: a commit is in the WAL file before `save()` resolves, so a
 * process killed at any point (kill -9, a crash) loses nothing that was
 * acknowledged. With `synchronous=NORMAL` (the default here) the WAL is
 * synced to disk at checkpoints, not at every commit: a power cut or a kernel
 * crash may lose the last commits, never corrupting the file. `full` syncs
 * every commit, for machines where that matters more than throughput.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { oneSession, type SessionEngine, type SqlDriver } from "./driver.ts";
import type { Store } from "./mod.ts";
import {
  LATEST_SCHEMA_VERSION,
  migrate,
  openSqlStore,
  schemaVersion,
  type SqlStoreOptions,
} from "./sql.ts";

/** The file of the store in its data folder. */
export const SQLITE_FILE = "im.sqlite3";

/** How SQLite syncs commits to disk (see the module's comment). */
export type SqliteSynchronous = "normal" | "full";

/** Options of the SQLite store. */
export interface SqliteStoreOptions extends SqlStoreOptions {
  /** A folder for the data; `memory://` keeps it in memory only. */
  dataDir: string;
  synchronous?: SqliteSynchronous;
  /** The database's file name in the folder (`SQLITE_FILE` unless building a new one aside). */
  file?: string;
  /**
   * Whether opening migrates the database (the default). A tool working beside
   * a running server passes false, for the server owns the schema: opening then
   * fails with {@link SchemaMismatch} unless the database is at this build's
   * latest version.
   */
  migrate?: boolean;
  /**
   * Whether closing folds the WAL back into the database file (the default, so
   * a stopped server leaves one file). A tool beside a running server passes
   * false: a truncating checkpoint would wait on, or hold up, the server's writes.
   */
  checkpointOnClose?: boolean;
}

/** A database at another schema version than this build's, opened without migrating it. */
export class SchemaMismatch extends Error {
  constructor(readonly version: number, readonly latest: number) {
    super(`The database is at schema version ${version}; this build's is ${latest}`);
    this.name = "SchemaMismatch";
  }
}

/** A constraint error with PostgreSQL's SQLSTATE for a unique violation, as storeError() expects. */
class SqliteError extends Error {
  readonly code?: string;
  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = "SqliteError";
    this.code = code;
  }
}

// SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE.
const UNIQUE_VIOLATIONS = new Set([1555, 2067]);

function engineError(error: unknown): SqliteError {
  const errcode = (error as { errcode?: number }).errcode;
  const message = error instanceof Error ? error.message : String(error);
  return new SqliteError(
    message,
    errcode !== undefined && UNIQUE_VIOLATIONS.has(errcode) ? "23505" : undefined,
    error,
  );
}

const arrayOf = (n: string, type: string) =>
  `(SELECT ${/int/i.test(type) ? "CAST(value AS INTEGER)" : "value"} FROM json_each(?${n}))`;

/**
 * The PostgreSQL the ports write, as SQLite: `= ANY($n::T[])` and
 * `unnest($n::T[]) AS t(x)` over the array as JSON (`json_each`), casts
 * dropped (the columns' affinity converts), GREATEST and LEAST as SQLite's
 * many-argument max and min (no NULL reaches them), `FOR UPDATE` dropped (a
 * transaction holds the whole database), and `$n` as `?n`.
 */
export function toSqlite(text: string): string {
  return text
    .replace(/=\s*ANY\(\$(\d+)::(\w+)\[\]\)/g, (_, n, type) => `IN ${arrayOf(n, type)}`)
    .replace(
      /unnest\(\$(\d+)::(\w+)\[\]\)\s+AS\s+(\w+)\((\w+)\)/g,
      (_, n, type, table, column) =>
        `(SELECT ${
          /int/i.test(type) ? "CAST(value AS INTEGER)" : "value"
        } AS ${column} FROM json_each(?${n})) AS ${table}`,
    )
    .replace(/::\w+/g, "")
    .replace(/\bGREATEST\(/g, "max(")
    .replace(/\bLEAST\(/g, "min(")
    .replace(/\s+FOR UPDATE\b/g, "")
    .replace(/\$(\d+)/g, "?$1");
}

/**
 * A parameter as SQLite binds it: arrays as JSON, booleans as 0 and 1, whole
 * numbers as integers (node:sqlite binds every JS number as REAL otherwise).
 */
function bind(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return value as SQLInputValue;
}

/** A row as the ports expect: integers past 2^53 (ids) as decimal strings, the others as numbers. */
function row(raw: Record<string, unknown>): Record<string, unknown> {
  for (const key in raw) {
    const value = raw[key];
    if (typeof value === "bigint") {
      raw[key] = value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER
        ? Number(value)
        : String(value);
    }
  }
  return raw;
}

/** The confusable skeleton of a username; the same function as migration 2's SQL one. */
export function usernameSkeleton(name: string): string {
  const translated = name.replace(/[I10]/g, (c) => ({ I: "l", 1: "l", 0: "O" })[c]!);
  return translated.toLowerCase().replaceAll("m", "rn").replaceAll("w", "vv").replaceAll("d", "cl");
}

/** The database connection, with a cache of prepared statements by text. */
class Engine implements SessionEngine {
  readonly dialect = "sqlite";
  // A write transaction from the start, so a read never has to upgrade (and cannot be refused).
  readonly begin = "BEGIN IMMEDIATE";
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #checkpointOnClose: boolean;

  constructor(path: string, synchronous: SqliteSynchronous, checkpointOnClose = true) {
    this.#checkpointOnClose = checkpointOnClose;
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"};
      PRAGMA foreign_keys = ON;
      PRAGMA busy_timeout = 5000;
      PRAGMA temp_store = MEMORY;
    `);
    // SQLite's own lower() folds ASCII only; names and searches fold as JavaScript does.
    this.#db.function(
      "lower",
      { deterministic: true },
      (s: unknown) => (s === null ? null : String(s).toLowerCase()),
    );
    this.#db.function(
      "username_skeleton",
      { deterministic: true },
      (s: unknown) => (s === null ? null : usernameSkeleton(String(s))),
    );
  }

  #prepare(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(toSqlite(text));
      statement.setReadBigInts(true);
      if (this.#statements.size >= 500) this.#statements.clear();
      this.#statements.set(text, statement);
    }
    return statement;
  }

  query(text: string, params: readonly unknown[]): Promise<unknown[]> {
    try {
      const statement = this.#prepare(text);
      const rows = statement.all(...params.map(bind)) as Record<string, unknown>[];
      return Promise.resolve(rows.map(row));
    } catch (error) {
      return Promise.reject(engineError(error));
    }
  }

  exec(text: string): Promise<void> {
    try {
      this.#db.exec(text);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(engineError(error));
    }
  }

  close(): Promise<void> {
    this.#statements.clear();
    if (this.#db.isOpen) {
      // Fold the WAL back into the database file, so a stopped server leaves one file.
      if (this.#checkpointOnClose) this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      this.#db.close();
    }
    return Promise.resolve();
  }
}

/** The path of the database file for a data folder (`:memory:` for `memory://`). */
export function sqlitePath(dataDir: string, file = SQLITE_FILE): string {
  return dataDir.startsWith("memory://") ? ":memory:" : `${dataDir.replace(/\/+$/, "")}/${file}`;
}

/**
 * Opens the SQLite database of a data folder (creating it if needed), migrated;
 * with `migrate: false`, as it is, when it is at this build's schema version.
 */
export async function openSqliteDriver(
  { dataDir, synchronous = "normal", file, migrate: migrating = true, checkpointOnClose = true }:
    SqliteStoreOptions,
): Promise<SqlDriver> {
  const sql = oneSession(new Engine(sqlitePath(dataDir, file), synchronous, checkpointOnClose));
  try {
    if (migrating) await migrate(sql);
    else {
      const version = await schemaVersion(sql);
      if (version !== LATEST_SCHEMA_VERSION) {
        throw new SchemaMismatch(version, LATEST_SCHEMA_VERSION);
      }
    }
  } catch (error) {
    await sql.close();
    throw error;
  }
  return sql;
}

/** Opens (creating and migrating if needed) the SQLite store. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  return await openSqlStore(await openSqliteDriver(options), options);
}
