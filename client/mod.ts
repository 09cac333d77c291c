/**
 * The client SDK: typed HTTP calls plus a live WebSocket session that
 * authenticates, sends with client message ids (retried across reconnects),
 * acks what it received, reconnects with backoff, repairs gaps by seq through
 * the history endpoint, and drops duplicates, so the application sees each
 * message once, in seq order per conversation.
 */
import type {
  ContentInput,
  Message,
  SendResult,
  ServerFrame,
  Target,
  User,
} from "../shared/types.ts";
import { type HttpOptions, ImError, ImHttp } from "./http.ts";

export { ImError, ImHttp } from "./http.ts";
export type { UserOnline } from "./http.ts";

/** Events an ImClient emits. */
export interface ClientEvents {
  message: Message;
  presence: { userId: string; online: boolean };
  group_online: { groupId: string; count: number };
  friend_request: Extract<ServerFrame, { op: "friend_request" }>["request"];
  friend_added: User;
  profile: User;
  group_update: Extract<ServerFrame, { op: "group_update" }>["group"];
  error: { code: string; message: string; ref?: string };
  /** Every frame as received, before any dedupe (for diagnostics and tests). */
  frame: ServerFrame;
  state: "connecting" | "open" | "closed";
  closed: { code: number; reason: string };
}

/** Options of an ImClient. */
export interface ClientOptions extends HttpOptions {
  /** Ack messages once handled (default true). */
  autoAck?: boolean;
  /** Reconnect after an unexpected close (default true). */
  reconnect?: boolean;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Ping interval, so the server does not drop an idle session (default 25 s). */
  pingMs?: number;
}

type Handler<T> = (value: T) => void;

interface PendingSend {
  frame: string;
  resolve: (result: SendResult) => void;
  reject: (error: Error) => void;
}

const TERMINAL_CLOSES = new Set([1000, 4401, 4400, 4408]);

/** A user's live connection to the IM server. */
export class ImClient extends ImHttp {
  readonly #options: Required<Omit<ClientOptions, keyof HttpOptions>>;
  readonly #handlers = new Map<keyof ClientEvents, Set<Handler<never>>>();
  readonly #lastSeq = new Map<string, number>();
  readonly #seen = new Set<string>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #pending = new Map<string, PendingSend>();
  #socket: WebSocket | null = null;
  #wanted = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #resync: ReturnType<typeof setTimeout> | undefined;
  #resyncAttempt = 0;
  #ready: { resolve: (user: User) => void; reject: (error: Error) => void } | null = null;
  #synced = false;
  /** The signed-in user, from the last `ready` (kept after a close). */
  self: User | null = null;
  #authed = false;
  serverId = "";

  constructor(options: ClientOptions) {
    super(options);
    this.#options = {
      autoAck: options.autoAck ?? true,
      reconnect: options.reconnect ?? true,
      backoffMs: options.backoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 5000,
      pingMs: options.pingMs ?? 25_000,
    };
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(event: K, handler: Handler<ClientEvents[K]>): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, set = new Set());
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  #emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      (handler as Handler<ClientEvents[K]>)(value);
    }
  }

  /** The highest seq seen, in order, of a conversation. */
  lastSeq(conversationId: string): number {
    return this.#lastSeq.get(conversationId) ?? 0;
  }

  /** Whether the socket is open and authenticated. */
  get connected(): boolean {
    return this.#authed && this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Opens the session; resolves with the user once `ready`. */
  connect(): Promise<User> {
    this.#wanted = true;
    return new Promise((resolve, reject) => {
      this.#ready = { resolve, reject };
      this.#open();
    });
  }

  async #open(): Promise<void> {
    clearTimeout(this.#timer);
    this.#emit("state", "connecting");
    let url: string;
    try {
      url = await this.connectUrl();
    } catch (error) {
      return this.#retry(error as Error);
    }
    if (!this.#wanted) return;
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ op: "auth", token: this.token }));
      clearInterval(this.#pinger);
      this.#pinger = setInterval(() => this.#frame({ op: "ping" }), this.#options.pingMs);
    };
    socket.onmessage = (event) => this.#onFrame(JSON.parse(event.data as string) as ServerFrame);
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      clearInterval(this.#pinger);
      this.#socket = null;
      this.#authed = false;
      this.#emit("closed", { code: event.code, reason: event.reason });
      if (!this.#wanted || !this.#options.reconnect || TERMINAL_CLOSES.has(event.code)) {
        this.#wanted = false;
        this.#emit("state", "closed");
        this.#ready?.reject(
          new ImError("unavailable", `Connection closed (${event.code} ${event.reason})`, 0),
        );
        this.#ready = null;
        for (const pending of this.#pending.values()) {
          pending.reject(new ImError("unavailable", "Connection closed", 0));
        }
        this.#pending.clear();
        return;
      }
      this.#retry(new Error(`closed ${event.code}`));
    };
  }

  #retry(_error: Error): void {
    if (!this.#wanted) return;
    const delay = Math.min(
      this.#options.maxBackoffMs,
      this.#options.backoffMs * 2 ** this.#attempt++,
    );
    this.#timer = setTimeout(() => this.#open(), delay * (0.5 + Math.random() / 2));
  }

  #onFrame(frame: ServerFrame): void {
    this.#emit("frame", frame);
    switch (frame.op) {
      case "ready":
        this.self = frame.user;
        this.#authed = true;
        this.serverId = frame.serverId;
        this.#attempt = 0;
        this.#onReady();
        return;
      case "sent": {
        const pending = this.#pending.get(frame.clientMsgId);
        this.#pending.delete(frame.clientMsgId);
        pending?.resolve({
          id: frame.id,
          clientMsgId: frame.clientMsgId,
          conversationId: frame.conversationId,
        });
        return;
      }
      case "error": {
        const pending = frame.ref ? this.#pending.get(frame.ref) : undefined;
        if (pending && frame.ref) {
          this.#pending.delete(frame.ref);
          pending.reject(new ImError(frame.code, frame.message, 0));
        } else this.#emit("error", frame);
        return;
      }
      case "message":
        this.#enqueue(frame.message.conversationId, () => this.#receive(frame.message));
        return;
      case "pong":
        return;
      case "presence":
        return this.#emit("presence", { userId: frame.userId, online: frame.online });
      case "group_online":
        return this.#emit("group_online", { groupId: frame.groupId, count: frame.count });
      case "friend_request":
        return this.#emit("friend_request", frame.request);
      case "friend_added":
        return this.#emit("friend_added", frame.user);
      case "profile":
        return this.#emit("profile", frame.user);
      case "group_update":
        return this.#emit("group_update", frame.group);
    }
  }

  async #onReady(): Promise<void> {
    const user = this.self!;
    for (const pending of this.#pending.values()) this.#socket?.send(pending.frame);
    try {
      await this.#sync();
    } catch (error) {
      this.#repairFailed(error);
    }
    this.#ready?.resolve(user);
    this.#ready = null;
    this.#emit("state", "open");
  }

  /** Catches up every conversation: the first time it takes the server's positions; later it fetches what it missed. */
  async #sync(): Promise<void> {
    const conversations = await this.conversations();
    const first = !this.#synced;
    this.#synced = true;
    await Promise.all(conversations.map((c) =>
      this.#enqueue(c.id, async () => {
        if (first && !this.#lastSeq.has(c.id)) {
          this.#lastSeq.set(c.id, c.lastSeq);
          return;
        }
        if (c.lastSeq > this.lastSeq(c.id)) await this.#fill(c.id, c.lastSeq);
      })
    ));
  }

  #enqueue(conversationId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(conversationId) ?? Promise.resolve()).then(work).catch((error) =>
      this.#repairFailed(error)
    );
    this.#chains.set(conversationId, next);
    return next;
  }

  /**
   * Gap repair could not reach the server (it may be restarting): say so, and try
   * the whole catch-up again with backoff while this connection lasts, so a missed
   * message is fetched even if no later one reveals the gap.
   */
  #repairFailed(error: unknown): void {
    this.#emit("error", {
      code: "unavailable",
      message: `Gap repair failed: ${(error as Error).message}`,
    });
    if (this.#resync !== undefined) return;
    const socket = this.#socket;
    const delay = Math.min(
      this.#options.maxBackoffMs,
      this.#options.backoffMs * 2 ** this.#resyncAttempt++,
    );
    this.#resync = setTimeout(async () => {
      this.#resync = undefined;
      if (!this.#wanted || this.#socket !== socket || !this.connected) return;
      try {
        await this.#sync();
        this.#resyncAttempt = 0;
      } catch (error) {
        this.#repairFailed(error);
      }
    }, delay);
  }

  /** Fetches and delivers what lies between the last seq seen and `upTo`. */
  async #fill(conversationId: string, upTo: number): Promise<void> {
    while (this.lastSeq(conversationId) < upTo) {
      const page = await this.history(conversationId, {
        after: this.lastSeq(conversationId),
        limit: 200,
      });
      if (page.length === 0) break;
      for (const message of page) if (message.seq <= upTo) this.#deliver(message);
      if (page[page.length - 1].seq >= upTo) break;
    }
  }

  async #receive(message: Message): Promise<void> {
    const last = this.lastSeq(message.conversationId);
    if (message.seq <= last || this.#seen.has(message.id)) {
      return this.#ackUpTo(message.conversationId);
    }
    if (message.seq > last + 1 && (this.#synced || last > 0)) {
      await this.#fill(message.conversationId, message.seq - 1);
    }
    this.#deliver(message);
  }

  #deliver(message: Message): void {
    const last = this.lastSeq(message.conversationId);
    if (message.seq <= last || this.#seen.has(message.id)) return;
    this.#lastSeq.set(message.conversationId, message.seq);
    this.#seen.add(message.id);
    if (this.#seen.size > 100_000) this.#seen.delete(this.#seen.values().next().value!);
    this.#emit("message", message);
    this.#ackUpTo(message.conversationId);
  }

  #ackUpTo(conversationId: string): void {
    if (!this.#options.autoAck) return;
    this.ack(conversationId, this.lastSeq(conversationId));
  }

  /** Tells the server this device has every message up to `seq`. */
  ack(conversationId: string, seq: number): void {
    this.#frame({ op: "ack", conversationId, seq });
  }

  /** Marks a conversation read up to `seq`. */
  read(conversationId: string, seq: number): void {
    this.#frame({ op: "read", conversationId, seq });
  }

  /** Sends a raw frame (for tests and tools); dropped while disconnected. */
  rawSend(data: string): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(data);
  }

  #frame(frame: object): void {
    this.rawSend(JSON.stringify(frame));
  }

  /** Sends a message; retried with the same clientMsgId across reconnects until answered. */
  send(
    to: Target,
    content: ContentInput,
    clientMsgId: string = crypto.randomUUID(),
  ): Promise<SendResult> {
    if (this.#pending.has(clientMsgId)) {
      return Promise.reject(new ImError("conflict", "Send already in flight", 0));
    }
    const frame = JSON.stringify({ op: "send", clientMsgId, to, content });
    return new Promise((resolve, reject) => {
      this.#pending.set(clientMsgId, { frame, resolve, reject });
      if (this.connected) this.#socket!.send(frame);
    });
  }

  /** Drops the socket as a network failure would; the client reconnects and repairs gaps. */
  drop(): void {
    this.#socket?.close(4000, "dropped by client");
  }

  /** Closes the session for good. */
  close(): Promise<void> {
    this.#wanted = false;
    clearTimeout(this.#timer);
    clearInterval(this.#pinger);
    clearTimeout(this.#resync);
    this.#resync = undefined;
    const socket = this.#socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) {
      this.#socket = null;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      socket.addEventListener("close", () => resolve());
      socket.close(1000, "bye");
    });
  }
}
