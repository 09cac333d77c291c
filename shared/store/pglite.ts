/** The store on PGlite: PostgreSQL compiled to WASM, in this process, data in a folder. */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { SqlDriver } from "./driver.ts";
import { migrate, SqlStore } from "./sql.ts";

const INT8 = 20;
const parsers = { [INT8]: (value: string) => value };

type Queryable = PGlite | Transaction;

function driver(db: Queryable, root: PGlite): SqlDriver {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      if (db !== root) return await fn(driver(db, root));
      return await root.transaction((tx) => fn(driver(tx, root)));
    },
    async exec(script: string) {
      await db.exec(script);
    },
    async close() {
      await root.close();
    },
  };
}

/** Options of the PGlite store. */
export interface PgliteStoreOptions {
  /** A folder for the data; `memory://` keeps it in memory only. */
  dataDir: string;
}

/** Opens (creating and migrating if needed) the PGlite store. */
export async function openPgliteStore({ dataDir }: PgliteStoreOptions): Promise<SqlStore> {
  const db = new PGlite(dataDir, { parsers });
  await db.waitReady;
  const sql = driver(db, db);
  await migrate(sql);
  return new SqlStore(sql);
}
