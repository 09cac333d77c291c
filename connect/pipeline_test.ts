import assert from "node:assert/strict";
import { AppError } from "../shared/errors.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { StatusChange } from "../shared/queue/mod.ts";
import type { SendOutcome } from "../shared/rpc/logic.ts";
import { FakeSocket } from "./_fake_socket.ts";
import { Fanout } from "./fanout.ts";
import { FramePipeline, type PipelineOptions, RATE_STRIKES_BEFORE_CLOSE } from "./pipeline.ts";

/** A promise settled from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

/** Lets the queued work start (the worker begins in a microtask). */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A `read` of logic that waits for `gate`, recording each call. */
function gatedRead(gate: Promise<void>, calls: unknown[]) {
  return (_userId: string, body: unknown) => {
    calls.push(body);
    return gate;
  };
}

const AUTH_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 5000;

/** Items in arrival order, each awaited as it comes. */
class Arrivals<T> {
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

/** A pipeline on a fake clock, with a logic that knows tokens "token-<user>" (and `read` as given). */
function setup(
  options: Partial<PipelineOptions> = {},
  read: (userId: string, body: unknown) => Promise<void> = () => Promise.resolve(),
) {
  let now = 0;
  const presence = new MemoryPresence();
  const statusChanges = new Arrivals<StatusChange>();
  const sendCalls: unknown[][] = [];
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
      sendMany: (_userId, inputs) => {
        const bodies = inputs as { clientMsgId: string; content: string }[];
        sendCalls.push(bodies);
        return Promise.resolve(
          bodies.map(({ clientMsgId, content }): SendOutcome =>
            content === "too fast"
              ? { error: { code: "rate_limited", message: "Too many messages" } }
              : { result: { id: "1", clientMsgId, conversationId: "u:1:2" } }
          ),
        );
      },
      read,
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
    presence,
    statusChanges,
    sendCalls,
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

Deno.test("FramePipeline closes with 4400 after three invalid frames in a row, and a good frame starts the count again", async () => {
  const env = setup();
  try {
    const socket = env.open();
    socket.receive("nope");
    socket.receiveFrame({ op: "send", clientMsgId: "c1", to: "2", content: "hi" });
    assert.equal((await socket.next()).code, "unauthenticated", "not JSON");
    const early = await socket.next();
    assert.equal(early.message, "Not authenticated: the first frame must be auth");
    socket.receiveFrame({ op: "ping" });
    assert.equal((await socket.next()).op, "pong");
    socket.receive("[]");
    socket.receiveFrame({ op: "dance" });
    await socket.next();
    await socket.next();
    assert.equal(socket.closedWith, null, "two in a row since the ping");
    socket.receive("{}");
    assert.equal((await socket.next()).code, "unauthenticated");
    assert.deepEqual(socket.closedWith, { code: 4400, reason: "invalid frames" });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline answers invalid frames after auth with invalid_argument", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    socket.receive("nope");
    assert.deepEqual(await socket.next(), {
      op: "error",
      code: "invalid_argument",
      message: "Invalid frame: not JSON",
    });
    socket.receiveFrame({ op: "auth", token: "token-1" });
    assert.equal((await socket.next()).message, "Already authenticated");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes an oversize frame's connection with 1009", async () => {
  const env = setup({ frameBytes: 64 });
  try {
    const socket = env.open();
    socket.receive("x".repeat(65));
    assert.deepEqual(await socket.closed, { code: 1009, reason: "frame too large" });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline.sweep() closes with 4408 a connection not authenticated within authTimeoutMs", async () => {
  const env = setup();
  try {
    const late = env.open();
    env.setNow(AUTH_TIMEOUT_MS);
    env.pipeline.sweep();
    assert.equal(late.closedWith, null, "exactly the timeout is still in time");
    env.setNow(AUTH_TIMEOUT_MS + 1);
    env.pipeline.sweep();
    assert.deepEqual(late.closedWith, { code: 4408, reason: "no auth in time" });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline.sweep() closes with 4408 a session silent past idleTimeoutMs, and takes its user offline", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("7");
    assert.deepEqual(await env.statusChanges.next(), { userId: "7", online: true, at: 0 });
    env.setNow(500);
    socket.receiveFrame({ op: "ping" });
    assert.equal((await socket.next()).op, "pong");
    env.setNow(500 + IDLE_TIMEOUT_MS);
    env.pipeline.sweep();
    assert.equal(socket.closedWith, null, "a frame restarts the idle clock");
    env.setNow(501 + IDLE_TIMEOUT_MS);
    env.pipeline.sweep();
    assert.deepEqual(socket.closedWith, { code: 4408, reason: "idle" });
    assert.deepEqual(await env.statusChanges.next(), {
      userId: "7",
      online: false,
      at: 501 + IDLE_TIMEOUT_MS,
    });
    assert.equal(env.pipeline.size, 0);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes with 4401 a connection whose auth token is refused", async () => {
  const env = setup();
  try {
    const socket = env.open();
    socket.receiveFrame({ op: "auth", token: "stolen" });
    assert.deepEqual(await socket.next(), {
      op: "error",
      code: "unauthenticated",
      message: "Invalid or expired token",
    });
    assert.deepEqual(socket.closedWith, { code: 4401, reason: "unauthenticated" });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes with 4429 a session past maxConnectionsPerUser", async () => {
  const env = setup({ maxConnectionsPerUser: 2 });
  try {
    await env.signIn("3");
    await env.signIn("3");
    await env.signIn("4");
    const third = env.open();
    third.receiveFrame({ op: "auth", token: "token-3" });
    assert.deepEqual(await third.next(), {
      op: "error",
      code: "rate_limited",
      message: "Too many connections for this account (at most 2)",
    });
    assert.deepEqual(third.closedWith, { code: 4429, reason: "too many connections" });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline hands consecutive sends to logic in one call and answers each in order", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    socket.receiveFrame({ op: "send", clientMsgId: "a", to: "2", content: "one" });
    socket.receiveFrame({ op: "send", clientMsgId: "b", to: "2", content: "too fast" });
    socket.receiveFrame({ op: "send", clientMsgId: "c", to: "2", content: "three" });
    assert.deepEqual(await socket.next(), {
      op: "sent",
      id: "1",
      clientMsgId: "a",
      conversationId: "u:1:2",
    });
    assert.deepEqual(await socket.next(), {
      op: "error",
      code: "rate_limited",
      message: "Too many messages",
      ref: "b",
    });
    assert.equal((await socket.next()).clientMsgId, "c");
    assert.equal(env.sendCalls.length, 1);
    assert.equal(env.sendCalls[0].length, 3);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes with 4429 a connection that keeps sending past the rate", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    for (let i = 0; i <= RATE_STRIKES_BEFORE_CLOSE; i++) {
      socket.receiveFrame({ op: "send", clientMsgId: `m${i}`, to: "2", content: "too fast" });
    }
    assert.deepEqual(await socket.closed, { code: 4429, reason: "rate limited" });
    assert.equal(socket.unread, RATE_STRIKES_BEFORE_CLOSE, "an error for each send before");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline.close() closes every connection with 1001", async () => {
  const env = setup();
  const socket = await env.signIn("1");
  await env.close();
  assert.deepEqual(await socket.closed, { code: 1001, reason: "server shutting down" });
  assert.equal(env.pipeline.size, 0);
});

Deno.test("FramePipeline.restoreRoutes() records open sessions again after their routes were dropped", async () => {
  const env = setup();
  try {
    await env.signIn("1");
    await env.signIn("2");
    assert.equal((await env.statusChanges.next()).online, true);
    assert.equal((await env.statusChanges.next()).online, true);
    // task took this server for gone (its lease lapsed) and dropped its routes.
    assert.deepEqual((await env.presence.dropServer("connect-test")).sort(), ["1", "2"]);
    assert.equal(await env.pipeline.restoreRoutes(), 2);
    assert.deepEqual([...await env.presence.online(["1", "2"])].sort(), ["1", "2"]);
    const back = [await env.statusChanges.next(), await env.statusChanges.next()];
    assert.deepEqual(back.map((c) => [c.userId, c.online]).sort(), [["1", true], ["2", true]]);
    assert.equal(await env.pipeline.restoreRoutes(), 0, "nothing to restore twice");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline answers a ping at once, ahead of frames still queued", async () => {
  const gate = deferred();
  const calls: unknown[] = [];
  const env = setup({}, gatedRead(gate.promise, calls));
  try {
    const socket = await env.signIn("1");
    socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq: 1 });
    socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq: 2 });
    socket.receiveFrame({ op: "ping" });
    assert.deepEqual(await socket.next(), { op: "pong" });
    assert.equal(calls.length, 1, "the second read still waits behind the first");
    gate.resolve();
    await env.pipeline.idle();
    assert.equal(calls.length, 2);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes with 4429 a connection past its inbound queue, and handles nothing it had queued", async () => {
  const gate = deferred();
  const calls: unknown[] = [];
  const env = setup({ inbox: { frames: 3, bytes: 1 << 20 } }, gatedRead(gate.promise, calls));
  try {
    const socket = await env.signIn("1");
    // One in hand, three queued, and the fifth finds the queue full.
    socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq: 1 });
    await tick();
    for (let seq = 2; seq <= 5; seq++) {
      socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq });
    }
    assert.deepEqual(socket.closedWith, { code: 4429, reason: "too many frames queued" });
    assert.deepEqual(await socket.next(), {
      op: "error",
      code: "rate_limited",
      message: "Too many frames waiting to be handled",
    });
    gate.resolve();
    await env.pipeline.idle();
    assert.equal(calls.length, 1, "only the frame in hand was handled");
    assert.equal(env.pipeline.size, 0);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline bounds the inbound queue by size too, though one frame alone always fits", async () => {
  const gate = deferred();
  const calls: unknown[] = [];
  const env = setup(
    { inbox: { frames: 100, bytes: 60 } },
    gatedRead(gate.promise, calls),
  );
  try {
    const socket = await env.signIn("1");
    const read = (seq: number) => ({ op: "read", conversationId: `u:1:${"2".repeat(60)}`, seq });
    socket.receiveFrame(read(1)); // In hand.
    await tick();
    socket.receiveFrame(read(2)); // Alone in the queue: fits, though larger than the bound.
    assert.equal(socket.closedWith, null);
    socket.receiveFrame(read(3));
    assert.deepEqual(socket.closedWith, { code: 4429, reason: "too many frames queued" });
    gate.resolve();
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline drops the queued frames of a client that left, and cleans up after the one in hand", async () => {
  const gate = deferred();
  const calls: unknown[] = [];
  const env = setup({}, gatedRead(gate.promise, calls));
  try {
    const socket = await env.signIn("1");
    socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq: 1 });
    await tick();
    for (let seq = 2; seq <= 50; seq++) {
      socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq });
    }
    socket.peerClose();
    assert.equal(env.pipeline.size, 1, "not forgotten while a frame is in hand");
    gate.resolve();
    await env.pipeline.idle();
    assert.equal(calls.length, 1, "no work after the client left");
    assert.equal(env.pipeline.size, 0);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline refuses acks past the user's rate, across their connections, and closes with 4429 when they go on", async () => {
  const env = setup({ ackRate: { rate: 1, burst: 2 } });
  try {
    const first = await env.signIn("1");
    const second = await env.signIn("1");
    const ack = { op: "ack", conversationId: "u:1:2", seq: 1 };
    first.receiveFrame(ack);
    second.receiveFrame(ack);
    second.receiveFrame(ack);
    assert.deepEqual(await second.next(), {
      op: "error",
      code: "rate_limited",
      message: "Too many acks; try again later",
    });
    assert.equal(first.unread, 0);
    env.setNow(1000);
    second.receiveFrame(ack);
    second.receiveFrame({ op: "ping" });
    assert.equal((await second.next()).op, "pong", "a token back after a second");
    for (let i = 0; i <= RATE_STRIKES_BEFORE_CLOSE; i++) second.receiveFrame(ack);
    await env.pipeline.idle();
    assert.deepEqual(second.closedWith, { code: 4429, reason: "rate limited" });
    assert.equal(second.unread, RATE_STRIKES_BEFORE_CLOSE);
    assert.equal(first.closedWith, null);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes with 4429 a connection whose reads logic keeps refusing for rate", async () => {
  const env = setup(
    {},
    () => Promise.reject(new AppError("rate_limited", "Too many reads; try again later")),
  );
  try {
    const socket = await env.signIn("1");
    for (let seq = 0; seq <= RATE_STRIKES_BEFORE_CLOSE; seq++) {
      socket.receiveFrame({ op: "read", conversationId: "u:1:2", seq });
    }
    assert.deepEqual(await socket.closed, { code: 4429, reason: "rate limited" });
    assert.equal(socket.unread, RATE_STRIKES_BEFORE_CLOSE, "an error for each read before");
    assert.equal((await socket.next()).code, "rate_limited");
  } finally {
    await env.close();
  }
});
