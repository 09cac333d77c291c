/** The fake pipeline the pipeline tests share: a fake socket, clock and logic. */
import assert from "node:assert/strict";
import { AppError } from "../shared/errors.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { StatusChange } from "../shared/queue/mod.ts";
import type { SendOutcome } from "../shared/rpc/logic.ts";
import { FakeSocket } from "./_fake_socket.ts";
import { Fanout } from "./fanout.ts";
import { FramePipeline, type PipelineOptions } from "./pipeline.ts";

/** A promise settled from outside. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

/** Lets the queued work start (the worker begins in a microtask). */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A `read` of logic that waits for `gate`, recording each call. */
export function gatedRead(gate: Promise<void>, calls: unknown[]) {
  return (_userId: string, body: unknown) => {
    calls.push(body);
    return gate;
  };
}

export const AUTH_TIMEOUT_MS = 1000;
export const IDLE_TIMEOUT_MS = 5000;

/** Items in arrival order, each awaited as it comes. */
export class Arrivals<T> {
  readonly #items: T[] = [];
  readonly #waiting: ((item: T) => void)[] = [];

  add(item: T): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  next(): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/**
 * A pipeline on a fake clock, with a logic that knows tokens "token-<user>" (and `read` as
 * given); its `sendMany` records each call's inputs and traceparents, refuses the content
 * "too fast" (rate_limited), "nobody" (not_found) and "disabled" (unauthenticated, as for an
 * account disabled since it connected), and accepts the rest; its `typing` records each call
 * and refuses "g:stranger" (forbidden), "g:gone" (not_found) and "g:disabled" (unauthenticated).
 */
export function setup(
  options: Partial<PipelineOptions> = {},
  read: (userId: string, body: unknown) => Promise<void> = () => Promise.resolve(),
) {
  let now = 0;
  const presence = new MemoryPresence();
  const statusChanges = new Arrivals<StatusChange>();
  const sendCalls: unknown[][] = [];
  const sendTraceparents: (readonly (string | null)[] | undefined)[] = [];
  const typingCalls: [string, string][] = [];
  const fanout = new Fanout({
    hash: () => 0,
    buckets: 1,
    bucketRate: 1000,
    bucketBurst: 1000,
    redeliverMs: 1000,
  });
  const pipeline = new FramePipeline({
    logic: {
      authenticate: (token) =>
        token.startsWith("token-")
          ? Promise.resolve({ id: token.slice(6), username: "u", nickname: "U", avatar: null })
          : Promise.reject(new AppError("unauthenticated", "Invalid or expired token")),
      groupIdsOf: () => Promise.resolve([]),
      sendMany: (_userId, inputs, traceparents) => {
        const bodies = inputs as { clientMsgId: string; content: string }[];
        sendCalls.push(bodies);
        sendTraceparents.push(traceparents);
        return Promise.resolve(
          bodies.map(({ clientMsgId, content }): SendOutcome =>
            content === "too fast"
              ? { error: { code: "rate_limited", message: "Too many messages" } }
              : content === "nobody"
              ? { error: { code: "not_found", message: "No such user" } }
              : content === "disabled"
              ? { error: { code: "unauthenticated", message: "This account is disabled" } }
              : { result: { id: "1", clientMsgId, conversationId: "u:1:2" } }
          ),
        );
      },
      read,
      typing: (userId, conversationId) => {
        typingCalls.push([userId, conversationId]);
        if (conversationId === "g:stranger") {
          return Promise.reject(new AppError("forbidden", "Not a member of the group"));
        }
        if (conversationId === "g:gone") {
          return Promise.reject(new AppError("not_found", "No such conversation"));
        }
        if (conversationId === "g:disabled") {
          return Promise.reject(new AppError("unauthenticated", "This account is disabled"));
        }
        return Promise.resolve();
      },
    },
    presence,
    statusQueue: {
      push: (change) => Promise.resolve(statusChanges.add(change)),
      consume: () => {},
      close: () => Promise.resolve(),
    },
    sessions: fanout,
    serverId: "connect-test",
    authTimeoutMs: AUTH_TIMEOUT_MS,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    frameBytes: 1024,
    jsonDepth: 4,
    sendBufferBytes: 1 << 20,
    maxConnectionsPerUser: 2,
    inbox: { frames: 100, bytes: 1 << 20 },
    ackRate: { rate: 1000, burst: 1000 },
    maxPendingPushes: 100,
    onError: (error) => {
      throw error;
    },
    now: () => now,
    ...options,
  });
  return {
    pipeline,
    fanout,
    presence,
    statusChanges,
    sendCalls,
    sendTraceparents,
    typingCalls,
    setNow: (ms: number) => now = ms,
    open(): FakeSocket {
      const socket = new FakeSocket();
      pipeline.open(socket.socket);
      return socket;
    },
    /** Opens a socket and authenticates it as `userId`. */
    async signIn(userId: string): Promise<FakeSocket> {
      const socket = this.open();
      socket.receiveFrame({ op: "auth", token: `token-${userId}` });
      assert.equal((await socket.next()).op, "ready");
      await pipeline.idle(); // Done with the auth (presence) too.
      return socket;
    },
    async close() {
      await pipeline.close();
      fanout.close();
    },
  };
}
