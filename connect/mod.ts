/**
 * The connect layer: WebSocket sessions. `/ws` requests come in through the
 * front door (front_door.ts, origin and address checks in limits.ts), each
 * socket's frames go through the frame pipeline (pipeline.ts), and pushes from
 * task fan out over buckets and group nodes, pending ack until acked
 * (fanout.ts). What it counts (connections, users online, frames, closes,
 * sends, pushes pending ack, refusals by its limits) is in metrics.ts; each
 * send is a span continuing the frame's `traceparent`, and each push is logged
 * in its item's trace.
 */
import { logger } from "../shared/log.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusQueue } from "../shared/queue/mod.ts";
import type { ConnectService } from "../shared/rpc/connect.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import { Fanout } from "./fanout.ts";
import { type FrontDoor, frontDoor, notAnUpgrade } from "./front_door.ts";
import { AddressLimit } from "./limits.ts";
import { FramePipeline, type OnError } from "./pipeline.ts";

const log = logger("connect");

export type { FrontDoor } from "./front_door.ts";
export { originAllowed } from "./limits.ts";

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
  /** Frames one connection may have waiting to be handled; the next closes it with 4429. */
  inboxFrames?: number;
  /** Their text's size (UTF-16 code units); past it the connection is closed with 4429. */
  inboxBytes?: number;
  /** Acks per second per user on this server. */
  ackRate?: number;
  /** Acks a user may send at once. */
  ackBurst?: number;
  /** Pushes one connection may leave unacked; the next closes it with 1008. */
  maxPendingPushes?: number;
  /** Sockets one client address may hold open before they authenticate; the next upgrade gets 429. */
  maxUnauthenticatedPerAddress?: number;
  /** Sockets this server holds open before they authenticate, in all; the next upgrade gets 503. */
  maxHandshakes?: number;
  /** Where unexpected errors go (default: error lines of the `connect` logger). */
  onError?: OnError;
}

/** A running connect server. */
export interface Connect {
  /**
   * The `/ws` front door, for every entry point: checks the request (a
   * WebSocket upgrade, not shutting down, the client address under its caps, the
   * page's Origin allowed); the socket it accepts starts a session.
   */
  readonly upgrade: FrontDoor;
  /** The answer to a plain request for `/ws` (no upgrade): 400. */
  notAnUpgrade(): Response;
  /** What task calls. */
  readonly service: ConnectService;
  /** Open connections. */
  readonly size: number;
  /**
   * Records every open session in presence again (after this server's registration
   * lapsed and task dropped its routes); returns how many users came back online.
   */
  restoreRoutes(): Promise<number>;
  /** Closes every connection with 1001 and stops timers. */
  close(): Promise<void>;
}

/** Creates a connect server. */
export function createConnect(options: ConnectOptions): Connect {
  const {
    logic,
    presence,
    statusQueue,
    serverId,
    hash,
    buckets = 32,
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
    inboxFrames = 1000,
    inboxBytes = 1024 * 1024,
    ackRate = 1000,
    ackBurst = 2000,
    maxPendingPushes = 1000,
    maxUnauthenticatedPerAddress = 50,
    maxHandshakes = 1000,
    onError = (error, context, fields) => log.error(context, { ...fields, error }),
  } = options;
  const fanout = new Fanout({ hash, buckets, bucketRate, bucketBurst, redeliverMs });
  const pipeline = new FramePipeline({
    logic,
    presence,
    statusQueue,
    sessions: fanout,
    serverId,
    authTimeoutMs,
    idleTimeoutMs,
    frameBytes,
    jsonDepth,
    sendBufferBytes,
    maxConnectionsPerUser,
    inbox: { frames: inboxFrames, bytes: inboxBytes },
    ackRate: { rate: ackRate, burst: ackBurst },
    maxPendingPushes,
    onError,
  });
  let closing = false;

  return {
    upgrade: frontDoor({
      addresses: new AddressLimit(maxConnectionsPerAddress),
      maxUnauthenticatedPerAddress,
      maxHandshakes,
      allowedOrigins,
      closing: () => closing,
      accept: (socket, address, socketClosed) => pipeline.open(socket, address, socketClosed),
      onError,
    }),
    notAnUpgrade: () => notAnUpgrade(onError),
    service: fanout.service,
    get size() {
      return pipeline.size;
    },
    restoreRoutes: () => pipeline.restoreRoutes(),
    async close() {
      closing = true;
      fanout.drain();
      await pipeline.close();
      fanout.close();
    },
  };
}
