/**
 * The PGlite engine on its own thread: it answers the statements the main
 * thread posts, one at a time in the order they arrive. Started by pglite.ts.
 */
/// <reference lib="deno.worker" />
import { PGlite } from "@electric-sql/pglite";
import { answerCalls } from "./worker_calls.ts";

const INT8 = 20;
const parsers = { [INT8]: (value: string) => value };

/** A request from the main thread. */
export type WorkerRequest =
  | { id: number; op: "open"; dataDir: string }
  | { id: number; op: "query"; text: string; params: unknown[] }
  | { id: number; op: "exec"; text: string }
  | { id: number; op: "close" };

let db: PGlite | null = null;

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

// PGlite queues calls itself; answering in order keeps its replies in request order.
answerCalls(run, (error) => {
  const { message, code } = error as { message?: string; code?: string };
  return { message: message ?? String(error), code };
});
