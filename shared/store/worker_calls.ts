/**
 * Calls to a store engine on a worker thread, both ends: the main thread posts
 * requests numbered in order (`WorkerCalls`), the worker answers them one at a
 * time in that order (`answerCalls()`), each answer carrying the request's id
 * and its value or error. PGlite (`pglite.ts`) and SQLite (`sqlite_thread.ts`)
 * run on it.
 */
import { AppError } from "../errors.ts";

/** A failure as it crosses from the worker: its message and what the main thread needs to rebuild it. */
export interface WorkerFailure {
  message: string;
  code?: string;
  retryAfter?: number;
}

/** The answer to one request. */
export type WorkerReply =
  | { id: number; value: unknown; error?: undefined }
  | { id: number; error: WorkerFailure };

/** A request without the id `WorkerCalls` gives it. */
export type Unnumbered<R> = R extends { id: number } ? Omit<R, "id"> : never;

/** The main thread's end of a worker: requests posted in order, answered by id. */
export class WorkerCalls<R extends { id: number }> {
  readonly #worker: Worker;
  readonly #waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #failed: (failure: WorkerFailure) => Error;
  #nextId = 0;
  /** Why the worker is gone, once it is: every later call fails at once with it. */
  #dead: AppError | null = null;

  /** `failed` rebuilds the error of a call that failed in the worker; `name` says whose worker. */
  constructor(url: URL, name: string, failed: (failure: WorkerFailure) => Error) {
    this.#failed = failed;
    this.#worker = new Worker(url, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const waiting = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (reply.error) waiting?.reject(this.#failed(reply.error));
      else waiting?.resolve(reply.value);
    };
    // A worker that throws past its handler stops answering: say so to every call, now and later
    // (readiness fails, so an operator or supervisor sees it, and nothing waits forever).
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#die(new AppError("unavailable", `The ${name} worker failed: ${event.message}`));
    };
    this.#worker.onmessageerror = () =>
      this.#die(new AppError("unavailable", `The ${name} worker sent an unreadable answer`));
  }

  #die(error: AppError): void {
    this.#dead = error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }

  call(request: Unnumbered<R>): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ ...request, id });
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

/**
 * The worker's end: answers each request with what `run` gives for it, one
 * request at a time in the order they came; `describe` says what of a thrown
 * error crosses back.
 */
export function answerCalls<R extends { id: number }>(
  run: (request: R) => Promise<unknown>,
  describe: (error: unknown) => WorkerFailure,
): void {
  let chain = Promise.resolve();
  const self = globalThis as unknown as {
    onmessage: (event: MessageEvent<R>) => void;
    postMessage: (reply: WorkerReply) => void;
  };
  self.onmessage = (event) => {
    const request = event.data;
    chain = chain.then(async () => {
      try {
        self.postMessage({ id: request.id, value: await run(request) });
      } catch (error) {
        self.postMessage({ id: request.id, error: describe(error) });
      }
    });
  };
}
