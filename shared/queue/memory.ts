/** The status queue in this process's memory, for the embedded mode. */
import { logger } from "../log.ts";
import type { StatusChange, StatusQueue } from "./mod.ts";

/** An in-memory FIFO of status changes with one consumer. */
export class MemoryStatusQueue implements StatusQueue {
  readonly #onError: (error: unknown) => void;
  readonly #retryMs: number;
  #items: StatusChange[] = [];
  #handler: ((change: StatusChange) => Promise<void>) | null = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(
    {
      onError = (error) => logger("status_queue").error("status queue failed", { error }),
      retryMs = 200,
    }: {
      onError?: (e: unknown) => void;
      retryMs?: number;
    } = {},
  ) {
    this.#onError = onError;
    this.#retryMs = retryMs;
  }

  push(change: StatusChange): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#items.push(change);
    this.#kick();
    return Promise.resolve();
  }

  consume(handler: (change: StatusChange) => Promise<void>): void {
    this.#handler = handler;
    this.#kick();
  }

  #kick(): void {
    if (this.#running || !this.#handler || this.#closed) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#items.length > 0 && this.#handler && !this.#closed) {
      try {
        await this.#handler(this.#items[0]);
        this.#items.shift();
      } catch (error) {
        this.#onError(error);
        await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}
