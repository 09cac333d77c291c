/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { Group, GroupMember, Message, User } from "../shared/types.ts";
import { bubbleInfo } from "./message_list.tsx";
import { type Conversation, initialState, reduce, type State } from "./state.ts";

const me: User = { id: "u1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "u2", username: "bob", nickname: "Bob", avatar: null };
const HOUR = 3600_000;
const NOW = 1_000 * HOUR;

function msg(from: string, conversationId: string, ageMs: number, seq = 1): Message {
  return {
    id: `m${seq}`,
    conversationId,
    seq,
    from,
    to: conversationId.startsWith("g:") ? { type: "group", id: "9" } : { type: "user", id: bob.id },
    content: { type: "text", text: "hi" },
    sentAt: NOW - ageMs,
    clientMsgId: `c${seq}`,
  };
}

const dm: Conversation = {
  id: "u:u1:u2",
  type: "user",
  peer: bob,
  lastSeq: 1,
  readSeq: 0,
  unread: 0,
  lastMessage: null,
};

function groupOf(ownerId: string, memberCount = 3): { state: State; conv: Conversation } {
  const group: Group = {
    id: "9",
    name: "G",
    avatar: null,
    ownerId,
    memberCount,
    createdAt: 0,
    history: "all",
    notice: "",
    joinPolicy: "open",
    muted: false,
  };
  const conv: Conversation = { ...dm, id: "g:9", type: "group", group, peer: undefined };
  let state = reduce(initialState(me), { type: "groups", list: [{ group, onlineCount: 0 }] });
  state = reduce(state, { type: "open", conversationId: "g:9" });
  return { state, conv };
}

Deno.test("bubbleInfo(): own texts edit for 48 h and recall for 24 h; ticks by the peer's mark", () => {
  const state = initialState(me);
  assertEquals(bubbleInfo(state, dm, msg(me.id, dm.id, HOUR), NOW), {
    receipt: { kind: "delivered" },
    canEdit: true,
    canRecall: true,
  });
  const day = bubbleInfo(state, dm, msg(me.id, dm.id, 25 * HOUR), NOW);
  assertEquals([day.canEdit, day.canRecall], [true, false]);
  const old = bubbleInfo(state, dm, msg(me.id, dm.id, 49 * HOUR), NOW);
  assertEquals([old.canEdit, old.canRecall], [false, false]);
  assertEquals(bubbleInfo(state, dm, msg(bob.id, dm.id, HOUR), NOW), {
    canEdit: false,
    canRecall: false,
  });
  const read = reduce(state, { type: "peer_read", conversationId: dm.id, userId: bob.id, seq: 1 });
  assertEquals(bubbleInfo(read, dm, msg(me.id, dm.id, HOUR), NOW).receipt, { kind: "read" });
});

Deno.test("bubbleInfo(): the group's owner recalls anyone's; Read by N up to 100 members", () => {
  const { state, conv } = groupOf(me.id);
  assertEquals(bubbleInfo(state, conv, msg(bob.id, conv.id, 100 * HOUR), NOW).canRecall, true);
  const member = groupOf(bob.id);
  assertEquals(
    bubbleInfo(member.state, member.conv, msg(bob.id, conv.id, HOUR), NOW).canRecall,
    false,
  );
  let read = reduce(state, {
    type: "reads",
    conversationId: conv.id,
    reads: [
      { userId: bob.id, seq: 1 },
      { userId: "u3", seq: 4 },
    ],
  });
  assertEquals(bubbleInfo(read, conv, msg(me.id, conv.id, HOUR), NOW).receipt, {
    kind: "read_by",
    count: 2,
  });
  const big = groupOf(me.id, 101);
  read = reduce(big.state, { type: "peer_read", conversationId: conv.id, userId: bob.id, seq: 1 });
  assertEquals(bubbleInfo(read, big.conv, msg(me.id, conv.id, HOUR), NOW).receipt, {
    kind: "delivered",
  });
});

Deno.test("bubbleInfo(): an admin recalls plain members' messages only", () => {
  const { state, conv } = groupOf("u3");
  const members = [
    { user: me, role: "admin", mutedUntil: null },
    { user: bob, role: "member", mutedUntil: null },
    { user: { ...bob, id: "u3" }, role: "owner", mutedUntil: null },
  ] as unknown as GroupMember[];
  const withRoles = reduce(state, { type: "members", groupId: "9", members });
  assertEquals(bubbleInfo(withRoles, conv, msg(bob.id, conv.id, 100 * HOUR), NOW).canRecall, true);
  assertEquals(bubbleInfo(withRoles, conv, msg("u3", conv.id, HOUR), NOW).canRecall, false);
});
