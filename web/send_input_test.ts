/// <reference lib="deno.ns" />
import { assertEquals, assertThrows } from "../tests/assert.ts";
import { sendInput } from "./session_outbox.ts";

Deno.test("sendInput() sends a text with its reply and mentions, media by id, a file with its name", () => {
  assertEquals(
    sendInput({ type: "text", text: "hi @Bob", mentions: ["u2"] }, "m1"),
    { type: "text", text: "hi @Bob", replyTo: "m1", mentions: ["u2"] },
  );
  assertEquals(sendInput({ type: "text", text: "@everyone", mentions: [], mentionAll: true }), {
    type: "text",
    text: "@everyone",
    mentionAll: true,
  });
  assertEquals(sendInput({ type: "image", mediaId: "i1", url: "/media/i1" }, "m2"), {
    type: "image",
    mediaId: "i1",
    replyTo: "m2",
  });
  assertEquals(
    sendInput({
      type: "file",
      mediaId: "f1",
      name: "notes.txt",
      url: "/media/f1",
      size: 3,
      contentType: "application/octet-stream",
    }),
    { type: "file", mediaId: "f1", name: "notes.txt" },
  );
  assertThrows(() => sendInput({ type: "recalled", recalledBy: "u1" }));
});
