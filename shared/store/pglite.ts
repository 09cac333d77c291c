/**
 * The store on PGlite: PostgreSQL compiled to WASM, data in a folder. The engine
 * runs on a worker thread (pglite_worker.ts), so its work does not hold up the
 * sockets and the rest of the process on the main thread.
 */
import type { SqlDriver } from "./driver.ts";
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

/**
 * A driver over the one PGlite session. Statements go to the worker as they
 * come, except while a transaction is open: then only the transaction's own
 * statements go, and the others wait for its end (they would run inside it).
 */
function driver(engine: Engine): SqlDriver {
  let open: Promise<void> | null = null;
  const outside = async <T>(run: () => Promise<T>): Promise<T> => {
    while (open) await open;
    return await run();
  };
  const inside = (): SqlDriver => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      return await engine.call({ op: "query", text, params: [...params] }) as T[];
    },
    transaction: (fn) => fn(inside()),
    async exec(text: string) {
      await engine.call({ op: "exec", text });
    },
    close: () => Promise.resolve(),
  });
  const tx = inside();
  return {
    query: (text, params) => outside(() => tx.query(text, params)),
    exec: (text) => outside(() => tx.exec(text)),
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      while (open) await open;
      let end!: () => void;
      open = new Promise((resolve) => end = resolve);
      try {
        await tx.exec("BEGIN");
        try {
          const result = await fn(tx);
          await tx.exec("COMMIT");
          return result;
        } catch (error) {
          await tx.exec("ROLLBACK").catch(() => {});
          throw error;
        }
      } finally {
        open = null;
        end();
      }
    },
    async close() {
      await outside(() => engine.call({ op: "close" }));
      engine.terminate();
    },
  };
}

/** Options of the PGlite store. */
export interface PgliteStoreOptions {
  /** A folder for the data; `memory://` keeps it in memory only. */
  dataDir: string;
}

/** Opens (creating and migrating if needed) the PGlite store. */
export async function openPgliteStore({ dataDir }: PgliteStoreOptions): Promise<Store> {
  const engine = new Engine();
  try {
    await engine.call({ op: "open", dataDir });
  } catch (error) {
    engine.terminate();
    throw error;
  }
  const sql = driver(engine);
  await migrate(sql);
  return sqlStore(sql);
}
