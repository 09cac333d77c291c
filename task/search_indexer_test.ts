/** The search indexer: the queue first, then the backlog; pauses that leave the engine to traffic; retries; close. */
import { assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryLog } from "../shared/message_log/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { MemoryPresenceNotices } from "../shared/presence_notices/memory.ts";
import { MemoryStatusQueue } from "../shared/queue/memory.ts";
import { createTask, type TaskOptions } from "./mod.ts";
import { type Sleep, startSearchIndexer } from "./search_indexer.ts";

/** A store with `pending` queued and `backlog` older messages, which records each call. */
function storeOf(pending: number, backlog: number, { failures = 0 } = {}) {
  const calls: string[] = [];
  const take = (left: number, limit: number) => Math.min(left, limit);
  const messages = {
    calls,
    add(more: number) {
      pending += more;
    },
    indexPending(limit: number): Promise<number> {
      calls.push(`pending ${limit}`);
      if (failures > 0) {
        failures--;
        return Promise.reject(new AppError("unavailable", "The database is unavailable"));
      }
      const count = take(pending, limit);
      pending -= count;
      return Promise.resolve(count);
    },
    indexBacklog(limit: number): Promise<number> {
      calls.push(`backlog ${limit}`);
      const count = take(backlog, limit);
      backlog -= count;
      return Promise.resolve(count);
    },
  };
  return messages;
}

/**
 * A sleep that records how long it was asked to wait, runs `onSleep` (which may add work),
 * and stops the indexer after `sleeps` waits.
 */
function countedSleep(sleeps: number, onSleep: (n: number) => void = () => {}) {
  const waits: number[] = [];
  let stop: () => void = () => {};
  const sleep: Sleep = (ms) => {
    waits.push(ms);
    onSleep(waits.length);
    if (waits.length >= sleeps) stop();
    return Promise.resolve();
  };
  return { waits, sleep, onStop: (fn: () => void) => stop = fn };
}

Deno.test("startSearchIndexer() takes the queue before the backlog, pauses 3× a busy batch, then idles", async () => {
  const messages = storeOf(5, 4);
  const { waits, sleep, onStop } = countedSleep(4);
  const lines: [string, Record<string, unknown>][] = [];
  let clock = 0;
  const indexer = startSearchIndexer({
    messages,
    batch: 3,
    idleMs: 100,
    minPauseMs: 10,
    loggedCatchUp: 5,
    sleep,
    log: (line, fields) => lines.push([line, fields]),
    // Each call to now() advances 2 ms: a batch "takes" 2 ms.
    now: () => (clock += 2),
  });
  let closing: Promise<void> | undefined;
  onStop(() => closing = indexer.close());
  await new Promise((resolve) => setTimeout(resolve, 10));
  await closing;
  assertEquals(messages.calls, [
    "pending 3", // 3 of the queue: a full batch, more may wait
    "pending 3", // the last 2, then 1 of the backlog
    "backlog 1",
    "pending 3", // none queued: 3 of the backlog
    "backlog 3",
    "pending 3", // nothing left
    "backlog 3",
  ]);
  assertEquals(waits, [10, 10, 10, 100], "a short pause while behind (3 × 2 ms < 10), then idle");
  assertEquals(lines, [
    ["indexing new messages in the background", { batch: 3 }],
    ["search index caught up", { messages: 9, seconds: 0.014 }],
  ]);
});

Deno.test("startSearchIndexer() pauses three times as long as a slow batch took", async () => {
  const messages = storeOf(10, 0);
  const { waits, sleep, onStop } = countedSleep(2);
  let clock = 0;
  const indexer = startSearchIndexer({
    messages,
    batch: 5,
    sleep,
    log: () => {},
    now: () => (clock += 20),
  });
  let closing: Promise<void> | undefined;
  onStop(() => closing = indexer.close());
  await new Promise((resolve) => setTimeout(resolve, 10));
  await closing;
  assertEquals(waits, [60, 60], "3 × 20 ms for each full batch");
});

Deno.test("startSearchIndexer() finds messages queued while it idles", async () => {
  const messages = storeOf(0, 0);
  const { sleep, onStop } = countedSleep(3, (n) => n === 1 && messages.add(2));
  const indexer = startSearchIndexer({ messages, batch: 5, sleep, log: () => {} });
  let closing: Promise<void> | undefined;
  onStop(() => closing = indexer.close());
  await new Promise((resolve) => setTimeout(resolve, 10));
  await closing;
  assertEquals(messages.calls.filter((c) => c.startsWith("pending")).length, 3);
  assertEquals(messages.calls.at(-1), "backlog 5");
  assertEquals(await messages.indexPending(5), 0, "the two queued while idle were indexed");
});

Deno.test("startSearchIndexer() logs a failed batch and tries again after the retry wait", async () => {
  const messages = storeOf(2, 0, { failures: 2 });
  const { waits, sleep, onStop } = countedSleep(3);
  const errors: unknown[] = [];
  const indexer = startSearchIndexer({
    messages,
    batch: 5,
    idleMs: 1,
    retryMs: 5000,
    sleep,
    log: () => {},
    onError: (error) => errors.push(error),
  });
  let closing: Promise<void> | undefined;
  onStop(() => closing = indexer.close());
  await new Promise((resolve) => setTimeout(resolve, 10));
  await closing;
  assertEquals(errors.map((e) => (e as AppError).code), ["unavailable", "unavailable"]);
  assertEquals(waits, [5000, 5000, 1]);
  assertEquals(await messages.indexPending(5), 0, "the queue was indexed after the failures");
});

Deno.test("startSearchIndexer() close() stops during a pause and waits for the batch in flight", async () => {
  let release!: (count: number) => void;
  const asked: number[] = [];
  const messages = {
    indexPending(limit: number) {
      asked.push(limit);
      return new Promise<number>((resolve) => release = resolve);
    },
    indexBacklog: () => Promise.resolve(0),
  };
  // A pause that lasts until the indexer is stopped.
  const sleep: Sleep = (_ms, signal) =>
    new Promise((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })
    );
  const indexer = startSearchIndexer({ messages, batch: 10, sleep, log: () => {} });
  await Promise.resolve();
  release(10);
  await new Promise((resolve) => setTimeout(resolve, 0));
  let closed = false;
  const closing = indexer.close().then(() => closed = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(closed, true, "stopped in the pause");
  await closing;
  assertEquals(asked, [10], "no batch after close()");

  const again = startSearchIndexer({ messages, batch: 10, sleep, log: () => {} });
  let stopped = false;
  const stopping = again.close().then(() => stopped = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stopped, false, "a batch in flight is waited for");
  release(0);
  await stopping;
  assertEquals(asked, [10, 10]);
});

Deno.test("startSearchIndexer() close() cuts the platform's pause short and leaves no timer", async () => {
  const messages = storeOf(0, 0);
  const indexer = startSearchIndexer({ messages, batch: 1, idleMs: 3_600_000, log: () => {} });
  await new Promise((resolve) => setTimeout(resolve, 10));
  await indexer.close();
  assertEquals(
    messages.calls,
    ["pending 1", "backlog 1"],
    "one look, then an hour's idle, cut short",
  );
});

Deno.test("createTask() runs the indexer only when asked to, and close() stops it", async () => {
  for (const searchIndexer of [false, true]) {
    const messages = storeOf(0, 0);
    const task = createTask({
      log: new MemoryLog(),
      statusQueue: new MemoryStatusQueue(),
      store: { messages } as unknown as TaskOptions["store"],
      presence: new MemoryPresence(),
      notices: new MemoryPresenceNotices(),
      connects: { connectServers: () => [], connect: () => undefined },
      searchIndexer,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await task.close();
    assertEquals(
      messages.calls,
      searchIndexer ? ["pending 200", "backlog 200"] : [],
      `searchIndexer: ${searchIndexer}`,
    );
  }
});
