import { assertEquals, assertThrows } from "../tests/assert.ts";
import assert from "node:assert/strict";
import { parseFrame, ProtocolError, readFrame } from "./frames.ts";

Deno.test("parseFrame() accepts each client op", () => {
  assertEquals(parseFrame('{"op":"auth","token":"t"}'), { op: "auth", token: "t" });
  assertEquals(parseFrame('{"op":"ping"}'), { op: "ping" });
  assertEquals(parseFrame('{"op":"ack","conversationId":"u:1:2","seq":3}'), {
    op: "ack",
    conversationId: "u:1:2",
    seq: 3,
  });
  assertEquals(parseFrame('{"op":"send","clientMsgId":"x","to":1,"content":2}').op, "send");
  assertEquals(parseFrame('{"op":"read","conversationId":"u:1:2","seq":3}').op, "read");
  assertEquals(parseFrame('{"op":"typing","conversationId":"g:42"}'), {
    op: "typing",
    conversationId: "g:42",
  });
  assertEquals(
    parseFrame(JSON.stringify({ op: "typing", conversationId: "u:1:".padEnd(64, "9") })).op,
    "typing",
  );
});

Deno.test("parseFrame() rejects what is not protocol", () => {
  for (
    const data of [
      "",
      "nope",
      "[]",
      "null",
      '{"token":"x"}',
      '{"op":"dance"}',
      '{"op":"auth"}',
      '{"op":"ping","x":1}',
      '{"op":"ack","conversationId":"c","seq":-1}',
      '{"op":"ack","conversationId":"c","seq":"1"}',
      '{"op":"typing"}',
      '{"op":"typing","conversationId":""}',
      '{"op":"typing","conversationId":7}',
      '{"op":"typing","conversationId":null}',
      '{"op":"typing","conversationId":["g:1"]}',
      '{"op":"typing","conversationId":"g:1","seq":1}',
      JSON.stringify({ op: "typing", conversationId: "g:".padEnd(65, "1") }),
    ]
  ) {
    assertEquals(assertThrows(() => parseFrame(data)) instanceof ProtocolError, true, data);
  }
});

const LIMITS = { frameBytes: 32, jsonDepth: 2 };

Deno.test("readFrame() refuses text and binary frames over frameBytes as too large", () => {
  assert.deepEqual(readFrame('{"op":"ping"}', LIMITS), { frame: { op: "ping" } });
  assert.deepEqual(readFrame("x".repeat(33), LIMITS), { tooLarge: true });
  // Eleven characters, thirty-three bytes in UTF-8.
  assert.deepEqual(readFrame("€".repeat(11), LIMITS), { tooLarge: true });
  assert.ok("invalid" in readFrame("€".repeat(10), LIMITS), "thirty bytes: read, not JSON");
  assert.deepEqual(readFrame(new ArrayBuffer(33), LIMITS), { tooLarge: true });
  assert.deepEqual(readFrame(new Blob([new Uint8Array(33)]), LIMITS), { tooLarge: true });
});

Deno.test("readFrame() answers binary, malformed and too deep frames as invalid", () => {
  for (const data of [new ArrayBuffer(4), "nope", '{"op":"x","a":[[1]]}', '{"op":"dance"}']) {
    const incoming = readFrame(data, LIMITS);
    assert.ok("invalid" in incoming && incoming.invalid instanceof ProtocolError, String(data));
  }
  const binary = readFrame(new ArrayBuffer(4), LIMITS);
  assert.ok("invalid" in binary);
  assert.equal(binary.invalid.message, "Invalid frame: binary frames are not supported");
});

Deno.test("parseFrame() keeps a send's string traceparent out of its body, and ignores one of another type", () => {
  const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const frame = parseFrame(JSON.stringify({ op: "send", clientMsgId: "a", traceparent: parent }));
  assert.ok(frame.op === "send");
  assert.equal(frame.traceparent, parent);
  assert.deepEqual(frame.body, { clientMsgId: "a" });
  for (const traceparent of [42, null, { a: 1 }, [parent], "not one"]) {
    const other = parseFrame(JSON.stringify({ op: "send", clientMsgId: "a", traceparent }));
    assert.ok(other.op === "send", JSON.stringify(traceparent));
    assert.deepEqual(other.body, { clientMsgId: "a" });
    assert.equal(other.traceparent, typeof traceparent === "string" ? traceparent : undefined);
  }
});

Deno.test("readFrame() stamps a send with the time it was read", () => {
  const before = performance.now();
  const incoming = readFrame('{"op":"send"}', { frameBytes: 1024, jsonDepth: 4 });
  assert.ok("frame" in incoming && incoming.frame.op === "send");
  assert.ok(incoming.frame.receivedAt >= before && incoming.frame.receivedAt <= performance.now());
});

Deno.test("parseFrame() names the op of a malformed frame of a known op, and no other", () => {
  const opOf = (data: string) => (assertThrows(() => parseFrame(data)) as ProtocolError).op;
  assertEquals(opOf('{"op":"auth"}'), "auth");
  assertEquals(opOf('{"op":"send","x":1}'), "send");
  assertEquals(opOf('{"op":"ack","conversationId":"c","seq":-1}'), "ack");
  assertEquals(opOf('{"op":"dance"}'), undefined);
  assertEquals(opOf('{"op":"toString"}'), undefined);
  assertEquals(opOf("[]"), undefined);
});
