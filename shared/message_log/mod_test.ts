import { assertEquals } from "../../tests/assert.ts";
import type { AcceptedMessage, Group } from "../types.ts";
import { type LogRecord, recordKey } from "./mod.ts";

const group: Group = {
  id: "42",
  name: "g",
  avatar: null,
  ownerId: "1",
  memberCount: 2,
  createdAt: 0,
  history: "since_join",
  notice: "",
  joinPolicy: "open",
  muted: false,
};
const message: AcceptedMessage = {
  id: "900",
  conversationId: "g:42",
  from: "1",
  to: { type: "group", id: "42" },
  content: { type: "text", text: "hi" },
  sentAt: 0,
  clientMsgId: "c1",
};

Deno.test("recordKey() puts a group's membership changes, updates and counts on its messages' key", () => {
  const join: LogRecord = {
    type: "event",
    userIds: ["7", "1"],
    frame: { op: "group_update", group },
    membership: { groupId: "42", added: ["7"], removed: [] },
  };
  const count: LogRecord = {
    type: "event",
    userIds: ["7"],
    frame: { op: "group_online", groupId: "42", count: 2 },
  };
  const key = recordKey({ type: "message", message });
  assertEquals(key, "g:42");
  assertEquals(recordKey(join), key);
  assertEquals(recordKey(count), key);
});

Deno.test("recordKey() puts a group's removals and join requests on its messages' key", () => {
  const user = { id: "7", username: "u7", nickname: "7", avatar: null };
  const frames = [
    { op: "group_removed", groupId: "42", reason: "removed" },
    { op: "group_join_request", request: { id: "5", groupId: "42", user, createdAt: 0 } },
    { op: "group_join_request_closed", groupId: "42", requestId: "5" },
  ] as const;
  for (const frame of frames) {
    assertEquals(recordKey({ type: "event", userIds: ["7"], frame }), "g:42", frame.op);
  }
});

Deno.test("recordKey() keys other events by their first recipient", () => {
  const record: LogRecord = {
    type: "event",
    userIds: ["7", "8"],
    frame: { op: "presence", userId: "8", online: true },
  };
  assertEquals(recordKey(record), "7");
});

Deno.test("recordKey() keys a group event by the group's conversation, a read receipt by its conversation", () => {
  const read = { op: "read", conversationId: "u:7:8", userId: "8", seq: 3 } as const;
  assertEquals(recordKey({ type: "event", userIds: ["7", "8"], frame: read }), "u:7:8");
  assertEquals(
    recordKey({ type: "group_event", groupId: "42", frame: { ...read, conversationId: "g:42" } }),
    "g:42",
  );
});
