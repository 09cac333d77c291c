/** The store on PostgreSQL through postgres.js, for a cluster. */
import postgres from "postgres";
import type { SqlDriver } from "./driver.ts";
import type { Store } from "./mod.ts";
import { migrate, prepareSearchIndex, sqlStore, type SqlStoreOptions } from "./sql.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

function driver(sql: Sql, root: postgres.Sql): SqlDriver {
  return {
    dialect: "postgres",
    async query<T>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return [...rows] as T[];
    },
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      if (sql !== root) return await fn(driver(sql, root));
      return await root.begin((tx) => fn(driver(tx, root))) as T;
    },
    async exec(script: string) {
      await sql.unsafe(script);
    },
    async close() {
      await root.end({ timeout: 5 });
    },
  };
}

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions extends SqlStoreOptions {
  /** A `postgres://` URL. */
  url: string;
  /** Most connections in the pool. */
  poolSize: number;
}

/**
 * Opens the PostgreSQL store and runs pending migrations (serialized across
 * instances); with `searchIndex` given, applies it to the search index
 * (`prepareSearchIndex()`).
 */
export async function openPostgresStore(
  { url, poolSize, searchIndex }: PostgresStoreOptions,
): Promise<Store> {
  const sql = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 10,
    // int8 stays a decimal string, as the PGlite adapter does: ids do not fit a JS number.
    types: {
      bigint: { to: 20, from: [20], serialize: (v: unknown) => String(v), parse: (v: string) => v },
    },
  });
  const db = driver(sql, sql);
  await migrate(db);
  // Only the writer (task) says whether the index is on: a logic instance, which never saves
  // messages, opens without it and must not rebuild an index a task keeps off (a benchmark).
  if (searchIndex !== undefined) await prepareSearchIndex(db, { searchIndex });
  return sqlStore(db, { searchIndex });
}
