import assert from "node:assert/strict";
import { AppError } from "../shared/errors.ts";
import { AUTH_TIMEOUT_MS, IDLE_TIMEOUT_MS, setup, tick } from "./_pipeline_fixture.ts";
import { RATE_STRIKES_BEFORE_CLOSE, TYPING_RATE, TYPING_WINDOW_MS } from "./pipeline.ts";
import { hashToken } from "../shared/token_hash.ts";
import type { Fanout } from "./fanout.ts";

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

Deno.test("FramePipeline closes with 4401 a connection whose token is signed out while it is being checked", async () => {
  const late: { fanout?: Fanout } = {};
  const env = setup({
    logic: {
      // The token is valid when read; the sign-out's kick reaches this server before the
      // connection is registered, so the kick itself finds nothing to close.
      authenticate: async (token) => {
        if (token === "token-7") await late.fanout!.service.kick([await hashToken(token)]);
        return { id: token.slice(6), username: "u", nickname: "U", avatar: null };
      },
      groupIdsOf: () => Promise.resolve([]),
      sendMany: () => Promise.resolve([]),
      read: () => Promise.resolve(),
      typing: () => Promise.resolve(),
    },
  });
  late.fanout = env.fanout;
  try {
    const kicked = env.open();
    kicked.receiveFrame({ op: "auth", token: "token-7" });
    assert.deepEqual(await kicked.closed, { code: 4401, reason: "logged out" });
    await env.pipeline.idle();
    assert.equal(env.fanout.connectionsOf("7").size, 0);
    // A kick of another token, or one before the check began, does not stop a sign-in.
    await env.fanout.service.kick([await hashToken("token-8")]);
    await env.signIn("8");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline closes with 4401 a connection whose send, read or typing logic refuses as unauthenticated", async () => {
  const refusal = { code: "unauthenticated" as const, message: "This account is disabled" };
  const env = setup(
    {},
    (_userId, body) =>
      (body as { seq: number }).seq === 9
        ? Promise.reject(new AppError(refusal.code, refusal.message))
        : Promise.resolve(),
  );
  try {
    // A send: every send of the call is answered, then the connection is closed.
    const sender = await env.signIn("1");
    sender.receiveFrame({ op: "send", clientMsgId: "a", to: "2", content: "disabled" });
    sender.receiveFrame({ op: "send", clientMsgId: "b", to: "2", content: "disabled" });
    assert.deepEqual(await sender.next(), { op: "error", ...refusal, ref: "a" });
    assert.deepEqual(await sender.next(), { op: "error", ...refusal, ref: "b" });
    assert.deepEqual(await sender.closed, { code: 4401, reason: "unauthenticated" });
    // Other refusals leave it open.
    const other = await env.signIn("2");
    other.receiveFrame({ op: "send", clientMsgId: "c", to: "2", content: "nobody" });
    other.receiveFrame({ op: "read", conversationId: "u:1:2", seq: 1 });
    other.receiveFrame({ op: "typing", conversationId: "g:gone" });
    assert.equal((await other.next()).code, "not_found");
    assert.equal((await other.next()).code, "not_found");
    assert.equal(other.closedWith, null);
    other.receiveFrame({ op: "read", conversationId: "u:1:2", seq: 9 });
    assert.deepEqual(await other.next(), { op: "error", ...refusal });
    assert.deepEqual(await other.closed, { code: 4401, reason: "unauthenticated" });
    const typist = await env.signIn("3");
    typist.receiveFrame({ op: "typing", conversationId: "g:disabled" });
    assert.deepEqual(await typist.next(), { op: "error", ...refusal });
    assert.deepEqual(await typist.closed, { code: 4401, reason: "unauthenticated" });
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

Deno.test("FramePipeline hands typing to logic once per 2 s per conversation and drops the repeats silently", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    const other = await env.signIn("2");
    socket.receiveFrame({ op: "typing", conversationId: "u:1:2" });
    socket.receiveFrame({ op: "typing", conversationId: "u:1:2" });
    socket.receiveFrame({ op: "typing", conversationId: "g:5" });
    other.receiveFrame({ op: "typing", conversationId: "g:5" });
    env.setNow(TYPING_WINDOW_MS - 1);
    socket.receiveFrame({ op: "typing", conversationId: "u:1:2" });
    await tick();
    assert.deepEqual(env.typingCalls, [["1", "u:1:2"], ["1", "g:5"], ["2", "g:5"]]);
    env.setNow(TYPING_WINDOW_MS);
    socket.receiveFrame({ op: "typing", conversationId: "u:1:2" });
    await tick();
    assert.deepEqual(env.typingCalls.at(-1), ["1", "u:1:2"], "a window after the first");
    assert.equal(env.typingCalls.length, 4);
    assert.equal(socket.unread, 0, "no answer to typing");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline answers typing to a conversation the user is not in with an error frame, and stays open", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    socket.receiveFrame({ op: "typing", conversationId: "g:stranger" });
    assert.deepEqual(await socket.next(), {
      op: "error",
      code: "forbidden",
      message: "Not a member of the group",
    });
    socket.receiveFrame({ op: "typing", conversationId: "g:gone" });
    assert.equal((await socket.next()).code, "not_found");
    // More refusals than would close a connection for invalid frames or rate strikes.
    for (let i = 1; i <= RATE_STRIKES_BEFORE_CLOSE + 5; i++) {
      env.setNow(i * TYPING_WINDOW_MS);
      socket.receiveFrame({ op: "typing", conversationId: "g:stranger" });
      assert.equal((await socket.next()).code, "forbidden");
    }
    assert.equal(socket.closedWith, null);
    socket.receiveFrame({ op: "send", clientMsgId: "a", to: "2", content: "hi" });
    assert.equal((await socket.next()).op, "sent");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline takes a flood of 1,000 typing frames without queueing them, closing or holding up a send", async () => {
  // A queue of 10 frames: had typing frames been queued, the flood would close the connection.
  const env = setup({ inbox: { frames: 10, bytes: 1 << 20 } });
  try {
    const socket = await env.signIn("1");
    for (let i = 0; i < 1000; i++) {
      socket.receiveFrame({ op: "typing", conversationId: "g:stranger" });
      socket.receiveFrame({ op: "typing", conversationId: i % 2 ? "u:1:2" : `g:${i}` });
    }
    socket.receiveFrame({ op: "send", clientMsgId: "a", to: "2", content: "hi" });
    assert.equal(env.pipeline.size, 1);
    const answers = [await socket.next(), await socket.next()];
    assert.deepEqual(answers.map((frame) => frame.op).sort(), ["error", "sent"]);
    await env.pipeline.idle();
    await tick();
    assert.equal(socket.unread, 0, "one refusal for the whole flood to one conversation");
    assert.equal(socket.closedWith, null);
    // Each conversation once, and no more conversations than a user's burst.
    assert.equal(env.typingCalls.length, TYPING_RATE.burst);
    assert.equal(new Set(env.typingCalls.map(([, id]) => id)).size, TYPING_RATE.burst);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline refuses typing before auth like any frame, and relays one queued behind the auth", async () => {
  const env = setup();
  try {
    const early = env.open();
    early.receiveFrame({ op: "typing", conversationId: "u:1:2" });
    assert.equal((await early.next()).code, "unauthenticated");
    const socket = env.open();
    socket.receiveFrame({ op: "auth", token: "token-3" });
    socket.receiveFrame({ op: "typing", conversationId: "u:2:3" });
    assert.equal((await socket.next()).op, "ready");
    await env.pipeline.idle();
    assert.deepEqual(env.typingCalls, [["3", "u:2:3"]]);
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline keeps no inbound queue for an idle connection: one is made for a frame and dropped once handled", async () => {
  const env = setup();
  try {
    const socket = env.open();
    assert.equal(env.pipeline.queues, 0, "opened, nothing sent yet");
    socket.receiveFrame({ op: "auth", token: "token-1" });
    assert.equal(env.pipeline.queues, 1, "the auth waits in a queue");
    assert.equal((await socket.next()).op, "ready");
    await env.pipeline.idle();
    assert.equal(env.pipeline.queues, 0, "handled: the queue is gone");
    socket.receiveFrame({ op: "ping" });
    assert.equal((await socket.next()).op, "pong");
    assert.equal(env.pipeline.queues, 0, "a ping is answered on arrival, without a queue");
    socket.receiveFrame({ op: "send", clientMsgId: "c1", to: "2", content: "hi" });
    socket.receiveFrame({ op: "send", clientMsgId: "c2", to: "2", content: "hi" });
    assert.equal(env.pipeline.queues, 1);
    assert.equal((await socket.next()).op, "sent");
    assert.equal((await socket.next()).op, "sent");
    await env.pipeline.idle();
    assert.equal(env.pipeline.queues, 0);
    assert.deepEqual(env.sendCalls.map((call) => call.length), [2], "both in one call, in order");
  } finally {
    await env.close();
  }
});
