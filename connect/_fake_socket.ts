/** A WebSocket stand-in for connect's unit tests: frames written are read back, in order, as they come. */

/** How the server closed a fake socket. */
export interface Closed {
  code: number;
  reason: string;
}

/** The server side of a socket, driven by the test as the client. */
export class FakeSocket {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  /** Resolves once the server closes the socket. */
  readonly closed: Promise<Closed>;
  /** How the server closed the socket, or null while it has not. */
  closedWith: Closed | null = null;
  readonly #frames: Record<string, unknown>[] = [];
  readonly #waiting: ((frame: Record<string, unknown>) => void)[] = [];
  readonly #closeListeners: (() => void)[] = [];
  #resolveClosed!: (closed: Closed) => void;

  constructor() {
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** This fake as the WebSocket the code under test takes. */
  get socket(): WebSocket {
    return this as unknown as WebSocket;
  }

  /** The client sends a message. */
  receive(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** The client sends a frame object. */
  receiveFrame(frame: object): void {
    this.receive(JSON.stringify(frame));
  }

  /** The next frame the server writes (at once if it already has). */
  next(): Promise<Record<string, unknown>> {
    const frame = this.#frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Frames written and not yet read. */
  get unread(): number {
    return this.#frames.length;
  }

  send(data: string): void {
    const frame = JSON.parse(data);
    const waiter = this.#waiting.shift();
    if (waiter) waiter(frame);
    else this.#frames.push(frame);
  }

  close(code: number, reason: string): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSED;
    this.closedWith = { code, reason };
    this.#resolveClosed({ code, reason });
    queueMicrotask(() => this.#fireClose(code));
  }

  /** The client goes away, with a close frame of `code` (1005: one without a code). */
  peerClose(code = 1005): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSED;
    this.#fireClose(code);
  }

  addEventListener(type: string, listener: () => void): void {
    if (type === "close") this.#closeListeners.push(listener);
  }

  /** The close event, with the code of the close frame that ended the socket. */
  #fireClose(code: number): void {
    for (const listener of this.#closeListeners) listener();
    this.onclose?.({ code });
  }
}
