import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import { testMessageLog } from "./_contract.ts";
import { MemoryLog } from "./memory.ts";
import { consumerLag, logAppendSeconds } from "../metrics.ts";

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

Deno.test("MemoryLog sets im_consumer_lag to the records appended and not yet consumed, and times appends", async () => {
  const lag = () => consumerLag.get().then((m) => m.values.find((v) => v.labels.partition === "0"));
  const appends = async () =>
    (await logAppendSeconds.get()).values.find((v) =>
      v.metricName === "im_log_append_seconds_count" && v.labels.log === "memory"
    )?.value ?? 0;
  const before = await appends();
  const log = new MemoryLog({ retryMs: 10, onError: () => {} });
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  log.consume(() => held);
  const record = { type: "kick" as const, tokenHashes: ["x"] };
  const first = log.append([record, record]);
  const second = log.append([record]);
  assertEquals((await lag())?.value, 3);
  release();
  await Promise.all([first, second]);
  assertEquals((await lag())?.value, 0);
  assertEquals(await appends(), before + 2);
  await log.close();
});

Deno.test("MemoryLog updates its metrics through series labelled once, not a label lookup per append", async () => {
  const lookups: string[] = [];
  const { observe } = logAppendSeconds;
  const { set } = consumerLag;
  logAppendSeconds.observe = function (this: typeof logAppendSeconds, ...args: unknown[]) {
    lookups.push("im_log_append_seconds");
    return (observe as (...args: unknown[]) => void).apply(this, args);
  } as typeof observe;
  consumerLag.set = function (this: typeof consumerLag, ...args: unknown[]) {
    lookups.push("im_consumer_lag");
    return (set as (...args: unknown[]) => void).apply(this, args);
  } as typeof set;
  const log = new MemoryLog({ onError: () => {} });
  try {
    log.consume(() => Promise.resolve());
    for (let i = 0; i < 10; i++) await log.append([{ type: "kick", tokenHashes: ["x"] }]);
  } finally {
    logAppendSeconds.observe = observe;
    consumerLag.set = set;
    await log.close();
  }
  assertEquals(lookups, []);
});
