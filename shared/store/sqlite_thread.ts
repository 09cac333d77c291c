/**
 * The main thread's end of the SQLite store on a worker (`sqlite_worker.ts`):
 * a `Store` whose every port call is one message to the worker and one back.
 * The batch save is one call too, so a batch costs the main thread a copy of
 * its messages, not its statements.
 */
import { AppError, type ErrorCode } from "../errors.ts";
import type { Store } from "./mod.ts";
import type { SqliteSynchronous } from "./sqlite.ts";
import type { PortName, SqliteWorkerRequest } from "./sqlite_worker.ts";
import { WorkerCalls } from "./worker_calls.ts";

/** A port whose methods each post a call to the worker (not a thenable: `then` is not a method). */
function port<T extends object>(
  thread: WorkerCalls<SqliteWorkerRequest>,
  name: PortName,
): T {
  return new Proxy({}, {
    get: (_, method) =>
      typeof method === "string" && method !== "then"
        ? (...args: unknown[]) => thread.call({ op: "call", port: name, method, args })
        : undefined,
  }) as T;
}

/** Opens (creating and migrating if needed) the SQLite store of a data folder on a worker thread. */
export async function openSqliteStoreOnWorker(
  { dataDir, synchronous = "normal", searchIndex = true }: {
    dataDir: string;
    synchronous?: SqliteSynchronous;
    /** See `SqlStoreOptions.searchIndex`. */
    searchIndex?: boolean;
  },
): Promise<Store> {
  const thread = new WorkerCalls<SqliteWorkerRequest>(
    new URL("./sqlite_worker.ts", import.meta.url),
    "SQLite",
    ({ message, code, retryAfter }) =>
      code ? new AppError(code as ErrorCode, message, { retryAfter }) : new Error(message),
  );
  try {
    await thread.call({ op: "open", dataDir, synchronous, searchIndex });
  } catch (error) {
    thread.terminate();
    throw error;
  }
  return {
    accounts: port(thread, "accounts"),
    admin: port(thread, "admin"),
    blocks: port(thread, "blocks"),
    friends: port(thread, "friends"),
    groups: port(thread, "groups"),
    media: port(thread, "media"),
    messages: port(thread, "messages"),
    async ping() {
      await thread.call({ op: "ping" });
    },
    async close() {
      await thread.call({ op: "close" });
      thread.terminate();
    },
  };
}
