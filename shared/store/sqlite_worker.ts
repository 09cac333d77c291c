/**
 * The SQLite store on its own thread: it answers the port calls the main
 * thread posts (`sqlite_thread.ts`), one at a time in the order they arrive,
 * so SQLite's work (statements, commits, checkpoints) runs beside the
 * sockets, not between them.
 */
/// <reference lib="deno.worker" />
import { AppError } from "../errors.ts";
import type { Store } from "./mod.ts";
import { openSqliteStore, type SqliteSynchronous } from "./sqlite.ts";
import { answerCalls } from "./worker_calls.ts";

/** A request from the main thread: open, a port's method with its arguments, or close. */
export type SqliteWorkerRequest =
  | {
    id: number;
    op: "open";
    dataDir: string;
    synchronous: SqliteSynchronous;
    searchIndex: boolean;
  }
  | { id: number; op: "call"; port: PortName; method: string; args: unknown[] }
  | { id: number; op: "ping" | "close" };

/** The store's ports, by their field in `Store`. */
export type PortName =
  | "accounts"
  | "admin"
  | "blocks"
  | "friends"
  | "groups"
  | "media"
  | "messages";

let store: Store | null = null;

async function run(request: SqliteWorkerRequest): Promise<unknown> {
  if (request.op === "open") {
    store = await openSqliteStore(request);
    return undefined;
  }
  if (!store) throw new Error("The SQLite store is not open");
  switch (request.op) {
    case "call": {
      const port = store[request.port] as unknown as Record<string, (...a: unknown[]) => unknown>;
      return await port[request.method](...request.args);
    }
    case "ping":
      return await store.ping();
    case "close":
      await store.close();
      store = null;
      return undefined;
  }
}

answerCalls(run, (error) => {
  const known = error instanceof AppError ? error : null;
  return {
    message: error instanceof Error ? error.message : String(error),
    code: known?.code,
    retryAfter: known?.retryAfter,
  };
});
