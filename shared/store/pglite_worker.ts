/**
 * The PGlite engine on its own thread: it answers the statements the main
 * thread posts, one at a time in the order they arrive. Started by pglite.ts.
 */
/// <reference lib="deno.worker" />
import { PGlite } from "@electric-sql/pglite";

const INT8 = 20;
const parsers = { [INT8]: (value: string) => value };

/** A request from the main thread. */
export type WorkerRequest =
  | { id: number; op: "open"; dataDir: string }
  | { id: number; op: "query"; text: string; params: unknown[] }
  | { id: number; op: "exec"; text: string }
  | { id: number; op: "close" };

/** The answer to a request: rows, or the error with its SQLSTATE code. */
export type WorkerReply =
  | { id: number; rows?: unknown[]; error?: undefined }
  | { id: number; error: { message: string; code?: string } };

let db: PGlite | null = null;
// PGlite queues calls itself; this chain only keeps replies in request order.
let chain = Promise.resolve();

async function run(request: WorkerRequest): Promise<unknown[] | undefined> {
  if (request.op === "open") {
    db = new PGlite(request.dataDir, { parsers });
    await db.waitReady;
    return undefined;
  }
  if (!db) throw new Error("PGlite is not open");
  switch (request.op) {
    case "query":
      return (await db.query(request.text, request.params)).rows;
    case "exec":
      await db.exec(request.text);
      return undefined;
    case "close":
      await db.close();
      db = null;
      return undefined;
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  chain = chain.then(async () => {
    try {
      const rows = await run(request);
      self.postMessage({ id: request.id, rows } satisfies WorkerReply);
    } catch (error) {
      const { message, code } = error as { message?: string; code?: string };
      self.postMessage(
        {
          id: request.id,
          error: { message: message ?? String(error), code },
        } satisfies WorkerReply,
      );
    }
  });
};
