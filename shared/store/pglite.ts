/**
 * The store on PGlite: PostgreSQL compiled to WASM, data in a folder. The engine
 * runs on a worker thread (pglite_worker.ts), so its work does not hold up the
 * sockets and the rest of the process on the main thread.
 */
import { oneSession, type SessionEngine, type SqlDriver } from "./driver.ts";
import type { WorkerRequest } from "./pglite_worker.ts";
import { WorkerCalls } from "./worker_calls.ts";
import type { Store } from "./mod.ts";
import { migrate, openSqlStore, type SqlStoreOptions } from "./sql.ts";

/** An engine error carried over from the worker, with its SQLSTATE code. */
class PgliteError extends Error {
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "PgliteError";
    this.code = code;
  }
}

/** The PGlite session as `oneSession()` drives it. */
function session(engine: WorkerCalls<WorkerRequest>): SessionEngine {
  return {
    dialect: "postgres",
    begin: "BEGIN",
    query: async (text, params) =>
      (await engine.call({ op: "query", text, params: [...params] })) as unknown[] ?? [],
    async exec(text) {
      await engine.call({ op: "exec", text });
    },
    async close() {
      await engine.call({ op: "close" });
      engine.terminate();
    },
  };
}

/** Options of the PGlite store. */
export interface PgliteStoreOptions extends SqlStoreOptions {
  /** A folder for the data; `memory://` keeps it in memory only. */
  dataDir: string;
}

/** Opens the PGlite database of a data folder (creating it if needed), migrated. */
export async function openPgliteDriver({ dataDir }: PgliteStoreOptions): Promise<SqlDriver> {
  const engine = new WorkerCalls<WorkerRequest>(
    new URL("./pglite_worker.ts", import.meta.url),
    "PGlite",
    ({ message, code }) => new PgliteError(message, code),
  );
  try {
    await engine.call({ op: "open", dataDir });
  } catch (error) {
    engine.terminate();
    throw error;
  }
  const sql = oneSession(session(engine));
  await migrate(sql);
  return sql;
}

/** Opens (creating and migrating if needed) the PGlite store. */
export async function openPgliteStore(options: PgliteStoreOptions): Promise<Store> {
  return await openSqlStore(await openPgliteDriver(options), options);
}
