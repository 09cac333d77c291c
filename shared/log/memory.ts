/** The in-process message log: one ordered queue, consumed in batches, acked once processed. */
import { AppError } from "../errors.ts";
import type { LogHandler, LogRecord, MessageLog } from "./mod.ts";

interface Entry {
  record: LogRecord;
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
}

/** The in-process log; see the contract in mod.ts. */
export class MemoryLog implements MessageLog {
  readonly #maxBatch: number;
  readonly #retryMs: number;
  readonly #onError: (error: unknown) => void;
  #queue: Entry[] = [];
  #handler: LogHandler | null = null;
  #running: Promise<void> | null = null;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor({ maxBatch = 2000, retryMs = 200, onError = console.error }: MemoryLogOptions = {}) {
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
    return new Promise((resolve, reject) => {
      for (const record of records) {
        this.#queue.push({
          record,
          resolve: () => --pending === 0 && resolve(),
          reject,
        });
      }
      this.#kick();
    });
  }

  consume(handler: LogHandler): void {
    if (this.#handler) throw new Error("Cannot consume the in-process log twice");
    this.#handler = handler;
    this.#kick();
  }

  #kick(): void {
    if (
      this.#running || !this.#handler || this.#queue.length === 0 || this.#retryTimer !== undefined
    ) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      if (!this.#closed) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && this.#handler) {
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
      for (const entry of batch) entry.resolve();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#running;
    const left = this.#queue;
    this.#queue = [];
    for (const entry of left) entry.reject(new AppError("unavailable", "The message log closed"));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
