/**
 * The connect layer: WebSocket sessions. Connections are spread over buckets by
 * farmhash of the user id; pushes from task are written through each bucket's
 * token bucket and kept pending per connection until acked.
 */
import { AppError, toAppError } from "../shared/errors.ts";
import { errorResponse } from "../shared/http_error.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusQueue } from "../shared/queue/mod.ts";
import type { ConnectService, PushItem } from "../shared/rpc/connect.ts";
import type { LogicService, SendOutcome } from "../shared/rpc/logic.ts";
import { hashToken } from "../shared/token_hash.ts";
import { Bucket } from "./bucket.ts";
import { CLOSE, Connection } from "./connection.ts";
import { type ClientFrame, parseFrame, ProtocolError } from "./frames.ts";
import { RedeliveryQueue } from "./redelivery.ts";

/** Options of `createConnect()`. */
export interface ConnectOptions {
  logic: LogicService;
  presence: Presence;
  statusQueue: StatusQueue;
  serverId: string;
  /** 32-bit hash of a user id, for bucketing (farmhash.hash32 in production). */
  hash: (userId: string) => number;
  buckets?: number;
  bucketRate?: number;
  bucketBurst?: number;
  redeliverMs?: number;
  authTimeoutMs?: number;
  idleTimeoutMs?: number;
  frameBytes?: number;
  /** Deepest nesting of arrays and objects in a frame. */
  jsonDepth?: number;
  sendBufferBytes?: number;
  /**
   * Origins whose pages may open a session (against cross-site WebSocket
   * hijacking). Empty: a page's host must be the server's own. Clients that
   * send no Origin (not browsers) are not concerned.
   */
  allowedOrigins?: readonly string[];
  /** Sessions one user may hold on this server; the next one is closed with 4429. */
  maxConnectionsPerUser?: number;
  /** Sockets one client address may hold open on this server; the next upgrade gets 429. */
  maxConnectionsPerAddress?: number;
  onError?: (error: unknown, context: string) => void;
}

/** A running connect server. */
export interface Connect {
  /** Upgrades an HTTP request to a WebSocket session. */
  /** `address`: the client's network address, for the per-address limit. */
  upgrade(request: Request, address?: string): Response;
  /** What task calls. */
  readonly service: ConnectService;
  /** Open connections. */
  readonly size: number;
  /** Closes every connection with 1001 and stops timers. */
  close(): Promise<void>;
}

const RATE_STRIKES_BEFORE_CLOSE = 20;

/** Whether a WebSocket upgrade's Origin may connect; see `allowedOrigins`. */
export function originAllowed(request: Request, allowed: readonly string[]): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    // The page's host against the Host the browser connected to (ports may differ:
    // a cluster's page comes from the api, its WebSocket goes to a connect server).
    const page = new URL(origin).hostname;
    const server = new URL(`http://${request.headers.get("host") ?? ""}`).hostname;
    return page !== "" && page === server;
  } catch {
    return false;
  }
}
/** Most consecutive send frames of a connection handed to logic in one `sendMany()` call. */
const MAX_SENDS_PER_CALL = 64;

type SendFrame = Extract<ClientFrame, { op: "send" }>;
/** A frame as read off the socket. */
type Incoming = { frame: ClientFrame } | { tooLarge: true } | { invalid: ProtocolError };

/** Creates a connect server. */
export function createConnect(options: ConnectOptions): Connect {
  const {
    logic,
    presence,
    statusQueue,
    serverId,
    hash,
    buckets: bucketCount = 32,
    bucketRate = 200_000,
    bucketBurst = 20_000,
    redeliverMs = 30_000,
    authTimeoutMs = 10_000,
    idleTimeoutMs = 60_000,
    frameBytes = 64 * 1024,
    jsonDepth = 16,
    sendBufferBytes = 4 * 1024 * 1024,
    allowedOrigins = [],
    maxConnectionsPerUser = 20,
    maxConnectionsPerAddress = 5000,
    onError = (error, context) => console.error(`connect: ${context}:`, error),
  } = options;
  const buckets = Array.from(
    { length: bucketCount },
    () => new Bucket<Connection>({ rate: bucketRate, burst: bucketBurst }),
  );
  const bucketOf = (userId: string) => buckets[hash(userId) % bucketCount];
  const connections = new Set<Connection>();
  const byToken = new Map<string, Set<Connection>>();
  const redelivery = new RedeliveryQueue({ timeoutMs: redeliverMs });
  const perAddress = new Map<string, number>();
  let nextId = 0;
  let closing = false;

  const redeliverTimer = setInterval(
    () => redelivery.tick(),
    Math.min(1000, Math.max(10, redeliverMs / 4)),
  );
  const sweepTimer = setInterval(
    sweep,
    Math.min(1000, Math.max(10, Math.min(authTimeoutMs, idleTimeoutMs) / 4)),
  );

  function sweep(): void {
    const now = Date.now();
    for (const connection of connections) {
      if (!connection.authenticated && now - connection.openedAt > authTimeoutMs) {
        connection.close(CLOSE.timeout, "no auth in time");
      } else if (connection.authenticated && now - connection.lastSeen > idleTimeoutMs) {
        connection.close(CLOSE.timeout, "idle");
      }
    }
  }

  function deliver(connection: Connection, item: PushItem): void {
    if (item.ack && !connection.hold(item.ack.conversationId, item.ack.seq, item.frame)) return;
    if (item.ack) redelivery.track(connection, item.ack.conversationId, item.ack.seq);
    bucketOf(connection.userId).enqueue(connection, item.frame);
  }

  const service: ConnectService = {
    push(items: PushItem[]): Promise<void> {
      for (const item of items) {
        if ("groupId" in item) {
          for (const bucket of buckets) {
            for (const userId of bucket.groupMembers(item.groupId)) {
              for (const connection of bucket.connections(userId)) deliver(connection, item);
            }
          }
          continue;
        }
        if (item.membership) {
          const { groupId, added, removed } = item.membership;
          for (const userId of added) bucketOf(userId).joinGroup(groupId, userId);
          for (const userId of removed) bucketOf(userId).leaveGroup(groupId, userId);
        }
        for (const userId of item.userIds) {
          for (const connection of bucketOf(userId).connections(userId)) deliver(connection, item);
        }
      }
      return Promise.resolve();
    },
    kick(tokenHashes: string[]): Promise<void> {
      for (const tokenHash of tokenHashes) {
        for (const connection of byToken.get(tokenHash) ?? []) {
          connection.close(CLOSE.unauthenticated, "logged out");
        }
      }
      return Promise.resolve();
    },
  };

  async function authenticate(connection: Connection, token: string): Promise<void> {
    if (connection.authenticated) throw new AppError("invalid_argument", "Already authenticated");
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
    if (bucketOf(user.id).connections(user.id).size >= maxConnectionsPerUser) {
      connection.send({
        op: "error",
        code: "rate_limited",
        message: `Too many connections for this account (at most ${maxConnectionsPerUser})`,
      });
      connection.close(CLOSE.rateLimited, "too many connections");
      return;
    }
    const tokenHash = await hashToken(token);
    connection.authenticate(user.id, tokenHash);
    let set = byToken.get(tokenHash);
    if (!set) byToken.set(tokenHash, set = new Set());
    set.add(connection);
    bucketOf(user.id).add(connection, groupIds);
    connection.send({ op: "ready", user, serverId });
    if (await presence.connect(user.id, serverId, connection.id)) {
      await statusQueue.push({ userId: user.id, online: true, at: Date.now() });
    }
  }

  async function handle(connection: Connection, frame: ClientFrame): Promise<void> {
    connection.badFrames = 0;
    if (frame.op === "auth") return await authenticate(connection, frame.token);
    if (frame.op === "ping") return connection.send({ op: "pong" });
    if (!connection.authenticated) {
      throw new ProtocolError("Not authenticated: the first frame must be auth");
    }
    switch (frame.op) {
      case "send":
        return await sendAll(connection, [frame]);
      case "ack":
        return connection.ack(frame.conversationId, frame.seq);
      case "read":
        return await logic.read(connection.userId, frame.body);
    }
  }

  /** Sends consecutive `send` frames of a connection in one call; each gets its own answer, in order. */
  async function sendAll(connection: Connection, frames: SendFrame[]): Promise<void> {
    let outcomes: SendOutcome[];
    try {
      outcomes = await logic.sendMany(connection.userId, frames.map((f) => f.body));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "internal") onError(error, `send from ${connection.userId}`);
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
      connection.send({
        op: "error",
        code,
        message,
        ...(typeof ref === "string" ? { ref } : {}),
      });
    });
  }

  /** Reads a frame as it arrives: what it is, or why it is refused. */
  function classify(data: unknown): Incoming {
    if (typeof data !== "string") {
      const size = data instanceof ArrayBuffer ? data.byteLength : (data as Blob).size ?? 0;
      if (size > frameBytes) return { tooLarge: true };
      return { invalid: new ProtocolError("Invalid frame: binary frames are not supported") };
    }
    if (
      data.length > frameBytes ||
      (data.length * 3 > frameBytes && new TextEncoder().encode(data).length > frameBytes)
    ) {
      return { tooLarge: true };
    }
    try {
      return { frame: parseFrame(data, jsonDepth) };
    } catch (error) {
      if (error instanceof ProtocolError) return { invalid: error };
      throw error;
    }
  }

  /**
   * Handles the next frame of a connection; when it is a send, with the sends
   * queued right behind it, so a client keeping several in flight is not held
   * to one round trip per message.
   */
  async function next(connection: Connection, inbox: Incoming[]): Promise<void> {
    const incoming = inbox.shift();
    if (!incoming) return; // Taken along by an earlier batch.
    if ("tooLarge" in incoming) return connection.close(CLOSE.tooLarge, "frame too large");
    if ("invalid" in incoming) return protocolError(connection, incoming.invalid);
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
        return await sendAll(connection, sends);
      }
      await handle(connection, frame);
    } catch (error) {
      if (error instanceof ProtocolError) return protocolError(connection, error);
      const appError = toAppError(error);
      if (appError.code === "internal") {
        onError(error, `frame from ${connection.userId || "anonymous"}`);
      }
      connection.send({ op: "error", code: appError.code, message: appError.message });
    }
  }

  function protocolError(connection: Connection, error: ProtocolError): void {
    const code = connection.authenticated ? "invalid_argument" : "unauthenticated";
    connection.send({ op: "error", code, message: error.message });
    if (++connection.badFrames >= 3) connection.close(CLOSE.badProtocol, "invalid frames");
  }

  async function onClose(connection: Connection): Promise<void> {
    if (!connection.release()) return;
    connection.closed = true;
    connections.delete(connection);
    if (!connection.authenticated) return;
    bucketOf(connection.userId).remove(connection);
    const set = byToken.get(connection.tokenHash);
    set?.delete(connection);
    if (set?.size === 0) byToken.delete(connection.tokenHash);
    try {
      if (await presence.disconnect(connection.userId, serverId, connection.id)) {
        await statusQueue.push({ userId: connection.userId, online: false, at: Date.now() });
      }
    } catch (error) {
      onError(error, `offline of ${connection.userId}`);
    }
  }

  return {
    upgrade(request: Request, address = ""): Response {
      if (closing) return new Response("shutting down", { status: 503 });
      if (address && (perAddress.get(address) ?? 0) >= maxConnectionsPerAddress) {
        return errorResponse(
          new AppError("rate_limited", "Too many connections from this address", {
            retryAfter: 10,
          }),
          (error) => onError(error, "upgrade"),
        );
      }
      if (!originAllowed(request, allowedOrigins)) {
        return errorResponse(
          new AppError("forbidden", "This page's origin may not open a session here"),
          (error) => onError(error, "upgrade"),
        );
      }
      const { socket, response } = Deno.upgradeWebSocket(request);
      // Frames of one connection are handled in order (consecutive sends together), and its cleanup after them.
      let chain = Promise.resolve();
      const connection: Connection = new Connection(
        `${serverId}:${++nextId}`,
        socket,
        Date.now(),
        sendBufferBytes,
        () => chain = chain.then(() => onClose(connection)),
      );
      connections.add(connection);
      if (address) {
        perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
        socket.addEventListener("close", () => {
          const left = (perAddress.get(address) ?? 1) - 1;
          if (left > 0) perAddress.set(address, left);
          else perAddress.delete(address);
        });
      }
      const inbox: Incoming[] = [];
      socket.onmessage = (event) => {
        connection.lastSeen = Date.now();
        inbox.push(classify(event.data));
        chain = chain.then(() => next(connection, inbox));
      };
      socket.onclose = () => {
        chain = chain.then(() => onClose(connection));
      };
      socket.onerror = () => {};
      return response;
    },
    service,
    get size() {
      return connections.size;
    },
    async close() {
      closing = true;
      clearInterval(redeliverTimer);
      clearInterval(sweepTimer);
      for (const bucket of buckets) bucket.drain();
      const closed = [...connections].map((connection) =>
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
      for (const connection of [...connections]) await onClose(connection);
      for (const bucket of buckets) bucket.close();
      redelivery.clear();
    },
  };
}
