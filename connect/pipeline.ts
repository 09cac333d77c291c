/**
 * The frame pipeline of each connection: frames are read (size, JSON, protocol)
 * and handled one after another (consecutive sends together); the first must
 * be auth, three invalid frames in a row close the connection, and a
 * connection that does not authenticate, or falls silent, in time is closed.
 */
import { AppError, toAppError } from "../shared/errors.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusQueue } from "../shared/queue/mod.ts";
import type { LogicService, SendOutcome } from "../shared/rpc/logic.ts";
import { hashToken } from "../shared/token_hash.ts";
import { CLOSE, Connection } from "./connection.ts";
import { type ClientFrame, type Incoming, ProtocolError, readFrame } from "./frames.ts";
import { userLimitRefusal } from "./limits.ts";

/** Invalid frames in a row that close a connection with 4400. */
export const BAD_FRAMES_BEFORE_CLOSE = 3;
/** Refused sends in a row for rate that close a connection with 4429 (one more than this). */
export const RATE_STRIKES_BEFORE_CLOSE = 20;
/** Most consecutive send frames of a connection handed to logic in one call. */
export const MAX_SENDS_PER_CALL = 64;

type SendFrame = Extract<ClientFrame, { op: "send" }>;

/** Where authenticated connections are registered (the fan-out). */
export interface SessionIndex {
  connectionsOf(userId: string): ReadonlySet<Connection>;
  add(connection: Connection, groupIds: Iterable<string>): void;
  remove(connection: Connection): void;
}

/** Options of a `FramePipeline`; `createConnect()` gives the defaults. */
export interface PipelineOptions {
  logic: Pick<LogicService, "authenticate" | "groupIdsOf" | "sendMany" | "read">;
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
  onError: (error: unknown, context: string) => void;
  now?: () => number;
}

/** The connections of this server, from their upgrade to their cleanup. */
export class FramePipeline {
  readonly #options: PipelineOptions;
  readonly #now: () => number;
  readonly #connections = new Set<Connection>();
  readonly #timer: ReturnType<typeof setInterval>;
  #nextId = 0;

  constructor(options: PipelineOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
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

  /** Takes an upgraded socket: its frames are handled in order, and its cleanup after them. */
  open(socket: WebSocket): Connection {
    let chain = Promise.resolve();
    const connection: Connection = new Connection(
      `${this.#options.serverId}:${++this.#nextId}`,
      socket,
      this.#now(),
      this.#options.sendBufferBytes,
      () => chain = chain.then(() => this.#cleanUp(connection)),
    );
    this.#connections.add(connection);
    const inbox: Incoming[] = [];
    socket.onmessage = (event) => {
      connection.lastSeen = this.#now();
      inbox.push(readFrame(event.data, this.#options));
      chain = chain.then(() => this.#next(connection, inbox));
    };
    socket.onclose = () => {
      chain = chain.then(() => this.#cleanUp(connection));
    };
    socket.onerror = () => {};
    return connection;
  }

  /**
   * Records every authenticated connection in presence again, announcing online
   * the users who were not: after this server was taken for gone (its etcd lease
   * lapsed), task dropped its routes though its sockets stayed open. Returns how
   * many users came back online.
   */
  async restoreRoutes(): Promise<number> {
    const { presence, statusQueue, serverId } = this.#options;
    let restored = 0;
    for (const connection of [...this.#connections]) {
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
    for (const connection of this.#connections) {
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
    const closed = [...this.#connections].map((connection) =>
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
    for (const connection of [...this.#connections]) await this.#cleanUp(connection);
  }

  /**
   * Handles the next frame of a connection; when it is a send, with the sends
   * queued right behind it, so a client keeping several in flight is not held
   * to one round trip per message.
   */
  async #next(connection: Connection, inbox: Incoming[]): Promise<void> {
    const incoming = inbox.shift();
    if (!incoming) return; // Taken along by an earlier batch.
    if ("tooLarge" in incoming) return connection.close(CLOSE.tooLarge, "frame too large");
    if ("invalid" in incoming) return this.#protocolError(connection, incoming.invalid);
    const { frame } = incoming;
    try {
      if (frame.op === "send" && connection.authenticated) {
        const sends = [frame];
        while (sends.length < MAX_SENDS_PER_CALL) {
          const following = inbox[0];
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
        this.#options.onError(error, `frame from ${connection.userId || "anonymous"}`);
      }
      connection.send({ op: "error", code: appError.code, message: appError.message });
    }
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
        return connection.ack(frame.conversationId, frame.seq);
      case "read":
        return await this.#options.logic.read(connection.userId, frame.body);
    }
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
    let user;
    try {
      user = await logic.authenticate(token);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "unauthenticated") {
        connection.send({ op: "error", code: appError.code, message: appError.message });
        connection.close(CLOSE.unauthenticated, "unauthenticated");
        return;
      }
      throw appError;
    }
    const groupIds = await logic.groupIdsOf(user.id);
    if (connection.closed) return;
    const open = sessions.connectionsOf(user.id).size;
    const refusal = userLimitRefusal(open, this.#options.maxConnectionsPerUser);
    if (refusal) {
      connection.send({ op: "error", code: refusal.code, message: refusal.message });
      connection.close(CLOSE.rateLimited, "too many connections");
      return;
    }
    connection.authenticate(user.id, await hashToken(token));
    sessions.add(connection, groupIds);
    connection.send({ op: "ready", user, serverId });
    if (await presence.connect(user.id, serverId, connection.id)) {
      await statusQueue.push({ userId: user.id, online: true, at: this.#now() });
    }
  }

  /** Sends consecutive `send` frames of a connection in one call; each gets its own answer, in order. */
  async #sendAll(connection: Connection, frames: SendFrame[]): Promise<void> {
    let outcomes: SendOutcome[];
    try {
      outcomes = await this.#options.logic.sendMany(connection.userId, frames.map((f) => f.body));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "internal") {
        this.#options.onError(error, `send from ${connection.userId}`);
      }
      outcomes = frames.map(() => ({
        error: { code: appError.code, message: appError.message },
      }));
    }
    outcomes.forEach((outcome, i) => {
      if (outcome.result) {
        connection.rateStrikes = 0;
        return connection.send({ op: "sent", ...outcome.result });
      }
      const { code, message } = outcome.error;
      if (code === "rate_limited" && ++connection.rateStrikes > RATE_STRIKES_BEFORE_CLOSE) {
        return connection.close(CLOSE.rateLimited, "rate limited");
      }
      const ref = frames[i].clientMsgId;
      connection.send({ op: "error", code, message, ...(typeof ref === "string" ? { ref } : {}) });
    });
  }

  /** Forgets a closed connection, once; its user goes offline with their last connection anywhere. */
  async #cleanUp(connection: Connection): Promise<void> {
    if (!connection.release()) return;
    connection.closed = true;
    this.#connections.delete(connection);
    if (!connection.authenticated) return;
    this.#options.sessions.remove(connection);
    const { presence, statusQueue, serverId, onError } = this.#options;
    try {
      if (await presence.disconnect(connection.userId, serverId, connection.id)) {
        await statusQueue.push({ userId: connection.userId, online: false, at: this.#now() });
      }
    } catch (error) {
      onError(error, `offline of ${connection.userId}`);
    }
  }
}
