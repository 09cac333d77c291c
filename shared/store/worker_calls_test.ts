import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import type { TestRequest } from "./_failing_worker.ts";
import { WorkerCalls } from "./worker_calls.ts";

Deno.test("a worker that dies fails the calls waiting on it and every later one, at once", async () => {
  const calls = new WorkerCalls<TestRequest>(
    new URL("./_failing_worker.ts", import.meta.url),
    "test",
    ({ message }) => new Error(message),
  );
  try {
    assertEquals(await calls.call({ op: "echo", value: "hi" }), "hi");
    const waiting = calls.call({ op: "crash" });
    const error = await assertRejects(() => waiting, AppError);
    assertEquals((error as AppError).code, "unavailable");
    assertEquals((error as AppError).message, "The test worker failed: Uncaught Error: boom");
    const later = await assertRejects(() => calls.call({ op: "echo", value: "again" }), AppError);
    assertEquals(later, error);
  } finally {
    calls.terminate();
  }
});
