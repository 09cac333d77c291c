/** The store on any SQL engine behind a SqlDriver (PGlite embedded, PostgreSQL in a cluster). */
import { AppError } from "../errors.ts";
import type { SqlDriver } from "./driver.ts";
import { MIGRATIONS } from "./migrations.ts";
import type { Store } from "./mod.ts";
import { SqlAccountStore } from "./sql_accounts.ts";
import { SqlAdminStore } from "./sql_admin.ts";
import { SqlBlockStore } from "./sql_blocks.ts";
import { SqlFriendStore } from "./sql_friends.ts";
import { SqlGroupStore } from "./sql_groups.ts";
import { SqlMediaStore } from "./sql_media.ts";
import { SqlMessageStore } from "./sql_messages.ts";
import { openSearchIndex } from "./sql_search.ts";

/** Maps a driver failure to an AppError: unique violations are conflicts, the rest unavailable. */
export function storeError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string } | null)?.code;
  if (code === "23505") return new AppError("conflict", "Already exists", { cause: error });
  return new AppError("unavailable", "The database is unavailable", { cause: error });
}

/**
 * Runs the migrations not yet applied in one transaction, in the driver's
 * dialect; on PostgreSQL under a lock, so instances starting together take
 * turns (SQLite's transaction holds the whole file).
 */
export async function migrate(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (tx) => {
    if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(7245001)");
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    );
    const rows = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => Number(r.version)));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(tx.dialect === "sqlite" ? migration.sqlite : migration.sql);
      await tx.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        [
          migration.version,
          migration.name,
          Date.now(),
        ],
      );
    }
  });
}

/** The schema version this build's migrations lead to. */
export const LATEST_SCHEMA_VERSION: number = Math.max(...MIGRATIONS.map((m) => m.version));

/** The schema version of a database: its latest migration applied; 0 when it has none. */
export async function schemaVersion(driver: SqlDriver): Promise<number> {
  const tables = await driver.query<{ n: string | number }>(
    driver.dialect === "sqlite"
      ? "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
      : "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'schema_migrations'",
  );
  if (Number(tables[0].n) === 0) return 0;
  const [row] = await driver.query<{ version: string | number | null }>(
    "SELECT max(version) AS version FROM schema_migrations",
  );
  return Number(row.version ?? 0);
}

/**
 * The driver as the ports see it: a statement or a whole transaction that fails
 * rejects with `storeError()` of the failure. Statements inside a transaction
 * reach the engine's driver as they are; the transaction maps what it throws.
 */
function checked(db: SqlDriver): SqlDriver {
  const mapped = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw storeError(error);
    }
  };
  return {
    dialect: db.dialect,
    query<T>(text: string, params?: readonly unknown[]) {
      return mapped(() => db.query<T>(text, params));
    },
    transaction<T>(fn: (tx: SqlDriver) => Promise<T>) {
      return mapped(() => db.transaction(fn));
    },
    exec(script: string) {
      return mapped(() => db.exec(script));
    },
    close: () => db.close(),
  };
}

/** Options of a store on SQL. */
export interface SqlStoreOptions {
  /**
   * Whether saves keep the message search index (true unless a benchmark
   * measures the store without it: `IM_BENCH_SEARCH_INDEX=off`). Pass the same
   * to `prepareSearchIndex()` when opening.
   */
  searchIndex?: boolean;
}

/**
 * What opening a store does to the search index after `migrate()`: off, marks
 * it stale; on, rebuilds a stale one (emptied, every message stored so far
 * handed to `MessageStore.indexBacklog`).
 */
export async function prepareSearchIndex(
  driver: SqlDriver,
  { searchIndex = true }: SqlStoreOptions = {},
): Promise<void> {
  await openSearchIndex(checked(driver), searchIndex);
}

/**
 * The store over a migrated driver that it owns, the search index prepared as
 * `options` ask: the driver is closed when that fails.
 */
export async function openSqlStore(driver: SqlDriver, options: SqlStoreOptions): Promise<Store> {
  try {
    await prepareSearchIndex(driver, options);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return sqlStore(driver, options);
}

/** The seven ports over one SQL driver, which they share; call `migrate()` on the driver first. */
export function sqlStore(driver: SqlDriver, options: SqlStoreOptions = {}): Store {
  const db = checked(driver);
  return {
    accounts: new SqlAccountStore(db),
    admin: new SqlAdminStore(db),
    blocks: new SqlBlockStore(db),
    friends: new SqlFriendStore(db),
    groups: new SqlGroupStore(db),
    media: new SqlMediaStore(db),
    messages: new SqlMessageStore(db, options),
    async ping() {
      await db.query("SELECT 1");
    },
    async close() {
      await driver.close();
    },
  };
}
