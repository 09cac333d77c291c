/**
 * Fakes for the SDK's unit tests: a clock whose timers run only when told, a
 * WebSocket the test drives frame by frame, and an HTTP server in memory.
 */
import type { ConversationSummary, Message, ReadMark, ServerFrame } from "../shared/types.ts";
import type { Timers } from "./backoff.ts";
import { type ClientEvents, type ClientOptions, ImClient } from "./mod.ts";
import type { SocketConstructor, SocketLike } from "./socket.ts";

interface Timer {
  at: number;
  ms: number;
  callback: () => void;
}

/** Timers on a fake clock: nothing runs until `runNext()` or `tick()`. */
export class FakeTimers implements Timers {
  now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  readonly #waiters: ((ms: number) => void)[] = [];

  setTimeout(callback: () => void, ms: number): number {
    this.#timers.set(this.#nextId, { at: this.now + ms, ms, callback });
    for (const resolve of this.#waiters.splice(0)) resolve(ms);
    return this.#nextId++;
  }

  /** Resolves with the delay of the next timer set (from now on). */
  nextSet(): Promise<number> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  clearTimeout(id: unknown): void {
    this.#timers.delete(id as number);
  }

  /** The delays the waiting timers were set with, the earliest due first. */
  delays(): number[] {
    return this.#sorted().map(([, timer]) => timer.ms);
  }

  /** Moves the clock to the earliest timer and runs it; returns the delay it was set with. */
  runNext(): number {
    const [id, timer] = this.#sorted()[0] ?? [];
    if (id === undefined || !timer) throw new Error("No timer is waiting");
    this.#timers.delete(id);
    this.now = Math.max(this.now, timer.at);
    timer.callback();
    return timer.ms;
  }

  /** Moves the clock `ms` on, running every timer that falls due on the way. */
  tick(ms: number): void {
    const until = this.now + ms;
    while (this.#sorted()[0]?.[1].at <= until) this.runNext();
    this.now = until;
  }

  #sorted(): [number, Timer][] {
    return [...this.#timers].sort(([a, x], [b, y]) => x.at - y.at || a - b);
  }
}

/** A WebSocket the test plays the server of. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  /** Every frame the client sent, parsed. */
  readonly sent: Record<string, unknown>[] = [];
  readonly #waiters: { op: string; resolve: (frame: Record<string, unknown>) => void }[] = [];

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("FakeSocket: send while not open");
    const frame = JSON.parse(data);
    this.sent.push(frame);
    const waiter = this.#waiters.find((w) => w.op === frame.op);
    if (waiter) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(frame);
    }
  }

  /** The client closes: the close event follows, as a real socket's does, asynchronously. */
  close(code = 1005, reason = ""): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    queueMicrotask(() => this.#closed(code, reason));
  }

  /** The connection opens; the client then sends `auth`. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }

  /** The server sends a frame. */
  push(frame: ServerFrame): void {
    this.onmessage?.(new MessageEvent("message", { data: JSON.stringify(frame) }));
  }

  /** The server (or the network) closes the connection with `code`. */
  drop(code: number, reason = ""): void {
    this.readyState = 2;
    this.#closed(code, reason);
  }

  /** The next frame with `op` the client sends (from now on). */
  nextSent(op: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.#waiters.push({ op, resolve }));
  }

  /** The frames sent with `op`. */
  sentOps(op: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame.op === op);
  }

  #closed(code: number, reason: string): void {
    this.readyState = 3;
    this.onclose?.(new CloseEvent("close", { code, reason }));
  }
}

/** Hands out the sockets a client opens, in order. */
export class FakeNetwork {
  readonly opened: FakeSocket[] = [];
  readonly WebSocket: SocketConstructor;
  #taken = 0;
  #waiter: (() => void) | null = null;

  constructor() {
    const opened = (socket: FakeSocket) => {
      this.opened.push(socket);
      this.#waiter?.();
    };
    this.WebSocket = class extends FakeSocket {
      constructor(url: string) {
        super(url);
        opened(this);
      }
    };
  }

  /** The next socket the client opens (one it opened already, or the next it opens). */
  async next(): Promise<FakeSocket> {
    while (this.opened.length <= this.#taken) {
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    return this.opened[this.#taken++];
  }
}

/** A request the fake server received. */
export interface FakeRequest {
  method: string;
  /** Path with query. */
  path: string;
  headers: Headers;
  /** The body as sent: JSON parsed, bytes as bytes, undefined when none. */
  body: unknown;
}

/** An answer the test gives to one route: a JSON body (status 200), or a whole Response. */
export type FakeAnswer = (request: FakeRequest) => unknown;

/**
 * The HTTP API in memory: `/api/connect`, `/api/conversations`, history and
 * read marks, plus any route the test adds with `route()`.
 */
export class FakeServer {
  /** Messages by conversation, in seq order; history and summaries read them. */
  readonly messages = new Map<string, Message[]>();
  /** Read marks by conversation, as `GET …/reads` answers them (none by default). */
  readonly reads = new Map<string, ReadMark[]>();
  /** Paths (with query) requested, in order. */
  readonly requests: string[] = [];
  /** Every request, in order, with method, headers and body. */
  readonly calls: FakeRequest[] = [];
  readonly #routes = new Map<string, FakeAnswer>();
  /** While true every call answers 503 `unavailable`. */
  down = false;
  readonly #waiters: { prefix: string; resolve: (path: string) => void }[] = [];

  /** A fetch that answers from this server. */
  readonly fetch = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const path = url.pathname + url.search;
    this.requests.push(path);
    const request: FakeRequest = {
      method: init.method ?? "GET",
      path,
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : init.body ?? undefined,
    };
    this.calls.push(request);
    for (const waiter of this.#waiters.filter((w) => path.startsWith(w.prefix))) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(path);
    }
    if (this.down) {
      const error = { code: "unavailable", message: "Down for the test" };
      return Promise.resolve(Response.json({ error }, { status: 503 }));
    }
    const route = this.#routes.get(`${request.method} ${url.pathname}`);
    if (route) {
      const answer = route(request);
      return Promise.resolve(
        answer instanceof Response
          ? answer
          : answer === undefined
          ? new Response(null, { status: 204 })
          : Response.json(answer),
      );
    }
    return Promise.resolve(Response.json(this.#answer(url)));
  };

  /** Answers `method` on `pathname` (no query) with `answer`; undefined answers 204. */
  route(method: string, pathname: string, answer: FakeAnswer): void {
    this.#routes.set(`${method} ${pathname}`, answer);
  }

  /** Adds messages the history endpoint will return. */
  store(...messages: Message[]): void {
    for (const message of messages) {
      const list = this.messages.get(message.conversationId) ?? [];
      list.push(message);
      list.sort((a, b) => a.seq - b.seq);
      this.messages.set(message.conversationId, list);
    }
  }

  /** The next request whose path starts with `prefix` (from now on). */
  nextRequest(prefix: string): Promise<string> {
    return new Promise((resolve) => this.#waiters.push({ prefix, resolve }));
  }

  /** The options of an ImClient on this server, the given network and clock. */
  options(network: FakeNetwork, timers: FakeTimers): ClientOptions {
    return {
      baseUrl: "http://im.test",
      token: "token-1",
      fetch: this.fetch,
      WebSocket: network.WebSocket,
      timers,
      random: () => 1,
      now: () => timers.now,
    };
  }

  #answer(url: URL): unknown {
    if (url.pathname === "/api/connect") return { url: "/ws" };
    if (url.pathname === "/api/conversations") {
      return { conversations: [...this.messages.keys()].map((id) => this.#summary(id)) };
    }
    const history = url.pathname.match(/^\/api\/conversations\/([^/]+)\/messages$/);
    if (history) {
      const after = Number(url.searchParams.get("after") ?? 0);
      const before = Number(url.searchParams.get("before") ?? Infinity);
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const all = this.messages.get(decodeURIComponent(history[1])) ?? [];
      const range = all.filter((m) => m.seq > after && m.seq < before);
      // `before` pages backwards: the newest `limit` of the range, still ascending.
      return {
        messages: url.searchParams.has("before") ? range.slice(-limit) : range.slice(0, limit),
      };
    }
    const reads = url.pathname.match(/^\/api\/conversations\/([^/]+)\/reads$/);
    if (reads) return { reads: this.reads.get(decodeURIComponent(reads[1])) ?? [] };
    throw new Error(`FakeServer: no route for ${url.pathname}`);
  }

  #summary(id: string): ConversationSummary {
    const list = this.messages.get(id) ?? [];
    return {
      id,
      type: "user",
      lastSeq: list.at(-1)?.seq ?? 0,
      readSeq: 0,
      unread: 0,
      lastMessage: list.at(-1) ?? null,
    };
  }
}

/** A text message of conversation `u:1:2` (or another) with the given seq. */
export function message(seq: number, conversationId = "u:1:2"): Message {
  return {
    id: `${conversationId}#${seq}`,
    conversationId,
    seq,
    from: "1",
    to: { type: "user", id: "2" },
    content: { type: "text", text: `message ${seq}` },
    sentAt: 1_700_000_000_000 + seq,
    clientMsgId: `c${seq}`,
  };
}

/** The `ready` frame of user 2. */
export const READY: ServerFrame = {
  op: "ready",
  user: { id: "2", username: "bob", nickname: "Bob", avatar: null },
  serverId: "connect-1",
};

/** A client of a fake server, with every state and close it emits recorded. */
export function setup(options: Partial<ClientOptions> = {}) {
  const server = new FakeServer();
  const network = new FakeNetwork();
  const timers = new FakeTimers();
  const client = new ImClient({ ...server.options(network, timers), ...options });
  const states: ClientEvents["state"][] = [];
  const closes: ClientEvents["closed"][] = [];
  client.on("state", (state) => states.push(state));
  client.on("closed", (close) => closes.push(close));
  /** Opens the next socket and answers `ready`; resolves once the client is open. */
  const accept = async () => {
    const socket = await network.next();
    const opened = once(client, "state", (state) => state === "open");
    socket.accept();
    socket.push(READY);
    await opened;
    return socket;
  };
  return { server, network, timers, client, states, closes, accept };
}

/** The next event of a kind that matches. */
export function once<K extends keyof ClientEvents>(
  client: ImClient,
  event: K,
  predicate: (value: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(event, (value) => {
      if (!predicate(value)) return;
      off();
      resolve(value);
    });
  });
}
