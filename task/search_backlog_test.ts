/** The search backlog runner: batches until the store says none is left, pauses, retries, stops on close. */
import { assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryLog } from "../shared/message_log/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { MemoryStatusQueue } from "../shared/queue/memory.ts";
import { createTask, type TaskOptions } from "./mod.ts";
import { type Sleep, startSearchBacklog } from "./search_backlog.ts";

/** A store with `left` messages to index, which records the batch sizes asked for. */
function backlogOf(left: number, { failures = 0 } = {}) {
  const asked: number[] = [];
  return {
    asked,
    indexBacklog(limit: number): Promise<number> {
      asked.push(limit);
      if (failures > 0) {
        failures--;
        return Promise.reject(new AppError("unavailable", "The database is unavailable"));
      }
      const count = Math.min(limit, left);
      left -= count;
      return Promise.resolve(count);
    },
  };
}

/** A sleep that returns at once and records how long it was asked to wait. */
function instantSleep() {
  const waits: number[] = [];
  const sleep: Sleep = (ms) => (waits.push(ms), Promise.resolve());
  return { waits, sleep };
}

Deno.test("startSearchBacklog() indexes batch after batch, pausing between them, until none is left", async () => {
  const messages = backlogOf(7);
  const { waits, sleep } = instantSleep();
  const lines: string[] = [];
  let clock = 0;
  const backlog = startSearchBacklog({
    messages,
    batch: 3,
    pauseMs: 40,
    sleep,
    log: (line) => lines.push(line),
    now: () => (clock += 500),
  });
  await backlog.done;
  assertEquals(messages.asked, [3, 3, 3, 3], "until a batch finds nothing");
  assertEquals(waits, [40, 40, 40]);
  assertEquals(lines, [
    "search backlog: indexing the messages stored before the search index, 3 a batch",
    "search backlog: done, 7 messages indexed in 0.5 s",
  ]);
  await backlog.close();
  assertEquals(messages.asked.length, 4, "closing after the end does nothing");
});

Deno.test("startSearchBacklog() logs a failed batch and tries again after the retry wait", async () => {
  const messages = backlogOf(2, { failures: 2 });
  const { waits, sleep } = instantSleep();
  const errors: unknown[] = [];
  const backlog = startSearchBacklog({
    messages,
    batch: 5,
    pauseMs: 1,
    retryMs: 5000,
    sleep,
    log: () => {},
    onError: (error) => errors.push(error),
  });
  await backlog.done;
  assertEquals(errors.map((e) => (e as AppError).code), ["unavailable", "unavailable"]);
  assertEquals(waits, [5000, 5000, 1]);
  assertEquals(messages.asked, [5, 5, 5, 5]);
});

Deno.test("startSearchBacklog() close() stops during a pause and waits for the batch in flight", async () => {
  let release!: (count: number) => void;
  const asked: number[] = [];
  const messages = {
    indexBacklog(limit: number) {
      asked.push(limit);
      return new Promise<number>((resolve) => release = resolve);
    },
  };
  // A pause that lasts until the runner is stopped.
  const sleep: Sleep = (_ms, signal) =>
    new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  const lines: string[] = [];
  const backlog = startSearchBacklog({ messages, batch: 10, sleep, log: (l) => lines.push(l) });
  await Promise.resolve();
  release(10);
  // The first batch ended; the runner pauses (until stopped) when close() is called.
  await new Promise((resolve) => setTimeout(resolve, 0));
  let closed = false;
  const closing = backlog.close().then(() => closed = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(closed, true, "stopped in the pause");
  await closing;
  assertEquals(asked, [10], "no batch after close()");
  assertEquals(lines.at(-1), "search backlog: stopped after 10 messages; the next start goes on");

  const again = startSearchBacklog({ messages, batch: 10, sleep, log: () => {} });
  let stopped = false;
  const stopping = again.close().then(() => stopped = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stopped, false, "a batch in flight is waited for");
  release(0);
  await stopping;
  assertEquals(asked, [10, 10]);
});

Deno.test("startSearchBacklog() close() cuts the platform's pause short and leaves no timer", async () => {
  const messages = backlogOf(1_000_000);
  const backlog = startSearchBacklog({ messages, batch: 1, pauseMs: 3_600_000, log: () => {} });
  await new Promise((resolve) => setTimeout(resolve, 10));
  await backlog.close();
  assertEquals(messages.asked, [1], "one batch, then the pause of an hour, cut short");
});

Deno.test("createTask() runs the backlog only when asked to, and close() stops it", async () => {
  for (const searchBacklog of [false, true]) {
    const messages = backlogOf(0);
    const task = createTask({
      log: new MemoryLog(),
      statusQueue: new MemoryStatusQueue(),
      store: { messages } as unknown as TaskOptions["store"],
      presence: new MemoryPresence(),
      connects: { connectServers: () => [], connect: () => undefined },
      searchBacklog,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await task.close();
    assertEquals(messages.asked, searchBacklog ? [1000] : [], `searchBacklog: ${searchBacklog}`);
  }
});
