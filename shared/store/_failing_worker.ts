/**
 * A worker for worker_calls_test.ts: it answers `echo` through `answerCalls()`
 * and dies (an error thrown past every handler) on `crash`.
 */
/// <reference lib="deno.worker" />
import { answerCalls } from "./worker_calls.ts";

export type TestRequest = { id: number; op: "echo"; value: string } | { id: number; op: "crash" };

answerCalls<TestRequest>((request) => {
  if (request.op === "crash") {
    setTimeout(() => {
      throw new Error("boom");
    });
  }
  return Promise.resolve(request.op === "echo" ? request.value : new Promise(() => {}));
}, (error) => ({ message: String(error) }));
