import { assertEquals, assertThrows } from "../tests/assert.ts";
import { parseFrame, ProtocolError } from "./frames.ts";

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
    ]
  ) {
    assertEquals(assertThrows(() => parseFrame(data)) instanceof ProtocolError, true, data);
  }
});
