/** The in-process message log: one ordered queue, consumed in batches, acked once processed. */
import { AsyncLocalStorage } from "node:async_hooks";
import { AppError } from "../errors.ts";
import { logger } from "../log.ts";
import { consumerLag, logAppendSeconds, secondsSince } from "../metrics.ts";
import type { LogHandler, LogRecord, MessageLog } from "./mod.ts";

// Each append and batch updates these: the labelled series are looked up once, here.
const appendSeconds = logAppendSeconds.labels("memory");
const lag = consumerLag.labels("0");

interface Entry {
  record: LogRecord;
  deadline: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Options of the in-process log. */
export interface MemoryLogOptions {
  /** Most records handed to the consumer at once. */
  maxBatch?: number;
  /** Wait before handing a failed batch over again, in milliseconds. */
  retryMs?: number;
  /** Where to report a failed batch. */
  onError?: (error: unknown) => void;
  /**
   * How long a record may wait to be consumed. Past it the record is dropped
   * before it is handed over (so it is never stored) and its append rejects with
   * `unavailable`: a client then retries with the same clientMsgId safely.
   */
  appendTimeoutMs?: number;
}

/** The in-process log; see the contract in mod.ts. */
export class MemoryLog implements MessageLog {
  readonly #maxBatch: number;
  readonly #retryMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #appendTimeoutMs: number;
  #queue: Entry[] = [];
  #handler: LogHandler | null = null;
  /**
   * Runs a function in the async context `consume()` was called in. A run of the consumer starts
   * from whichever append finds it idle; without this it would run, with every later batch, in
   * that append's context: one sender's trace on the lines and spans of everyone's records.
   */
  #inConsumerContext: <R>(fn: () => R) => R = (fn) => fn();
  #running: Promise<void> | null = null;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    {
      maxBatch = 2000,
      retryMs = 200,
      onError = (error) => logger("memory_log").error("a batch failed", { error }),
      appendTimeoutMs = 10_000,
    }: MemoryLogOptions = {},
  ) {
    this.#appendTimeoutMs = appendTimeoutMs;
    this.#maxBatch = maxBatch;
    this.#retryMs = retryMs;
    this.#onError = onError;
  }

  append(records: LogRecord[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AppError("unavailable", "The message log is closed"));
    }
    if (records.length === 0) return Promise.resolve();
    let pending = records.length;
    const deadline = Date.now() + this.#appendTimeoutMs;
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      for (const record of records) {
        this.#queue.push({
          record,
          deadline,
          resolve: () => --pending === 0 && resolve(),
          reject,
        });
      }
      this.#measureLag();
      this.#kick();
    }).then(() => appendSeconds.observe(secondsSince(started)));
  }

  consume(handler: LogHandler): void {
    if (this.#handler) throw new Error("Cannot consume the in-process log twice");
    this.#handler = handler;
    this.#inConsumerContext = AsyncLocalStorage.snapshot();
    this.#measureLag();
    this.#kick();
  }

  /**
   * Sets `im_consumer_lag` (partition `0`): the records appended and not yet consumed. Only
   * the consuming log sets it, as only task's process reports lag in a cluster.
   */
  #measureLag(): void {
    if (this.#handler) lag.set(this.#queue.length);
  }

  #kick(): void {
    if (
      this.#running || !this.#handler || this.#queue.length === 0 || this.#retryTimer !== undefined
    ) return;
    this.#running = this.#inConsumerContext(() => this.#drain()).finally(() => {
      this.#running = null;
      if (!this.#closed) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && this.#handler) {
      this.#dropExpired();
      if (this.#queue.length === 0) return;
      const batch = this.#queue.slice(0, this.#maxBatch);
      try {
        await this.#handler(batch.map((e) => e.record));
      } catch (error) {
        this.#onError(error);
        if (this.#closed) return;
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#kick();
        }, this.#retryMs);
        return;
      }
      this.#queue.splice(0, batch.length);
      this.#measureLag();
      for (const entry of batch) entry.resolve();
    }
  }

  #dropExpired(): void {
    const now = Date.now();
    if (this.#queue[0].deadline > now) return;
    const expired = this.#queue.filter((e) => e.deadline <= now);
    this.#queue = this.#queue.filter((e) => e.deadline > now);
    this.#measureLag();
    for (const entry of expired) {
      entry.reject(
        new AppError("unavailable", "The message log could not store the record in time"),
      );
    }
  }

  ping(): Promise<void> {
    return this.#closed
      ? Promise.reject(new AppError("unavailable", "The message log is closed"))
      : Promise.resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#running;
    const left = this.#queue;
    this.#queue = [];
    this.#measureLag();
    for (const entry of left) entry.reject(new AppError("unavailable", "The message log closed"));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
