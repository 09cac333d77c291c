/** How a message reads to a reader under since_join. */
import { assertEquals } from "../tests/assert.ts";
import { restrictTo } from "./message_view.ts";
import type { Message } from "./types.ts";

const quoted = { id: "1", seq: 2, from: "7", preview: "old text" };
const reply: Message = {
  id: "5",
  conversationId: "g:9",
  seq: 6,
  from: "7",
  to: { type: "group", id: "9" },
  content: { type: "text", text: "re" },
  sentAt: 0,
  clientMsgId: "c",
  replyTo: quoted,
};
const edit: Message = {
  ...reply,
  id: "8",
  seq: 9,
  clientMsgId: null,
  replyTo: undefined,
  content: { type: "update", action: "edit", target: reply },
};

Deno.test("restrictTo() hides what lies at or below the floor, and nothing above it", () => {
  assertEquals(restrictTo(reply, 0), reply);
  assertEquals(restrictTo(reply, 1), reply);
  assertEquals(restrictTo(reply, 2).replyTo, { ...quoted, preview: null });
  assertEquals(restrictTo(edit, 1), edit);
  assertEquals(restrictTo(edit, 6).content, {
    type: "update",
    action: "edit",
    target: { id: "5", seq: 6 },
  });
});

Deno.test("restrictTo() hides the quote of an updated reply when only the quote is below the floor", () => {
  const seen = restrictTo(edit, 3);
  assertEquals(seen.content, {
    type: "update",
    action: "edit",
    target: { ...reply, replyTo: { ...quoted, preview: null } },
  });
});
