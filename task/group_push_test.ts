/** Group pushes under since_join: one item per view of a message, a group item when all see it whole. */
import { assertEquals } from "../tests/assert.ts";
import { isFullTarget } from "../shared/message_view.ts";
import type { Message } from "../shared/types.ts";
import type { Outgoing } from "./deliver.ts";
import { groupPushItems } from "./group_push.ts";

const old: Message = {
  id: "100",
  conversationId: "g:9",
  seq: 2,
  from: "1",
  to: { type: "group", id: "9" },
  content: { type: "text", text: "old" },
  sentAt: 0,
  clientMsgId: "c1",
};
const reply: Message = {
  ...old,
  id: "101",
  seq: 5,
  content: { type: "text", text: "re" },
  clientMsgId: "c2",
  replyTo: { id: old.id, seq: old.seq, from: "1", preview: "old" },
};
const editOfReply: Message = {
  ...old,
  id: "102",
  seq: 8,
  clientMsgId: null,
  content: { type: "update", action: "edit", target: { ...reply, editedAt: 1 } },
};

/** Each item as who gets it and what it shows of the earlier messages. */
function seen(items: Outgoing[]): string[] {
  return items.map((item) => {
    const who = "groupId" in item ? `group ${item.groupId}` : item.userIds.join();
    const { message } = JSON.parse(item.frame) as { message: Message };
    const c = message.content;
    const target = c.type === "update" ? c.target : undefined;
    const shown = target && isFullTarget(target)
      ? `target ${target.seq}, its quote ${target.replyTo?.preview ?? "hidden"}`
      : target
      ? `target ${target.seq} hidden`
      : `quote ${message.replyTo?.preview ?? "hidden"}`;
    return `${who} (ack ${item.ack?.seq}): ${shown}`;
  });
}

Deno.test("groupPushItems() is one group item when every member may read what it refers to", () => {
  const floors = new Map([["1", 0], ["2", 1], ["3", 9]]);
  assertEquals(seen(groupPushItems(reply, floors)), ["group 9 (ack 5): quote old"]);
  assertEquals(seen(groupPushItems({ ...old, seq: 7 }, undefined)), [
    "group 9 (ack 7): quote hidden",
  ]);
});

Deno.test("groupPushItems() splits a reply to a message from before some member joined", () => {
  const floors = new Map([["1", 0], ["2", 2], ["3", 4], ["4", 0]]);
  assertEquals(seen(groupPushItems(reply, floors)), [
    "1,4 (ack 5): quote old",
    "2,3 (ack 5): quote hidden",
  ]);
});

Deno.test("groupPushItems() gives an edited reply three views: whole, its quote hidden, id and seq", () => {
  const floors = new Map([["1", 0], ["2", 3], ["3", 6], ["4", 8]]);
  assertEquals(seen(groupPushItems(editOfReply, floors)), [
    "1 (ack 8): target 5, its quote old",
    "2 (ack 8): target 5, its quote hidden",
    "3 (ack 8): target 5 hidden",
  ]);
});
