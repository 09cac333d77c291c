/**
 * The frame pipeline of each connection: frames are read (size, JSON, protocol)
 * into a bounded queue and handled one after another (consecutive sends
 * together), pings on arrival; the first must be auth, three invalid frames in
 * a row close the connection, a connection that does not authenticate, or
 * falls silent, in time is closed, and one over its queue or its rates is
 * closed with 4429; one whose send, read or typing logic refuses as
 * `unauthenticated` (its account disabled since) with 4401. Typing frames skip
 * the queue: repeats are dropped on arrival and the rest go straight to logic,
 * so a flood of them costs little and never holds up, or closes, a connection.
 */
import { AppError, type ErrorCode, toAppError } from "../shared/errors.ts";
import { type Fields, logger } from "../shared/log.ts";
import { connectionsOpen, onlineUsers } from "../shared/metrics.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusQueue } from "../shared/queue/mod.ts";
import type { LogicService, SendOutcome } from "../shared/rpc/logic.ts";
import { OncePerWindow } from "../shared/once_per_window.ts";
import { hashToken } from "../shared/token_hash.ts";
import { type Span, startSpan, withTrace } from "../shared/trace.ts";
import { CLOSE, Connection } from "./connection.ts";
import { type ClientFrame, type Incoming, ProtocolError, readFrame } from "./frames.ts";
import { Inbox, type InboxLimits } from "./inbox.ts";
import { userLimitRefusal } from "./limits.ts";
import { countClose, countFrameIn, countRateLimited, countSend } from "./metrics.ts";
import { UserBuckets } from "./user_buckets.ts";
import { SignInGate } from "./sign_in_gate.ts";

/**
 * Sign-ins one server has logic check at once. Each is a session lookup and a list of the user's
 * groups, a few milliseconds: 32 at once let in thousands a second, and a storm of them never
 * queues in logic long enough for the calls to time out.
 */
const SIGN_INS_AT_ONCE = 32;

/** Invalid frames in a row that close a connection with 4400. */
export const BAD_FRAMES_BEFORE_CLOSE = 3;
/** Frames refused for rate in a row (sends, reads, acks) that close a connection with 4429 (one more than this). */
export const RATE_STRIKES_BEFORE_CLOSE = 20;
/** Most consecutive send frames of a connection handed to logic in one call. */
export const MAX_SENDS_PER_CALL = 64;
/** A user's typing in one conversation goes to logic at most once in this many ms (PROTOCOL.md, Typing). */
export const TYPING_WINDOW_MS = 2000;
/**
 * Typing frames of one user on this server that may reach logic, per second and at
 * once: a person types in one conversation at a time, so this only stops a client
 * that names ever new conversations (each would cost logic a lookup); past it,
 * typing is dropped silently.
 */
export const TYPING_RATE = { rate: 32, burst: 64 };

type SendFrame = Extract<ClientFrame, { op: "send" }>;

/** Where an error went wrong (a short phrase, the line's message) and what it concerned. */
export type OnError = (error: unknown, context: string, fields?: Fields) => void;

const log = logger("connect");

/** Where authenticated connections are registered (the fan-out). */
export interface SessionIndex {
  connectionsOf(userId: string): ReadonlySet<Connection>;
  add(connection: Connection, groupIds: Iterable<string>): void;
  remove(connection: Connection): void;
  kickMark(): number;
  kickedSince(tokenHash: string, mark: number): boolean;
}

/** Options of a `FramePipeline`; `createConnect()` gives the defaults. */
export interface PipelineOptions {
  logic: Pick<LogicService, "authenticate" | "groupIdsOf" | "sendMany" | "read" | "typing">;
  presence: Presence;
  statusQueue: StatusQueue;
  sessions: SessionIndex;
  serverId: string;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  frameBytes: number;
  jsonDepth: number;
  sendBufferBytes: number;
  maxConnectionsPerUser: number;
  /** What one connection may have queued; past it, it is closed with 4429. */
  inbox: InboxLimits;
  /** Acks per second per user on this server, and bursts. */
  ackRate: { rate: number; burst: number };
  /** Pushes one connection may hold unacked; past it, it is closed with 1008. */
  maxPendingPushes: number;
  /** Typing frames per second per user on this server that reach logic, and bursts (default TYPING_RATE). */
  typingRate?: { rate: number; burst: number };
  onError: OnError;
  now?: () => number;
}

/** The connections of this server, from their upgrade to their cleanup. */
export class FramePipeline {
  readonly #options: PipelineOptions;
  readonly #now: () => number;
  /** Open connections and their inbound queues (null while idle: nothing queued or in hand). */
  readonly #connections = new Map<Connection, Inbox<Incoming> | null>();
  /** Cleanups waiting for the frame in hand of a closed connection. */
  readonly #closing = new Set<Promise<void>>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #acks: UserBuckets;
  readonly #typingRate: UserBuckets;
  /** `userId conversationId` of typing sent to logic in the last window. */
  readonly #typing: OncePerWindow;
  /** Sign-ins checked by logic at once (SIGN_INS_AT_ONCE). */
  readonly #signIns = new SignInGate(SIGN_INS_AT_ONCE);
  #nextId = 0;

  constructor(options: PipelineOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#acks = new UserBuckets(options.ackRate, this.#now);
    this.#typingRate = new UserBuckets(options.typingRate ?? TYPING_RATE, this.#now);
    this.#typing = new OncePerWindow(TYPING_WINDOW_MS, this.#now);
    const { authTimeoutMs, idleTimeoutMs } = options;
    this.#timer = setInterval(
      () => this.sweep(),
      Math.min(1000, Math.max(10, Math.min(authTimeoutMs, idleTimeoutMs) / 4)),
    );
  }

  /** Open connections. */
  get size(): number {
    return this.#connections.size;
  }

  /** Inbound queues in existence: of the connections with a frame queued or in hand. */
  get queues(): number {
    let n = 0;
    for (const inbox of this.#connections.values()) if (inbox) n++;
    return n;
  }

  /**
   * Takes an upgraded socket: its frames queue (bounded) for their handling in
   * order, pings are answered on arrival, and the cleanup follows the frame in
   * hand once it closes; what was still queued is dropped. `socketClosed`, given
   * the connection, is told once its socket has closed (the front door's count of
   * the client's address: one function serves every socket, so a socket costs no
   * listener of its own).
   *
   * An idle connection costs little: its queue exists only while frames wait or
   * one is in hand, its two socket handlers share one closure scope, and its
   * server-side close is told to one function shared by every connection.
   */
  open(
    socket: WebSocket,
    address = "",
    socketClosed?: (address: string, connection: Connection) => void,
  ): Connection {
    const connection: Connection = new Connection(
      `${this.#options.serverId}:${++this.#nextId}`,
      socket,
      this.#now(),
      this.#options.sendBufferBytes,
      this.#serverClosed,
      this.#options.maxPendingPushes,
      address,
    );
    this.#connections.set(connection, null);
    connectionsOpen.inc();
    socket.onmessage = (event) => {
      if (connection.closed) return;
      connection.lastSeen = this.#now();
      const incoming = readFrame(event.data, this.#options);
      countFrameIn(incoming);
      if ("frame" in incoming && incoming.frame.op === "ping") {
        // Ahead of queued work, so a busy connection still shows it is alive.
        connection.badFrames = 0;
        return connection.send({ op: "pong" });
      }
      if (
        "frame" in incoming && incoming.frame.op === "typing" && connection.authenticated
      ) {
        connection.badFrames = 0;
        return this.#typed(connection, incoming.frame.conversationId);
      }
      // A refused frame keeps no more than its error; a frame, about its text.
      const size = "frame" in incoming && typeof event.data === "string" ? event.data.length : 0;
      if (!this.#inboxOf(connection).push(incoming, size)) {
        countRateLimited("queued_frames");
        connection.send({
          op: "error",
          code: "rate_limited",
          message: "Too many frames waiting to be handled",
        });
        connection.close(CLOSE.rateLimited, "too many frames queued");
      }
    };
    socket.onclose = (event: { code?: number } | undefined) => {
      connection.peerClosed(event?.code);
      this.#closed(connection);
      socketClosed?.(address, connection);
    };
    // No onerror: an error is followed by a close, and the HTTP server listens for errors.
    return connection;
  }

  /** The queue of a connection's frames, made when a frame comes to an idle connection. */
  #inboxOf(connection: Connection): Inbox<Incoming> {
    let inbox = this.#connections.get(connection);
    if (!inbox) {
      inbox = new Inbox<Incoming>(
        this.#options.inbox,
        (inbox) =>
          this.#next(connection, inbox).catch((error) =>
            this.#options.onError(error, "frame failed", this.#about(connection))
          ),
        // Dropped once idle (a connection opened since takes a new one).
        (idle) => {
          if (this.#connections.get(connection) === idle) this.#connections.set(connection, null);
        },
      );
      this.#connections.set(connection, inbox);
    }
    return inbox;
  }

  /** The server closed a connection itself (shared by every connection). */
  readonly #serverClosed = (connection: Connection) => this.#closed(connection);

  /**
   * Records every authenticated connection in presence again, announcing online
   * the users who were not: after this server was taken for gone (its etcd lease
   * lapsed), task dropped its routes though its sockets stayed open. Returns how
   * many users came back online.
   */
  async restoreRoutes(): Promise<number> {
    const { presence, statusQueue, serverId } = this.#options;
    let restored = 0;
    for (const connection of [...this.#connections.keys()]) {
      if (connection.closed || !connection.authenticated) continue;
      if (await presence.connect(connection.userId, serverId, connection.id)) {
        restored++;
        await statusQueue.push({ userId: connection.userId, online: true, at: this.#now() });
      }
    }
    return restored;
  }

  /** Closes with 4408 the connections not authenticated, or silent, for longer than allowed. */
  sweep(): void {
    const now = this.#now();
    const { authTimeoutMs, idleTimeoutMs } = this.#options;
    for (const connection of this.#connections.keys()) {
      if (!connection.authenticated && now - connection.openedAt > authTimeoutMs) {
        connection.close(CLOSE.timeout, "no auth in time");
      } else if (connection.authenticated && now - connection.lastSeen > idleTimeoutMs) {
        connection.close(CLOSE.timeout, "idle");
      }
    }
  }

  /** Closes every connection with 1001 (waiting up to a second for each to answer) and cleans up. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const closed = [...this.#connections.keys()].map((connection) =>
      new Promise<void>((resolve) => {
        if (connection.socket.readyState === WebSocket.CLOSED) return resolve();
        const timer = setTimeout(resolve, 1000);
        connection.socket.addEventListener("close", () => {
          clearTimeout(timer);
          resolve();
        });
        connection.close(CLOSE.goingAway, "server shutting down");
      })
    );
    await Promise.all(closed);
    for (const connection of [...this.#connections.keys()]) await this.#cleanUp(connection);
  }

  /**
   * Handles the next frame of a connection; when it is a send, with the sends
   * queued right behind it, so a client keeping several in flight is not held
   * to one round trip per message.
   */
  async #next(connection: Connection, inbox: Inbox<Incoming>): Promise<void> {
    const incoming = inbox.shift();
    if (!incoming || connection.closed) return;
    if ("tooLarge" in incoming) return connection.close(CLOSE.tooLarge, "frame too large");
    if ("invalid" in incoming) return this.#protocolError(connection, incoming.invalid);
    const { frame } = incoming;
    try {
      if (frame.op === "send" && connection.authenticated) {
        const sends = [frame];
        while (sends.length < MAX_SENDS_PER_CALL) {
          const following = inbox.peek();
          if (!following || !("frame" in following) || following.frame.op !== "send") break;
          sends.push(following.frame);
          inbox.shift();
        }
        connection.badFrames = 0;
        return await this.#sendAll(connection, sends);
      }
      await this.#handle(connection, frame);
    } catch (error) {
      if (error instanceof ProtocolError) return this.#protocolError(connection, error);
      const appError = toAppError(error);
      if (appError.code === "internal") {
        this.#options.onError(error, "frame failed", this.#about(connection, frame.op));
      }
      if (appError.code === "rate_limited") return this.#rateLimited(connection, appError);
      connection.send({ op: "error", code: appError.code, message: appError.message });
      this.#closeIfUnauthenticated(connection, appError.code);
    }
  }

  /**
   * Closes with 4401 a connection whose write logic refused as `unauthenticated`:
   * its user was disabled (or deleted) since it connected, and the kick that
   * should have closed it never reached this server.
   */
  #closeIfUnauthenticated(connection: Connection, code: ErrorCode | null): void {
    if (code === "unauthenticated") connection.close(CLOSE.unauthenticated, "unauthenticated");
  }

  async #handle(connection: Connection, frame: ClientFrame): Promise<void> {
    connection.badFrames = 0;
    if (frame.op === "auth") return await this.#authenticate(connection, frame.token);
    if (frame.op === "ping") return connection.send({ op: "pong" });
    if (!connection.authenticated) {
      throw new ProtocolError("Not authenticated: the first frame must be auth");
    }
    switch (frame.op) {
      case "send":
        return await this.#sendAll(connection, [frame]);
      case "ack":
        if (!this.#acks.take(connection.userId)) {
          countRateLimited("ack");
          throw new AppError("rate_limited", "Too many acks; try again later");
        }
        connection.ack(frame.conversationId, frame.seq);
        connection.rateStrikes = 0;
        return;
      case "read":
        await this.#options.logic.read(connection.userId, frame.body);
        connection.rateStrikes = 0;
        return;
      case "typing":
        // Queued behind the auth that was under way when it arrived.
        return this.#typed(connection, frame.conversationId);
    }
  }

  /**
   * Hands a typing frame to logic unless this user's typing in that conversation
   * went there less than TYPING_WINDOW_MS ago, or the user is over TYPING_RATE:
   * those are dropped silently, here, on arrival. A refusal (not a participant, no
   * such conversation) is answered with an error frame and never closes the
   * connection; being refused once per window at most, it cannot flood it either.
   */
  #typed(connection: Connection, conversationId: string): void {
    const { userId } = connection;
    if (!this.#typing.take(`${userId} ${conversationId}`)) return;
    if (!this.#typingRate.take(userId)) return countRateLimited("typing");
    this.#options.logic.typing(userId, conversationId).catch((error) => {
      const appError = toAppError(error);
      if (appError.code === "internal") {
        this.#options.onError(error, "typing failed", this.#about(connection, "typing"));
      }
      connection.send({ op: "error", code: appError.code, message: appError.message });
      this.#closeIfUnauthenticated(connection, appError.code);
    });
  }

  /** Tells of a refused frame; a client refused too many times in a row is closed with 4429. */
  #rateLimited(connection: Connection, error: AppError, ref?: unknown): void {
    if (++connection.rateStrikes > RATE_STRIKES_BEFORE_CLOSE) {
      return connection.close(CLOSE.rateLimited, "rate limited");
    }
    connection.send({
      op: "error",
      code: error.code,
      message: error.message,
      ...(typeof ref === "string" ? { ref } : {}),
    });
  }

  #protocolError(connection: Connection, error: ProtocolError): void {
    const code = connection.authenticated ? "invalid_argument" : "unauthenticated";
    connection.send({ op: "error", code, message: error.message });
    if (++connection.badFrames >= BAD_FRAMES_BEFORE_CLOSE) {
      connection.close(CLOSE.badProtocol, "invalid frames");
    }
  }

  async #authenticate(connection: Connection, token: string): Promise<void> {
    if (connection.authenticated) throw new AppError("invalid_argument", "Already authenticated");
    const { logic, sessions, presence, statusQueue, serverId } = this.#options;
    const tokenHash = await hashToken(token);
    const mark = sessions.kickMark();
    let checked;
    try {
      // In turn with the other sign-ins of this server; one whose socket closed meanwhile is not
      // checked at all.
      checked = await this.#signIns.run(async () => {
        if (connection.closed) return null;
        const user = await logic.authenticate(token);
        return { user, groupIds: await logic.groupIdsOf(user.id) };
      });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "unauthenticated") {
        connection.send({ op: "error", code: appError.code, message: appError.message });
        connection.close(CLOSE.unauthenticated, "unauthenticated");
        return;
      }
      throw appError;
    }
    if (!checked || connection.closed) return;
    const { user, groupIds } = checked;
    const open = sessions.connectionsOf(user.id).size;
    const refusal = userLimitRefusal(open, this.#options.maxConnectionsPerUser);
    if (refusal) {
      countRateLimited("connections_per_user");
      connection.send({ op: "error", code: refusal.code, message: refusal.message });
      connection.close(CLOSE.rateLimited, "too many connections");
      return;
    }
    connection.authenticate(user.id, tokenHash);
    sessions.add(connection, groupIds);
    if (sessions.connectionsOf(user.id).size === 1) onlineUsers.inc();
    if (sessions.kickedSince(tokenHash, mark)) {
      // Signed out while the token was checked: the kick came before this connection was here.
      connection.close(CLOSE.unauthenticated, "logged out");
      return;
    }
    connection.send({ op: "ready", user, serverId });
    if (await presence.connect(user.id, serverId, connection.id)) {
      await statusQueue.push({ userId: user.id, online: true, at: this.#now() });
    }
  }

  /**
   * Sends consecutive `send` frames of a connection in one call; each gets its own answer, in
   * order, and its own span (a child of the frame's traceparent, if any), whose traceparent
   * logic gives the message's record.
   */
  async #sendAll(connection: Connection, frames: SendFrame[]): Promise<void> {
    const spans = frames.map((frame) => {
      const span = startSpan("send", { kind: "server", parent: frame.traceparent });
      if (log.enabled("debug")) {
        log.debug("send received", {
          traceId: span.traceId,
          clientMsgId: typeof frame.clientMsgId === "string"
            ? frame.clientMsgId.slice(0, 64)
            : undefined,
        });
      }
      return span;
    });
    const { userId } = connection;
    let outcomes: SendOutcome[];
    try {
      const call = () =>
        this.#options.logic.sendMany(
          userId,
          frames.map((f) => f.body),
          spans.map((span) => span.traceparent),
        );
      // One send (the usual case): the call itself is part of its trace (logic's gRPC
      // metadata); a batch carries each send's trace in `traceparents` only.
      outcomes = await (spans.length === 1 ? withTrace(spans[0], call) : call());
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "internal") {
        this.#options.onError(error, "send failed", this.#about(connection, "send"));
      }
      outcomes = frames.map(() => ({
        error: { code: appError.code, message: appError.message },
      }));
    }
    outcomes.forEach((outcome, i) => this.#answerSend(connection, frames[i], spans[i], outcome));
    // Every send answered first, so the client knows what became of each.
    if (outcomes.some((outcome) => outcome.error?.code === "unauthenticated")) {
      this.#closeIfUnauthenticated(connection, "unauthenticated");
    }
  }

  /** Writes a send's answer, and counts, logs and ends its span. */
  #answerSend(connection: Connection, frame: SendFrame, span: Span, outcome: SendOutcome): void {
    let code: ErrorCode | null = null;
    if (outcome.result) {
      connection.rateStrikes = 0;
      connection.send({ op: "sent", ...outcome.result });
    } else {
      const { message } = outcome.error;
      code = outcome.error.code;
      const ref = frame.clientMsgId;
      if (code === "rate_limited") {
        this.#rateLimited(connection, new AppError(code, message), ref);
      } else {
        connection.send({
          op: "error",
          code,
          message,
          ...(typeof ref === "string" ? { ref } : {}),
        });
      }
    }
    countSend(code, frame.receivedAt);
    if (log.enabled("debug")) {
      log.debug("send answered", {
        traceId: span.traceId,
        ...(outcome.result
          ? { messageId: outcome.result.id, conversationId: outcome.result.conversationId }
          : { code }),
      });
    }
    span.end(code === "internal" || code === "unavailable" ? outcome.error!.message : undefined);
  }

  /** Resolves once no connection has a frame in hand or queued, and every cleanup is done. */
  async idle(): Promise<void> {
    const inboxes = () =>
      [...this.#connections.values()].filter((inbox): inbox is Inbox<Incoming> => inbox !== null);
    while (this.#closing.size > 0 || inboxes().some((inbox) => inbox.busy)) {
      await Promise.all([...inboxes().map((inbox) => inbox.idle()), ...this.#closing]);
    }
  }

  /** Drops what a closed connection still had queued, and cleans up after the frame in hand. */
  #closed(connection: Connection): void {
    const inbox = this.#connections.get(connection);
    inbox?.close();
    const done = (inbox?.idle() ?? Promise.resolve()).then(() => this.#cleanUp(connection)).catch(
      (error) => this.#options.onError(error, "cleanup failed", this.#about(connection)),
    );
    this.#closing.add(done);
    done.finally(() => this.#closing.delete(done));
  }

  /** Forgets a closed connection, once; its user goes offline with their last connection anywhere. */
  async #cleanUp(connection: Connection): Promise<void> {
    if (!connection.release()) return;
    connection.peerClosed();
    this.#connections.delete(connection);
    connectionsOpen.dec();
    countClose(connection.closeCode!);
    if (!connection.authenticated) return;
    const { sessions } = this.#options;
    sessions.remove(connection);
    if (sessions.connectionsOf(connection.userId).size === 0) {
      onlineUsers.dec();
      this.#acks.forget(connection.userId);
      this.#typingRate.forget(connection.userId);
    }
    const { presence, statusQueue, serverId, onError } = this.#options;
    try {
      if (await presence.disconnect(connection.userId, serverId, connection.id)) {
        await statusQueue.push({ userId: connection.userId, online: false, at: this.#now() });
      }
    } catch (error) {
      onError(error, "going offline failed", this.#about(connection));
    }
  }

  /** The fields an error line about a connection carries. */
  #about(connection: Connection, op?: string): Fields {
    return { connectionId: connection.id, userId: connection.userId || undefined, op };
  }
}
