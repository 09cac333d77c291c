/** Trace context at the edge: a send frame's traceparent to logic, the send's and push's log lines. */
import assert from "node:assert/strict";
import { setup } from "./_pipeline_fixture.ts";
import { configureLogging, type Level, type LogSettings } from "../shared/log.ts";
import { parseTraceparent } from "../shared/trace.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const to = { type: "user", id: "2" };

/** Runs `fn` with every log line at debug captured as JSON; restores the settings after. */
async function capturingLogs(fn: (lines: Record<string, unknown>[]) => Promise<void>) {
  const saved: LogSettings = { ...configureLogging({}) };
  const lines: Record<string, unknown>[] = [];
  configureLogging({
    format: "json",
    level: "debug",
    write: (_level: Level, line: string) => lines.push(JSON.parse(line)),
  });
  try {
    await fn(lines);
  } finally {
    configureLogging(saved);
  }
}

Deno.test("FramePipeline hands logic a send's traceparent, a child of the frame's, and keeps it out of the input", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    socket.receiveFrame({ op: "send", clientMsgId: "a", to, content: "hi", traceparent: PARENT });
    assert.equal((await socket.next()).op, "sent");
    assert.deepEqual(env.sendCalls[0], [{ clientMsgId: "a", to, content: "hi" }]);
    const trace = parseTraceparent(env.sendTraceparents[0]?.[0]);
    assert.equal(trace?.traceId, TRACE_ID, "the client's trace goes on");
    assert.notEqual(trace?.spanId, "00f067aa0ba902b7", "in the server's own span");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline ignores a malformed, huge or non-string traceparent: the send goes through in a new trace", async () => {
  const env = setup();
  try {
    const socket = await env.signIn("1");
    const malformed = [
      "garbage",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      PARENT.toUpperCase(),
      `${PARENT} `,
      "x".repeat(800),
      42,
      null,
      { traceId: TRACE_ID },
      [PARENT],
    ];
    for (const [i, traceparent] of malformed.entries()) {
      socket.receiveFrame({ op: "send", clientMsgId: `m${i}`, to, content: "hi", traceparent });
    }
    for (const i of malformed.keys()) {
      assert.deepEqual(await socket.next(), {
        op: "sent",
        id: "1",
        clientMsgId: `m${i}`,
        conversationId: "u:1:2",
      });
    }
    const inputs = env.sendCalls.flat() as Record<string, unknown>[];
    assert.equal(inputs.length, malformed.length);
    assert.ok(inputs.every((input) => !("traceparent" in input)));
    const traces = env.sendTraceparents.flatMap((batch) => batch ?? []).map(parseTraceparent);
    assert.equal(traces.length, malformed.length);
    const traceIds = new Set(traces.map((trace) => trace?.traceId));
    assert.ok(!traceIds.has(undefined), "each send has a well-formed traceparent");
    assert.ok(!traceIds.has(TRACE_ID));
    assert.equal(traceIds.size, malformed.length, "a new trace each");
  } finally {
    await env.close();
  }
});

Deno.test("FramePipeline writes send received and send answered at debug, in the send's trace and without its text", async () => {
  const env = setup();
  try {
    await capturingLogs(async (lines) => {
      const socket = await env.signIn("1");
      socket.receiveFrame({
        op: "send",
        clientMsgId: "a",
        to,
        content: "secret words",
        traceparent: PARENT,
      });
      socket.receiveFrame({ op: "send", clientMsgId: "b", to, content: "nobody" });
      await socket.next();
      await socket.next();
      const sends = lines.filter((line) => String(line.message).startsWith("send "));
      assert.deepEqual(
        sends.map(({ message, clientMsgId, messageId, conversationId, code }) => ({
          message,
          clientMsgId,
          messageId,
          conversationId,
          code,
        })),
        [
          { message: "send received", clientMsgId: "a" },
          { message: "send received", clientMsgId: "b" },
          { message: "send answered", messageId: "1", conversationId: "u:1:2" },
          { message: "send answered", code: "not_found" },
        ].map((line) => ({
          clientMsgId: undefined,
          messageId: undefined,
          conversationId: undefined,
          code: undefined,
          ...line,
        })),
      );
      assert.equal(sends[0].traceId, TRACE_ID);
      assert.equal(sends[2].traceId, TRACE_ID);
      assert.equal(sends[3].traceId, sends[1].traceId);
      assert.notEqual(sends[1].traceId, TRACE_ID);
      assert.ok(sends.every((line) => line.level === "debug" && line.component === "connect"));
      assert.ok(!JSON.stringify(lines).includes("secret words"));
    });
  } finally {
    await env.close();
  }
});

Deno.test("Fanout writes push delivered at debug in the push's trace, with the connections it reached", async () => {
  const env = setup();
  try {
    const first = await env.signIn("1");
    await env.signIn("1");
    await capturingLogs(async (lines) => {
      await env.fanout.service.push([
        {
          userIds: ["1", "3"],
          frame: JSON.stringify({ op: "message", message: { seq: 7 } }),
          ack: { conversationId: "u:1:3", seq: 7 },
          traceparent: PARENT,
        },
        { userIds: ["1"], frame: JSON.stringify({ op: "presence", userId: "3", online: true }) },
      ]);
      const pushed = lines.filter((line) => line.message === "push delivered");
      assert.deepEqual(
        pushed.map(({ traceId, conversationId, seq, connections }) => ({
          traceId,
          conversationId,
          seq,
          connections,
        })),
        [{ traceId: TRACE_ID, conversationId: "u:1:3", seq: 7, connections: 2 }],
      );
    });
    assert.equal((await first.next()).op, "message");
  } finally {
    await env.close();
  }
});
