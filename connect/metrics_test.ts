import assert from "node:assert/strict";
import { snapshot } from "../shared/_metric_value.ts";
import { countClose, countFrameOut, SERVER_OPS } from "./metrics.ts";

Deno.test("countFrameOut() counts a written frame by the op its text starts with, an unknown one as other", async () => {
  const metrics = await snapshot({
    message: ["im_frames_sent_total", { op: "message" }],
    request: ["im_frames_sent_total", { op: "group_join_request" }],
    closed: ["im_frames_sent_total", { op: "group_join_request_closed" }],
    read: ["im_frames_sent_total", { op: "read" }],
    other: ["im_frames_sent_total", { op: "other" }],
  });
  countFrameOut(JSON.stringify({ op: "message", message: {} }));
  countFrameOut(JSON.stringify({ op: "group_join_request_closed", groupId: "1" }));
  countFrameOut(JSON.stringify({ op: "group_join_request", request: {} }));
  countFrameOut(JSON.stringify({ op: "messages" }));
  countFrameOut(JSON.stringify({ op: "mess" }));
  countFrameOut(JSON.stringify({ conversationId: "c", op: "read" }), "read");
  countFrameOut(JSON.stringify({ conversationId: "c", op: "read" }));
  countFrameOut("not json");
  countFrameOut("", "no such op");
  assert.deepEqual(await metrics.delta(), {
    message: 1,
    request: 1,
    closed: 1,
    read: 1,
    other: 5,
  });
});

Deno.test("SERVER_OPS lists every op once", () => {
  assert.equal(new Set(SERVER_OPS).size, SERVER_OPS.length);
  assert.ok(SERVER_OPS.includes("group_join_request_closed"));
});

Deno.test("countClose() counts the protocol's close codes as themselves, any other as other", async () => {
  const metrics = await snapshot({
    policy: ["im_connection_closes_total", { code: "1008" }],
    timeout: ["im_connection_closes_total", { code: "4408" }],
    other: ["im_connection_closes_total", { code: "other" }],
  });
  for (const code of [1008, 4408, 4408, 3000, 4999, 1234]) countClose(code);
  assert.deepEqual(await metrics.delta(), { policy: 1, timeout: 2, other: 3 });
});
