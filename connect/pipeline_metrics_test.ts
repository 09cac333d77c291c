/** What the frame pipeline counts: connections, users online, frames, closes, sends, pushes pending ack, limits. */
import assert from "node:assert/strict";
import { deferred, gatedRead, setup } from "./_pipeline_fixture.ts";
import { snapshot } from "../shared/_metric_value.ts";

const message = (seq: number) => ({
  userIds: ["1"],
  frame: JSON.stringify({ op: "message", message: { seq } }),
  ack: { conversationId: "u:1:2", seq },
});

Deno.test("FramePipeline counts connections and online users up and back to zero, and each close by its code", async () => {
  const env = setup();
  const metrics = await snapshot({
    open: ["im_connections_open"],
    online: ["im_online_users"],
    normal: ["im_connection_closes_total", { code: "1000" }],
    unauthenticated: ["im_connection_closes_total", { code: "4401" }],
    goingAway: ["im_connection_closes_total", { code: "1001" }],
    other: ["im_connection_closes_total", { code: "other" }],
  });
  try {
    const first = await env.signIn("1");
    const second = await env.signIn("1");
    await env.signIn("2");
    env.open();
    assert.deepEqual(await metrics.delta(), {
      open: 4,
      online: 2,
      normal: 0,
      unauthenticated: 0,
      goingAway: 0,
      other: 0,
    });
    first.peerClose(1000);
    await env.pipeline.idle();
    const refused = env.open();
    refused.receiveFrame({ op: "auth", token: "forged" });
    await refused.closed;
    await env.pipeline.idle();
    assert.deepEqual(await metrics.delta(), {
      open: 3,
      online: 2,
      normal: 1,
      unauthenticated: 1,
      goingAway: 0,
      other: 0,
    }, "user 1 is still online on their second connection");
    second.peerClose(4321); // Not a code of the protocol: counted as other.
    await env.pipeline.idle();
    assert.equal((await metrics.delta()).online, 1);
  } finally {
    await env.close();
  }
  assert.deepEqual(await metrics.delta(), {
    open: 0,
    online: 0,
    normal: 1,
    unauthenticated: 1,
    goingAway: 2,
    other: 1,
  });
});

Deno.test("FramePipeline counts pushes pending ack up, and down on ack and on either side's close", async () => {
  const env = setup();
  const metrics = await snapshot({
    pending: ["im_pushes_pending_ack"],
    pushed: ["im_frames_sent_total", { op: "message" }],
  });
  try {
    const socket = await env.signIn("1");
    const other = await env.signIn("1");
    await env.fanout.service.push([message(1), message(2), message(3)]);
    assert.deepEqual(await metrics.delta(), { pending: 6, pushed: 6 }, "3 pushes to 2 sockets");
    socket.receiveFrame({ op: "ack", conversationId: "u:1:2", seq: 2 });
    await env.pipeline.idle();
    assert.equal((await metrics.delta()).pending, 4);
    socket.peerClose(1000);
    await env.pipeline.idle();
    assert.equal((await metrics.delta()).pending, 3, "the peer's close drops its one pending");
    other.receiveFrame({ op: "ack", conversationId: "u:1:2", seq: 1 });
    await env.pipeline.idle();
    assert.equal((await metrics.delta()).pending, 2);
    await env.fanout.service.push([message(4)]);
    assert.equal((await metrics.delta()).pending, 3);
  } finally {
    await env.close();
  }
  assert.equal((await metrics.delta()).pending, 0, "the server's close drops the rest");
});

Deno.test("FramePipeline counts sends by result and code, and the time of each to its answer", async () => {
  const env = setup();
  const metrics = await snapshot({
    accepted: ["im_sends_total", { result: "accepted", code: "ok" }],
    rateLimited: ["im_sends_total", { result: "refused", code: "rate_limited" }],
    notFound: ["im_sends_total", { result: "refused", code: "not_found" }],
    timed: ["im_send_accept_seconds_count"],
    sendsIn: ["im_frames_received_total", { op: "send" }],
    sentOut: ["im_frames_sent_total", { op: "sent" }],
    errorsOut: ["im_frames_sent_total", { op: "error" }],
  });
  try {
    const socket = await env.signIn("1");
    const to = { type: "user", id: "2" };
    for (const [clientMsgId, content] of [["a", "hi"], ["b", "too fast"], ["c", "nobody"]]) {
      socket.receiveFrame({ op: "send", clientMsgId, to, content });
    }
    const answers = [await socket.next(), await socket.next(), await socket.next()];
    assert.deepEqual(answers.map((a) => a.op === "sent" ? "sent" : a.code), [
      "sent",
      "rate_limited",
      "not_found",
    ]);
    assert.deepEqual(await metrics.delta(), {
      accepted: 1,
      rateLimited: 1,
      notFound: 1,
      timed: 3,
      sendsIn: 3,
      sentOut: 1,
      errorsOut: 2,
    });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline counts frames by op, a malformed one by its op and an unknown op as other", async () => {
  const env = setup();
  const metrics = await snapshot({
    authIn: ["im_frames_received_total", { op: "auth" }],
    pingIn: ["im_frames_received_total", { op: "ping" }],
    ackIn: ["im_frames_received_total", { op: "ack" }],
    otherIn: ["im_frames_received_total", { op: "other" }],
    readyOut: ["im_frames_sent_total", { op: "ready" }],
    pongOut: ["im_frames_sent_total", { op: "pong" }],
    errorOut: ["im_frames_sent_total", { op: "error" }],
  });
  try {
    const socket = await env.signIn("1");
    for (
      const frame of [
        '{"op":"ping"}',
        '{"op":"dance"}',
        '{"op":"ping"}',
        "not json",
        '{"op":"ping"}',
        '{"op":"ack","conversationId":"u:1:2","seq":-1}',
        "[]",
      ]
    ) {
      socket.receive(frame);
      await socket.next();
    }
    assert.deepEqual(await metrics.delta(), {
      authIn: 1,
      pingIn: 3,
      ackIn: 1,
      otherIn: 3,
      readyOut: 1,
      pongOut: 3,
      errorOut: 4,
    });
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline counts refusals by its own limits: acks, typing, queued frames, connections per user", async () => {
  const gate = deferred();
  const env = setup(
    {
      ackRate: { rate: 0.001, burst: 1 },
      typingRate: { rate: 0.001, burst: 1 },
      inbox: { frames: 2, bytes: 1 << 20 },
      maxConnectionsPerUser: 1,
    },
    gatedRead(gate.promise, []),
  );
  const metrics = await snapshot({
    ack: ["im_rate_limited_total", { limit: "ack" }],
    typing: ["im_rate_limited_total", { limit: "typing" }],
    queued: ["im_rate_limited_total", { limit: "queued_frames" }],
    perUser: ["im_rate_limited_total", { limit: "connections_per_user" }],
  });
  try {
    const socket = await env.signIn("1");
    socket.receiveFrame({ op: "ack", conversationId: "u:1:2", seq: 1 });
    socket.receiveFrame({ op: "ack", conversationId: "u:1:2", seq: 2 });
    assert.equal((await socket.next()).code, "rate_limited");
    socket.receiveFrame({ op: "typing", conversationId: "u:1:2" });
    socket.receiveFrame({ op: "typing", conversationId: "u:1:3" });
    const again = env.open();
    again.receiveFrame({ op: "auth", token: "token-1" });
    assert.equal((await again.closed).code, 4429);
    const reader = await env.signIn("2");
    for (let seq = 1; seq <= 4; seq++) {
      reader.receiveFrame({ op: "read", conversationId: "u:1:2", seq });
    }
    assert.equal((await reader.closed).code, 4429);
    assert.deepEqual(await metrics.delta(), { ack: 1, typing: 1, queued: 1, perUser: 1 });
  } finally {
    gate.resolve();
    await env.close();
  }
});
