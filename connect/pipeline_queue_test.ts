/** The pipeline's inbound queue, ping ahead of it, and the read and ack rates. */
import assert from "node:assert/strict";
import { deferred, gatedRead, setup, tick } from "./_pipeline_fixture.ts";
import { RATE_STRIKES_BEFORE_CLOSE } from "./pipeline.ts";
import { AppError } from "../shared/errors.ts";

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
