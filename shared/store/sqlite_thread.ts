/**
 * The main thread's end of the SQLite store on a worker (`sqlite_worker.ts`):
 * a `Store` whose every port call is one message to the worker and one back.
 * The batch save is one call too, so a batch costs the main thread a copy of
 * its messages, not its statements.
 */
import { AppError, type ErrorCode } from "../errors.ts";
import type { Store } from "./mod.ts";
import type { SqliteSynchronous } from "./sqlite.ts";
import type { PortName, SqliteWorkerReply, SqliteWorkerRequest } from "./sqlite_worker.ts";

type Request = SqliteWorkerRequest extends infer R
  ? R extends { id: number } ? Omit<R, "id"> : never
  : never;

/** The worker and the calls waiting for its answers, by id. */
class Thread {
  readonly #worker = new Worker(new URL("./sqlite_worker.ts", import.meta.url), {
    type: "module",
  });
  readonly #waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  #nextId = 0;
  /** Why the worker is gone, once it is: every later call fails at once with it. */
  #dead: AppError | null = null;

  constructor() {
    this.#worker.onmessage = (event: MessageEvent<SqliteWorkerReply>) => {
      const reply = event.data;
      const waiting = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (!reply.error) {
        waiting?.resolve(reply.value);
        return;
      }
      const { message, code, retryAfter } = reply.error;
      waiting?.reject(
        code ? new AppError(code as ErrorCode, message, { retryAfter }) : new Error(message),
      );
    };
    // A worker that throws past its handler stops answering: say so to every call, now and later
    // (readiness fails, so an operator or supervisor sees it, and nothing waits forever).
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#die(new AppError("unavailable", `The SQLite worker failed: ${event.message}`));
    };
    this.#worker.onmessageerror = () =>
      this.#die(new AppError("unavailable", "The SQLite worker sent an unreadable answer"));
  }

  #die(error: AppError): void {
    this.#dead = error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }

  call(request: Request): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ ...request, id } as SqliteWorkerRequest);
      } catch (error) {
        // An argument that cannot be copied to the worker (a bug): the call fails, nothing leaks.
        this.#waiting.delete(id);
        reject(error);
      }
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/** A port whose methods each post a call to the worker (not a thenable: `then` is not a method). */
function port<T extends object>(thread: Thread, name: PortName): T {
  return new Proxy({}, {
    get: (_, method) =>
      typeof method === "string" && method !== "then"
        ? (...args: unknown[]) => thread.call({ op: "call", port: name, method, args })
        : undefined,
  }) as T;
}

/** Opens (creating and migrating if needed) the SQLite store of a data folder on a worker thread. */
export async function openSqliteStoreOnWorker(
  { dataDir, synchronous = "normal" }: { dataDir: string; synchronous?: SqliteSynchronous },
): Promise<Store> {
  const thread = new Thread();
  try {
    await thread.call({ op: "open", dataDir, synchronous });
  } catch (error) {
    thread.terminate();
    throw error;
  }
  return {
    accounts: port(thread, "accounts"),
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
