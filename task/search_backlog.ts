/**
 * The search backlog runner: indexes, in the background, the text messages
 * stored before the search index existed (`MessageStore.indexBacklog`), a
 * batch at a time, newest first, until none is left. Every task instance runs
 * one (the store lets several work at once without repeating work), and so does
 * the embedded mode; a restart resumes where the store left off. Until it ends,
 * a search does not find those older messages: the index fills from the newest
 * down, so recent messages are found first.
 */
import type { MessageStore } from "../shared/store/mod.ts";

/** Messages indexed in one batch: one transaction, short enough not to hold up saves. */
const BATCH = 1000;
/** The pause between batches, which leaves the engine to the live traffic (SQLite runs one call at a time). */
const PAUSE_MS = 100;
/** The wait after a failed batch (the engine is down or busy) before the next try. */
const RETRY_MS = 5000;

/** Waits `ms`, or less when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Options of `startSearchBacklog()`. */
export interface SearchBacklogOptions {
  messages: Pick<MessageStore, "indexBacklog">;
  batch?: number;
  pauseMs?: number;
  retryMs?: number;
  /** Where the start and end lines go. */
  log?: (line: string) => void;
  /** A batch that failed (it is tried again after `retryMs`). */
  onError?: (error: unknown) => void;
  sleep?: Sleep;
  now?: () => number;
}

/** A running backlog. */
export interface SearchBacklog {
  /** Resolves when the backlog is empty, or the runner stopped. */
  readonly done: Promise<void>;
  /** Stops after the batch in progress; resolves once that batch ended. */
  close(): Promise<void>;
}

/** A timer that an abort cuts short, unreferenced (a backlog never holds a process open). */
function platformSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    Deno.unrefTimer(timer);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Starts indexing the backlog in the background: one line when it starts, one when it ends. */
export function startSearchBacklog(
  {
    messages,
    batch = BATCH,
    pauseMs = PAUSE_MS,
    retryMs = RETRY_MS,
    log = console.log,
    onError = (error) => console.error("search backlog: a batch failed:", error),
    sleep = platformSleep,
    now = Date.now,
  }: SearchBacklogOptions,
): SearchBacklog {
  const stop = new AbortController();

  async function run(): Promise<void> {
    const started = now();
    log(`search backlog: indexing the messages stored before the search index, ${batch} a batch`);
    let indexed = 0;
    while (!stop.signal.aborted) {
      let count: number;
      try {
        count = await messages.indexBacklog(batch);
      } catch (error) {
        onError(error);
        await sleep(retryMs, stop.signal);
        continue;
      }
      indexed += count;
      if (count === 0) {
        const seconds = ((now() - started) / 1000).toFixed(1);
        return log(`search backlog: done, ${indexed} messages indexed in ${seconds} s`);
      }
      await sleep(pauseMs, stop.signal);
    }
    log(`search backlog: stopped after ${indexed} messages; the next start goes on`);
  }

  const done = run();
  return {
    done,
    async close() {
      stop.abort();
      await done;
    },
  };
}
