/**
 * The store on PGlite: PostgreSQL compiled to WASM, data in a folder. The engine
 * runs on a worker thread (pglite_worker.ts), so its work does not hold up the
 * sockets and the rest of the process on the main thread.
 */
import { oneSession, type SessionEngine, type SqlDriver } from "./driver.ts";
import type { WorkerReply, WorkerRequest } from "./pglite_worker.ts";
import type { Store } from "./mod.ts";
import { migrate, sqlStore } from "./sql.ts";

/** An engine error carried over from the worker, with its SQLSTATE code. */
class PgliteError extends Error {
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "PgliteError";
    this.code = code;
  }
}

type Request = WorkerRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never
  : never;

/** The main thread's end of the worker: requests posted in order, answered by id. */
class Engine {
  readonly #worker = new Worker(new URL("./pglite_worker.ts", import.meta.url), {
    type: "module",
  });
  readonly #waiting = new Map<
    number,
    { resolve: (rows: unknown[]) => void; reject: (e: Error) => void }
  >();
  #nextId = 0;

  constructor() {
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const waiting = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (reply.error) waiting?.reject(new PgliteError(reply.error.message, reply.error.code));
      else waiting?.resolve(reply.rows ?? []);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      const error = new PgliteError(`The PGlite worker failed: ${event.message}`);
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
  }

  call(request: Request): Promise<unknown[]> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/** The PGlite session as `oneSession()` drives it. */
function session(engine: Engine): SessionEngine {
  return {
    dialect: "postgres",
    begin: "BEGIN",
    query: (text, params) => engine.call({ op: "query", text, params: [...params] }),
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
export interface PgliteStoreOptions {
  /** A folder for the data; `memory://` keeps it in memory only. */
  dataDir: string;
}

/** Opens the PGlite database of a data folder (creating it if needed), migrated. */
export async function openPgliteDriver({ dataDir }: PgliteStoreOptions): Promise<SqlDriver> {
  const engine = new Engine();
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
  return sqlStore(await openPgliteDriver(options));
}
