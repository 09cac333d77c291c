/**
 * The search indexer: keeps the message search index up to date in the
 * background, off the send path. A save only queues each new text message
 * (`MessageStore.indexPending` indexes the queue by the messages' current text);
 * the text messages stored before the index existed are its backlog
 * (`MessageStore.indexBacklog`, newest first), taken once the queue is empty.
 * Every task instance runs one (the store lets several work at once without
 * repeating work), and so does the embedded mode; a restart resumes where the
 * store left off.
 *
 * A batch is one transaction. While more is waiting, the indexer pauses three
 * times as long as its last batch took, so it takes at most a quarter of the
 * engine's time from live traffic (SQLite runs one call at a time): under a
 * sustained load above what that quarter indexes, search falls behind and
 * catches up when the load eases. With nothing waiting it looks again every
 * `idleMs`, which bounds how long a new message takes to be found in quiet times.
 */
import { type Fields, logger } from "../shared/log.ts";
import type { MessageStore } from "../shared/store/mod.ts";

/** Messages indexed in one batch: one transaction, short enough not to hold up saves. */
const BATCH = 200;
/** How long the engine is left to live traffic after a batch, per ms the batch took. */
const PAUSE_PER_BUSY_MS = 3;
/** The shortest pause between batches while more is waiting. */
const MIN_PAUSE_MS = 10;
/** How often the queue is looked at when it was empty. */
const IDLE_MS = 100;
/** The wait after a failed batch (the engine is down or busy) before the next try. */
const RETRY_MS = 5000;
/** A catch-up of at least this many messages is logged when it ends. */
const LOGGED_CATCH_UP = 10_000;

/** Waits `ms`, or less when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

const indexerLog = logger("search_indexer");

/** Options of `startSearchIndexer()`. */
export interface SearchIndexerOptions {
  messages: Pick<MessageStore, "indexPending" | "indexBacklog">;
  batch?: number;
  idleMs?: number;
  minPauseMs?: number;
  retryMs?: number;
  /** A catch-up of at least this many messages gets a line when it ends. */
  loggedCatchUp?: number;
  /** Where the start line and the catch-up lines go (info lines of the logger by default). */
  log?: (message: string, fields: Fields) => void;
  /** A batch that failed (it is tried again after `retryMs`). */
  onError?: (error: unknown) => void;
  sleep?: Sleep;
  now?: () => number;
}

/** A running indexer. */
export interface SearchIndexer {
  /** Stops after the batch in progress; resolves once that batch ended. */
  close(): Promise<void>;
}

/** A timer that an abort cuts short, unreferenced (an indexer never holds a process open). */
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

/** Starts indexing in the background until closed. */
export function startSearchIndexer(
  {
    messages,
    batch = BATCH,
    idleMs = IDLE_MS,
    minPauseMs = MIN_PAUSE_MS,
    retryMs = RETRY_MS,
    loggedCatchUp = LOGGED_CATCH_UP,
    log = (message, fields) => indexerLog.info(message, fields),
    onError = (error) => indexerLog.error("a batch failed", { error }),
    sleep = platformSleep,
    now = Date.now,
  }: SearchIndexerOptions,
): SearchIndexer {
  const stop = new AbortController();

  async function run(): Promise<void> {
    log("indexing new messages in the background", { batch });
    /** The catch-up in progress: since when, and how many so far. */
    let behind: { since: number; indexed: number } | null = null;
    while (!stop.signal.aborted) {
      const started = now();
      let count: number;
      try {
        count = await messages.indexPending(batch);
        if (count < batch) count += await messages.indexBacklog(batch - count);
      } catch (error) {
        onError(error);
        await sleep(retryMs, stop.signal);
        continue;
      }
      if (count > 0) {
        behind ??= { since: started, indexed: 0 };
        behind.indexed += count;
      }
      if (count >= batch) {
        await sleep(Math.max(minPauseMs, PAUSE_PER_BUSY_MS * (now() - started)), stop.signal);
        continue;
      }
      if (behind && behind.indexed >= loggedCatchUp) {
        const seconds = (now() - behind.since) / 1000;
        log("search index caught up", { messages: behind.indexed, seconds });
      }
      behind = null;
      await sleep(idleMs, stop.signal);
    }
  }

  const done = run();
  return {
    async close() {
      stop.abort();
      await done;
    },
  };
}
