/**
 * A connection's inbound queue: frames wait here, in arrival order, for one
 * worker that handles them one after another. It is bounded (frames and
 * bytes), so a client cannot make the server hold more than that for it, and
 * it is dropped when the connection closes, so no work goes on for a client
 * that left.
 */

/** How much one connection may have waiting. */
export interface InboxLimits {
  /** Frames queued and not yet taken. */
  frames: number;
  /** Their size, in UTF-16 code units of their text (about bytes). */
  bytes: number;
}

/** The bounded queue of one connection and its worker. */
export class Inbox<T> {
  readonly #limits: InboxLimits;
  readonly #work: (inbox: Inbox<T>) => Promise<void>;
  readonly #onIdle: ((inbox: Inbox<T>) => void) | undefined;
  readonly #items: { item: T; size: number }[] = [];
  #bytes = 0;
  #closed = false;
  #running: Promise<void> | null = null;

  /**
   * `work` takes one or more items with `shift()` each time it is called; it
   * runs again while items remain, never twice at once, and must not throw.
   * `onIdle` is told each time the worker stops with nothing left queued (and the
   * queue not closed): its owner may drop the queue until a frame comes, as an
   * idle connection then costs no queue.
   */
  constructor(
    limits: InboxLimits,
    work: (inbox: Inbox<T>) => Promise<void>,
    onIdle?: (inbox: Inbox<T>) => void,
  ) {
    this.#limits = limits;
    this.#work = work;
    this.#onIdle = onIdle;
  }

  /** Whether the worker is at work (an item in hand). */
  get busy(): boolean {
    return this.#running !== null;
  }

  /** Items waiting. */
  get length(): number {
    return this.#items.length;
  }

  /**
   * Queues an item of `size`, and starts the worker if it is idle (in a
   * microtask: items pushed together are there together for it). Returns
   * false, queueing nothing, when the queue is full or closed.
   */
  push(item: T, size: number): boolean {
    if (this.#closed) return false;
    const full = this.#items.length >= this.#limits.frames ||
      // One frame alone always fits, whatever its size.
      (this.#items.length > 0 && this.#bytes + size > this.#limits.bytes);
    if (full) return false;
    this.#items.push({ item, size });
    this.#bytes += size;
    this.#running ??= Promise.resolve().then(() => this.#run());
    return true;
  }

  /** The next item, taken off the queue. */
  shift(): T | undefined {
    const next = this.#items.shift();
    if (!next) return undefined;
    this.#bytes -= next.size;
    return next.item;
  }

  /** The next item, left on the queue. */
  peek(): T | undefined {
    return this.#items[0]?.item;
  }

  /** Drops what is queued; the item in hand is finished, nothing after it starts. */
  close(): void {
    this.#closed = true;
    this.#items.length = 0;
    this.#bytes = 0;
  }

  /** Resolves once the worker is idle. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    try {
      while (!this.#closed && this.#items.length > 0) await this.#work(this);
    } finally {
      this.#running = null;
      if (!this.#closed && this.#items.length === 0) this.#onIdle?.(this);
    }
  }
}
