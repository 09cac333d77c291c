/**
 * The client SDK: typed HTTP calls plus a live WebSocket session that
 * authenticates, sends with client message ids (retried across reconnects),
 * acks what it received, reconnects with backoff, repairs gaps by seq through
 * the history endpoint, and drops duplicates, so the application sees each
 * message once, in seq order per conversation.
 *
 * The session is three parts: `socket.ts` (the WebSocket, ping, reconnect),
 * `sync.ts` (seq positions and gap repair) and `outbox.ts` (pending sends).
 * Only a refused token (close 4401, the `signed_out` event) or `close()` ends
 * it; every other close is followed by a reconnect with backoff.
 *
 * Version 2 (PROTOCOL.md, Messages): `send()` takes replies, mentions and
 * files (`uploadFile()` first); `editMessage()`, `recallMessage()` and
 * `reads()` are HTTP calls; `typing()` tells the others (throttled here to one
 * frame per 2 s per conversation); the `read` and `typing` events report the
 * others. Edits and recalls arrive as `update` entries with their own seq,
 * delivered, acked and gap-repaired like any message; `view(id)` (`view.ts`)
 * applies them, so the application need not: it lists a conversation's
 * messages in their current version with its read marks, and the `view`
 * event says when it changed.
 *
 * Version 2 (PROTOCOL.md, Groups and Blocking): the group administration
 * routes are HTTP calls (`updateGroup()` with notice, join policy, mute and
 * history; `updateGroupMember()`, `removeGroupMember()`, `transferGroup()`,
 * `disbandGroup()`, the join requests; `joinGroup()` answers the group, or the
 * request an `approval` group keeps waiting), and so are `block()`,
 * `unblock()` and `blocks()`. The changes of a group arrive as system messages
 * (`isSystem()`), in seq order with the group's other messages; the events
 * `group_removed`, `group_join_request` and `group_join_request_closed` say
 * when the user is out of a group and when join requests come and go.
 *
 * Version 2 (PROTOCOL.md, Conversations): `updateConversation()` pins, mutes
 * or hides a conversation and `searchMessages()` finds text messages; the
 * `conversation_update` event reports this user's settings changed on any
 * device, and `summaries.ts` applies it (and a message that brings a hidden
 * conversation back) to a list the application keeps.
 */
import type {
  ContentInput,
  Message,
  ReadMark,
  SendResult,
  ServerFrame,
  Target,
  User,
} from "../shared/types.ts";
import { globalTimers, type Timers } from "./backoff.ts";
import { type ClientEvents, Emitter, type Handler } from "./events.ts";
import { type HttpOptions, ImError, ImHttp } from "./http.ts";
import { Outbox } from "./outbox.ts";
import { ReconnectingSocket, SIGNED_OUT, type SocketConstructor } from "./socket.ts";
import { Sync } from "./sync.ts";
import { TypingThrottle } from "./typing.ts";
import type { ConversationView } from "./view.ts";
import { Views } from "./views.ts";

export { ImError, ImHttp } from "./http.ts";
export type {
  FriendOnline,
  GroupPatch,
  HttpOptions,
  JoinAnswer,
  MemberPatch,
  UserOnline,
} from "./http.ts";
export { isSystem, type SystemContent, type SystemMessage } from "./system.ts";
export type { ClientEvents } from "./events.ts";
export type { Timers } from "./backoff.ts";
export type { SocketConstructor, SocketLike } from "./socket.ts";
export type { ConversationView } from "./view.ts";
export { VIEW_PAGE } from "./views.ts";
export { applyConversationUpdate, compareSummaries, revealsHidden } from "./summaries.ts";
export { TYPING_INTERVAL_MS } from "./typing.ts";

/** Options of an ImClient. */
export interface ClientOptions extends HttpOptions {
  /** Ack messages once handled (default true). */
  autoAck?: boolean;
  /**
   * Reconnect after every close but the user's own `close()` and 4401 (the
   * token was refused: `signed_out`) (default true).
   */
  reconnect?: boolean;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Ping interval, so the server does not drop an idle session (default 25 s). */
  pingMs?: number;
  /** The WebSocket constructor (default the global one; a fake in tests). */
  WebSocket?: SocketConstructor;
  /** Timers to schedule reconnects, pings and retries with (default the global ones). */
  timers?: Timers;
  /** Random numbers in [0, 1) that spread reconnect delays (default `Math.random`). */
  random?: () => number;
  /** The clock in ms that throttles `typing()` (default `Date.now`). */
  now?: () => number;
}

/** A user's live connection to the IM server. */
export class ImClient extends ImHttp {
  readonly #events = new Emitter();
  readonly #outbox = new Outbox();
  readonly #socket: ReconnectingSocket;
  readonly #sync: Sync;
  readonly #typing: TypingThrottle;
  readonly #views: Views;
  #ready: { resolve: (user: User) => void; reject: (error: Error) => void } | null = null;
  /** The signed-in user, from the last `ready` (kept after a close). */
  self: User | null = null;
  serverId = "";

  constructor(options: ClientOptions) {
    super(options);
    const {
      autoAck = true,
      reconnect = true,
      backoffMs = 250,
      maxBackoffMs = 5000,
      pingMs = 25_000,
      WebSocket = globalThis.WebSocket,
      timers = globalTimers,
      random = Math.random,
      now = Date.now,
    } = options;
    this.#typing = new TypingThrottle(now);
    this.#views = new Views({
      history: (conversationId, page) => this.history(conversationId, page),
      reads: (conversationId) => this.reads(conversationId),
      changed: (conversationId) => this.#events.emit("view", conversationId),
      error: (error) => this.#events.emit("error", error),
    });
    this.#socket = new ReconnectingSocket({
      url: () => this.connectUrl(),
      token: () => this.token,
      frame: (frame) => this.#onFrame(frame),
      connecting: () => this.#events.emit("state", "connecting"),
      closed: (code, reason) => {
        this.#sync.stop();
        this.#events.emit("closed", { code, reason });
      },
      ended: (code, reason) => this.#ended(code, reason),
    }, { WebSocket, timers, random, reconnect, backoffMs, maxBackoffMs, pingMs });
    this.#sync = new Sync({
      conversations: () => this.conversations(),
      history: (conversationId, page) => this.history(conversationId, page),
      deliver: (message) => this.#deliver(message),
      ack: (conversationId, seq) => {
        if (autoAck) this.ack(conversationId, seq);
      },
      error: (error) => this.#events.emit("error", error),
      connected: () => this.connected,
    }, { timers, backoffMs, maxBackoffMs });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(event: K, handler: Handler<ClientEvents[K]>): () => void {
    return this.#events.on(event, handler);
  }

  /** The highest seq seen, in order, of a conversation. */
  lastSeq(conversationId: string): number {
    return this.#sync.lastSeq(conversationId);
  }

  /** Whether the socket is open and authenticated. */
  get connected(): boolean {
    return this.#socket.connected;
  }

  /** Opens the session; resolves with the user once `ready`. */
  connect(): Promise<User> {
    return new Promise((resolve, reject) => {
      this.#ready = { resolve, reject };
      this.#socket.open();
    });
  }

  #onFrame(frame: ServerFrame): void {
    this.#events.emit("frame", frame);
    switch (frame.op) {
      case "ready":
        this.self = frame.user;
        this.serverId = frame.serverId;
        this.#socket.authenticated();
        this.#onReady();
        return;
      case "sent":
        return this.#outbox.sent(frame);
      case "error":
        if (!this.#outbox.refused(frame.ref, frame.code, frame.message)) {
          this.#events.emit("error", frame);
        }
        return;
      case "message":
        this.#sync.receive(frame.message);
        return;
      case "pong":
        return;
      case "presence":
        return this.#events.emit("presence", {
          userId: frame.userId,
          online: frame.online,
          ...(frame.lastSeenAt === undefined ? {} : { lastSeenAt: frame.lastSeenAt }),
        });
      case "group_online":
        return this.#events.emit("group_online", { groupId: frame.groupId, count: frame.count });
      case "friend_request":
        return this.#events.emit("friend_request", frame.request);
      case "friend_request_cancelled":
        return this.#events.emit("friend_request_cancelled", { requestId: frame.requestId });
      case "friend_added":
        return this.#events.emit("friend_added", frame.user);
      case "profile":
        return this.#events.emit("profile", frame.user);
      case "group_update":
        return this.#events.emit("group_update", frame.group);
      case "group_removed":
        return this.#events.emit("group_removed", { groupId: frame.groupId, reason: frame.reason });
      case "group_join_request":
        return this.#events.emit("group_join_request", frame.request);
      case "group_join_request_closed":
        return this.#events.emit("group_join_request_closed", {
          groupId: frame.groupId,
          requestId: frame.requestId,
        });
      case "read":
        this.#views.read(frame.conversationId, [frame]);
        return this.#events.emit("read", {
          conversationId: frame.conversationId,
          userId: frame.userId,
          seq: frame.seq,
        });
      case "conversation_update":
        return this.#events.emit("conversation_update", frame.conversation);
      case "typing":
        if (frame.userId === this.self?.id) return;
        return this.#events.emit("typing", {
          conversationId: frame.conversationId,
          userId: frame.userId,
        });
    }
  }

  async #onReady(): Promise<void> {
    const user = this.self!;
    for (const frame of this.#outbox.frames()) this.#socket.send(frame);
    await this.#sync.catchUp();
    this.#views.retry();
    this.#ready?.resolve(user);
    this.#ready = null;
    this.#events.emit("state", "open");
  }

  /** No reconnect follows: say why if the token was refused, settle `connect()` and every pending send. */
  #ended(code: number, reason: string): void {
    if (code === SIGNED_OUT) this.#events.emit("signed_out", { code, reason });
    this.#events.emit("state", "closed");
    this.#ready?.reject(new ImError("unavailable", `Connection closed (${code} ${reason})`, 0));
    this.#ready = null;
    this.#outbox.rejectAll();
  }

  /** Tells the server this device has every message up to `seq`. */
  ack(conversationId: string, seq: number): void {
    this.#frame({ op: "ack", conversationId, seq });
  }

  /** Marks a conversation read up to `seq`. */
  read(conversationId: string, seq: number): void {
    this.#frame({ op: "read", conversationId, seq });
    // The server tells this user's other devices, not this one: the view takes it here
    // (only when the frame left: a dropped one moved nothing).
    if (this.connected && this.self) {
      this.#views.read(conversationId, [{ userId: this.self.id, seq }]);
    }
  }

  /**
   * Tells the conversation's other participants this user is typing. Call it on
   * every keystroke: at most one frame per conversation leaves every 2 s, later
   * calls in that window do nothing. Never queued nor retried: while
   * disconnected it does nothing.
   */
  typing(conversationId: string): void {
    if (this.connected && this.#typing.take(conversationId)) {
      this.#frame({ op: "typing", conversationId });
    }
  }

  /**
   * The applied view of a conversation: its messages in their current version
   * (edits, recalls and reply previews applied; update entries not listed) and
   * its read marks. The first call starts it, empty, and fetches the latest
   * page (`VIEW_PAGE` messages) and the read marks; from then on it takes every
   * message this client receives, repairs or fetches with `history()` for the
   * conversation (older pages: `history(id, {before})`), every `read` event
   * and `reads()` answer. The `view` event fires on each change; a failed first
   * fetch is an `error` event and is tried again at the next call or `ready`.
   * Only conversations asked for are kept (memory grows with the messages they
   * were given); `closeView()` forgets one.
   */
  view(conversationId: string): ConversationView {
    return this.#views.view(conversationId);
  }

  /** Forgets a conversation's view and its memory; a later `view()` starts it again, empty. */
  closeView(conversationId: string): void {
    this.#views.close(conversationId);
  }

  /** A history page; it also feeds the conversation's view, if one is kept. */
  override async history(
    conversationId: string,
    page: { after?: number; before?: number; limit?: number } = {},
  ): Promise<Message[]> {
    const messages = await super.history(conversationId, page);
    this.#views.apply(conversationId, messages);
    return messages;
  }

  /** Every participant's read mark; it also feeds the conversation's view, if one is kept. */
  override async reads(conversationId: string): Promise<ReadMark[]> {
    const reads = await super.reads(conversationId);
    this.#views.read(conversationId, reads);
    return reads;
  }

  /** Edits a text message; its new version also enters the view at once, before the update entry. */
  override async editMessage(messageId: string, text: string): Promise<Message> {
    const message = await super.editMessage(messageId, text);
    this.#views.offer(message);
    return message;
  }

  /** Recalls a message; every kept view that holds it shows it recalled at once, before the update entry. */
  override async recallMessage(messageId: string): Promise<void> {
    await super.recallMessage(messageId);
    if (this.self) this.#views.recall(messageId, this.self.id);
  }

  /** Hands a message from sync on: to the view first, so a `message` handler reads it applied. */
  #deliver(message: Message): void {
    this.#views.apply(message.conversationId, [message]);
    this.#events.emit("message", message);
  }

  /** Sends a raw frame (for tests and tools); dropped while disconnected. */
  rawSend(data: string): void {
    this.#socket.send(data);
  }

  #frame(frame: object): void {
    this.rawSend(JSON.stringify(frame));
  }

  /**
   * Sends a message; retried with the same clientMsgId across reconnects until answered.
   * `traceparent` (a W3C trace context) makes the server's trace of the message continue the
   * caller's (PROTOCOL.md, WebSocket).
   */
  send(
    to: Target,
    content: ContentInput,
    clientMsgId: string = crypto.randomUUID(),
    { traceparent }: { traceparent?: string } = {},
  ): Promise<SendResult> {
    const frame = JSON.stringify({
      op: "send",
      clientMsgId,
      to,
      content,
      ...(traceparent === undefined ? {} : { traceparent }),
    });
    return this.#outbox.add(clientMsgId, frame, (frame) => {
      if (this.connected) this.#socket.send(frame);
    });
  }

  /** Drops the socket as a network failure would; the client reconnects and repairs gaps. */
  drop(): void {
    this.#socket.drop();
  }

  /** Closes the session for good. */
  close(): Promise<void> {
    this.#sync.stop();
    return this.#socket.close();
  }
}
