import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import { testMessageLog } from "./_contract.ts";
import { MemoryLog } from "./memory.ts";

testMessageLog(
  "MemoryLog",
  () => Promise.resolve(new MemoryLog({ retryMs: 10, onError: () => {} })),
);

Deno.test("MemoryLog.append() rejects with unavailable, and never hands the record over, once it times out", async () => {
  const log = new MemoryLog({ retryMs: 20, appendTimeoutMs: 50, onError: () => {} });
  let failing = true;
  const handed: number[] = [];
  log.consume((batch) => {
    if (failing) return Promise.reject(new Error("store down"));
    handed.push(batch.length);
    return Promise.resolve();
  });
  const record = { type: "kick" as const, tokenHashes: ["x"] };
  const error = await assertRejects(() => log.append([record]), AppError);
  assertEquals((error as AppError).code, "unavailable");
  failing = false;
  await log.append([record]);
  assertEquals(handed, [1]);
  await log.close();
});
