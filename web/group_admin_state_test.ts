/// <reference lib="deno.ns" />
import { assert, assertEquals } from "../tests/assert.ts";
import type { Group, GroupMember, JoinRequest, Message, User } from "../shared/types.ts";
import { HOUR_MS, rightsOver, roleOf, sendBlock } from "./group_admin_state.ts";
import { initialState, reduce, type State, title } from "./state.ts";

const me: User = { id: "u1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "u2", username: "bob", nickname: "Bob", avatar: null };
const cy: User = { id: "u3", username: "cy", nickname: "Cy", avatar: null };
const group: Group = {
  id: "g9",
  name: "Weekend",
  avatar: null,
  ownerId: "u1",
  memberCount: 3,
  createdAt: 0,
  history: "since_join",
  notice: "",
  joinPolicy: "approval",
  muted: false,
};
const GID = "g:g9";

function member(user: User, role: GroupMember["role"], mutedUntil: number | null = null) {
  return { user, role, mutedUntil };
}

function groupMessage(seq: number, content: Message["content"], from = bob.id): Message {
  return {
    id: `m${seq}`,
    conversationId: GID,
    seq,
    from,
    to: { type: "group", id: group.id },
    content,
    sentAt: 1000 + seq,
    clientMsgId: content.type === "system" ? null : `c${seq}`,
  };
}

/** Ann in the Weekend group with its chat open and the members listed. */
function inGroup(members: GroupMember[] = [member(me, "owner"), member(bob, "member")]): State {
  let state = reduce(initialState(me), { type: "groups", list: [{ group, onlineCount: 1 }] });
  state = reduce(state, { type: "open", conversationId: GID, who: { type: "group", group } });
  return reduce(state, { type: "members", groupId: group.id, members });
}

Deno.test("system messages are shown but never unread, and reading past them leaves none", () => {
  let state = inGroup();
  state = reduce(state, { type: "close_chat" });
  state = reduce(state, {
    type: "message",
    message: groupMessage(1, { type: "system", event: "joined", userId: cy.id, by: bob.id }),
  });
  state = reduce(state, {
    type: "message",
    message: groupMessage(2, { type: "text", text: "hi" }),
  });
  state = reduce(state, {
    type: "message",
    message: groupMessage(3, { type: "system", event: "role", userId: cy.id, by: me.id }, me.id),
  });
  const conv = state.conversations.get(GID)!;
  assertEquals(conv.unread, 1);
  assertEquals(conv.lastSeq, 3);
  assertEquals(conv.lastMessage?.content.type, "system");
  assertEquals(state.messages.get(GID)?.size, 3);
  // Read up to the text: the system line after it leaves nothing unread.
  state = reduce(state, { type: "read", conversationId: GID, seq: 2 });
  assertEquals(state.conversations.get(GID)!.unread, 0);
});

Deno.test("join requests: listed, added live once, closed live", () => {
  const request: JoinRequest = { id: "r1", groupId: group.id, user: cy, createdAt: 5 };
  const other: JoinRequest = { ...request, id: "r2", user: bob };
  let state = reduce(inGroup(), { type: "join_requests", groupId: group.id, requests: [request] });
  state = reduce(state, { type: "join_request", request: other });
  const again = reduce(state, { type: "join_request", request: other });
  assert(again === state, "a request heard twice is listed once");
  assertEquals(state.joinRequests.get(group.id)?.map((r) => r.id), ["r1", "r2"]);
  state = reduce(state, { type: "join_request_closed", groupId: group.id, requestId: "r1" });
  assertEquals(state.joinRequests.get(group.id)?.map((r) => r.id), ["r2"]);
  const unknown = reduce(state, { type: "join_request_closed", groupId: "g0", requestId: "r1" });
  assert(unknown === state);
});

Deno.test("group_removed closes the open chat, drops the group and its history, and says why", () => {
  let state = reduce(inGroup(), {
    type: "message",
    message: groupMessage(1, { type: "text", text: "hi" }),
  });
  state = reduce(state, { type: "join_asked", groupId: group.id });
  state = reduce(state, { type: "group_removed", groupId: group.id, reason: "removed" });
  assertEquals(state.joinAsked.size, 0);
  assertEquals(state.active, null);
  assertEquals(state.groups.has(group.id), false);
  assertEquals(state.conversations.has(GID), false);
  assertEquals(state.messages.has(GID), false);
  assertEquals(state.members, []);
  assertEquals(state.notice, "You were removed from “Weekend”.");
  // Heard again (another device's event, a late one): nothing more happens.
  assert(reduce(state, { type: "group_removed", groupId: group.id, reason: "removed" }) === state);
  const disbanded = reduce(inGroup(), {
    type: "group_removed",
    groupId: group.id,
    reason: "disbanded",
  });
  assertEquals(disbanded.notice, "“Weekend” was disbanded by its owner.");
  const quiet = reduce(inGroup(), {
    type: "group_removed",
    groupId: group.id,
    reason: "left",
    quiet: true,
  });
  assertEquals(quiet.notice, "");
  assertEquals(quiet.groups.size, 0);
});

Deno.test("a member changed by an action replaces the listed one in the open group only", () => {
  const muted = member(bob, "member", 5000);
  const state = reduce(inGroup(), { type: "member", groupId: group.id, member: muted });
  assertEquals(state.members[1], muted);
  const elsewhere = reduce(inGroup(), { type: "member", groupId: "g0", member: muted });
  assertEquals(elsewhere.members[1].mutedUntil, null);
});

Deno.test("rights follow the contract: owner over all, admin over plain members, member over none", () => {
  const admin = { ...group, ownerId: "u9" };
  const members = [member(me, "admin"), member(bob, "member"), member(cy, "admin")];
  assertEquals(rightsOver(admin, members, me.id, bob.id), {
    role: false,
    mute: true,
    remove: true,
    transfer: false,
  });
  // An admin on another admin, on the owner, on themself: nothing.
  for (const target of [cy.id, "u9", me.id]) {
    assertEquals(Object.values(rightsOver(admin, members, me.id, target)), [
      false,
      false,
      false,
      false,
    ]);
  }
  // The owner: everything on anyone else, nothing on themself.
  const own = [member(me, "owner"), member(bob, "member"), member(cy, "admin")];
  assertEquals(Object.values(rightsOver(group, own, me.id, cy.id)), [true, true, true, true]);
  assertEquals(Object.values(rightsOver(group, own, me.id, me.id)), [false, false, false, false]);
  // A plain member: nothing.
  assertEquals(Object.values(rightsOver(group, own, bob.id, cy.id)), [false, false, false, false]);
  // The group's ownerId wins over an older member list.
  assertEquals(roleOf({ ...group, ownerId: bob.id }, own, bob.id), "owner");
  assertEquals(roleOf({ ...group, ownerId: bob.id }, own, me.id), "admin");
});

Deno.test("sendBlock: a muted member until when, a muted group for plain members only", () => {
  const now = 10_000;
  const members = [member(me, "owner"), member(bob, "member", now + HOUR_MS), member(cy, "admin")];
  assertEquals(sendBlock(group, members, bob.id, now), { kind: "member", until: now + HOUR_MS });
  assertEquals(sendBlock(group, members, bob.id, now + HOUR_MS), null);
  const quiet = { ...group, muted: true };
  assertEquals(sendBlock(quiet, members, bob.id, now + HOUR_MS), { kind: "group" });
  assertEquals(sendBlock(quiet, members, cy.id, now), null);
  assertEquals(sendBlock(quiet, members, me.id, now), null);
});

Deno.test("join_asked, blocked and person are kept", () => {
  let state = reduce(initialState(me), { type: "join_asked", groupId: "g5" });
  assert(state.joinAsked.has("g5"));
  state = reduce(state, { type: "blocked", users: [bob] });
  assertEquals(state.blocked, [bob]);
  state = reduce(state, { type: "person", user: cy });
  assertEquals(state.person, cy);
  assertEquals(reduce(state, { type: "person", user: null }).person, null);
});

Deno.test("a group's first line, pushed before the group is listed, gets its group with the list", () => {
  let state = reduce(initialState(me), {
    type: "message",
    message: groupMessage(1, { type: "system", event: "created", by: bob.id }),
  });
  assertEquals(state.conversations.get(GID)?.group, undefined);
  state = reduce(state, { type: "groups", list: [{ group, onlineCount: 1 }] });
  assertEquals(state.conversations.get(GID)?.group, group);
  assertEquals(title(state, state.conversations.get(GID)!), "Weekend");
});

Deno.test("the removal notice stays when the history steps back to the same tab, goes on another", () => {
  let state = reduce(inGroup(), { type: "group_removed", groupId: group.id, reason: "disbanded" });
  state = reduce(state, { type: "tab", tab: "chats" });
  assertEquals(state.notice, "“Weekend” was disbanded by its owner.");
  assertEquals(reduce(state, { type: "tab", tab: "groups" }).notice, "");
});
