/**
 * The socket half of a session: opens the WebSocket the server names, sends
 * `auth` first, pings while open, and after an unexpected close opens a new
 * one with backoff, until the user closes or the server refuses the token.
 */
import type { ServerFrame } from "../shared/types.ts";
import { Backoff, type Timers } from "./backoff.ts";

/** What the client uses of a WebSocket: the global one, or a fake in tests. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Makes a socket for a URL, as `new WebSocket(url)` does. */
export type SocketConstructor = new (url: string) => SocketLike;

/**
 * The one close code after which the client does not reconnect: the server
 * refused the token (revoked, expired, logged out). Every other close is
 * survivable: 4408 (idle, e.g. a background tab whose timers were throttled),
 * 4400 (bad frames), 4429 (too many sessions, or frames over their rates),
 * 1008 (did not keep up: unread or unacked pushes; sync repairs the gap after
 * the reconnect) and 1000 from a peer.
 * An explicit `close()` ends the session whatever the code.
 */
export const SIGNED_OUT = 4401;

/** The server's "slow down" (too many sessions or frames): its `ready` does not reset the backoff. */
const RATE_LIMITED = 4429;

/** `WebSocket.OPEN` and `WebSocket.CLOSED`, without needing the global. */
const OPEN = 1;
const CLOSED = 3;

/** Where a socket's events go. */
export interface SocketHooks {
  /** The URL to open, asked before each attempt. */
  url(): Promise<string>;
  /** The token of the `auth` frame. */
  token(): string | undefined;
  frame(frame: ServerFrame): void;
  connecting(): void;
  closed(code: number, reason: string): void;
  /** No reconnect follows: the user closed, reconnect is off, or the token was refused. */
  ended(code: number, reason: string): void;
}

/** Options of a ReconnectingSocket. */
export interface SocketOptions {
  WebSocket: SocketConstructor;
  timers: Timers;
  /** In [0, 1): spreads each reconnect delay over the whole of its interval (full jitter). */
  random: () => number;
  reconnect: boolean;
  backoffMs: number;
  maxBackoffMs: number;
  pingMs: number;
}

/** One WebSocket at a time, replaced after an unexpected close. */
export class ReconnectingSocket {
  readonly #hooks: SocketHooks;
  readonly #options: SocketOptions;
  readonly #backoff: Backoff;
  readonly #closeWaiters: (() => void)[] = [];
  #socket: SocketLike | null = null;
  #wanted = false;
  #authed = false;
  #throttled = false;
  #timer: unknown;
  #pinger: unknown;

  constructor(hooks: SocketHooks, options: SocketOptions) {
    this.#hooks = hooks;
    this.#options = options;
    this.#backoff = new Backoff(options.backoffMs, options.maxBackoffMs);
  }

  /** Whether the socket is open and authenticated. */
  get connected(): boolean {
    return this.#authed && this.#socket?.readyState === OPEN;
  }

  /** Starts connecting; reconnects until `close()` or a 4401. */
  open(): void {
    this.#wanted = true;
    this.#connect();
  }

  /**
   * The server answered `ready`: the session is up, and the backoff starts
   * again, unless the last close was a 4429, so a client the server keeps
   * refusing comes back ever more slowly.
   */
  authenticated(): void {
    this.#authed = true;
    if (!this.#throttled) this.#backoff.reset();
  }

  /** Sends one frame; dropped while no socket is open. */
  send(data: string): void {
    if (this.#socket?.readyState === OPEN) this.#socket.send(data);
  }

  /** Closes the socket as a network failure would, so the client reconnects. */
  drop(): void {
    this.#socket?.close(4000, "dropped by client");
  }

  /**
   * Stops for good; resolves once the socket (if any) has closed. Without a
   * socket to close (waiting to reconnect) the session ends at once.
   */
  close(): Promise<void> {
    const wanted = this.#wanted;
    this.#wanted = false;
    this.#options.timers.clearTimeout(this.#timer);
    this.#options.timers.clearTimeout(this.#pinger);
    const socket = this.#socket;
    if (!socket || socket.readyState === CLOSED) {
      this.#socket = null;
      if (wanted) this.#hooks.ended(1000, "bye");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#closeWaiters.push(resolve);
      socket.close(1000, "bye");
    });
  }

  async #connect(): Promise<void> {
    this.#options.timers.clearTimeout(this.#timer);
    this.#hooks.connecting();
    let url: string;
    try {
      url = await this.#hooks.url();
    } catch {
      return this.#retry();
    }
    if (!this.#wanted) return;
    const socket = new this.#options.WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ op: "auth", token: this.#hooks.token() }));
      this.#ping();
    };
    socket.onmessage = (event) => this.#hooks.frame(JSON.parse(event.data as string));
    socket.onerror = () => {};
    socket.onclose = (event) => {
      this.#onClose(socket, event.code, event.reason);
      for (const resolve of this.#closeWaiters.splice(0)) resolve();
    };
  }

  /** Pings every `pingMs` from now on (the previous schedule, if any, is dropped). */
  #ping(): void {
    const { timers, pingMs } = this.#options;
    timers.clearTimeout(this.#pinger);
    this.#pinger = timers.setTimeout(() => {
      this.send(JSON.stringify({ op: "ping" }));
      this.#ping();
    }, pingMs);
  }

  #onClose(socket: SocketLike, code: number, reason: string): void {
    if (this.#socket !== socket) return;
    this.#options.timers.clearTimeout(this.#pinger);
    this.#socket = null;
    this.#authed = false;
    this.#throttled = code === RATE_LIMITED;
    this.#hooks.closed(code, reason);
    if (!this.#wanted || !this.#options.reconnect || code === SIGNED_OUT) {
      this.#wanted = false;
      this.#hooks.ended(code, reason);
      return;
    }
    this.#retry();
  }

  #retry(): void {
    if (!this.#wanted) return;
    const delay = this.#backoff.nextSpread(this.#options.random);
    this.#timer = this.#options.timers.setTimeout(() => this.#connect(), delay);
  }
}
