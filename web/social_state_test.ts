/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { FriendRequest, Group, User } from "../shared/types.ts";
import { initialState, reduce, type State, title } from "./state.ts";

const me: User = { id: "u1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "u2", username: "bob", nickname: "Bob", avatar: null, lastSeenAt: null };
const cat: User = { id: "u3", username: "cat", nickname: "Cat", avatar: null };
const group: Group = {
  id: "g9",
  name: "Weekend",
  avatar: null,
  ownerId: "u2",
  memberCount: 3,
  createdAt: 0,
  history: "since_join",
  notice: "",
  joinPolicy: "open",
  muted: false,
};

function request(id: string, from: User, to: User): FriendRequest {
  return { id, from, to, note: "hello", createdAt: 5 };
}

const withBob = (): State =>
  reduce(initialState(me), { type: "friends", list: [{ user: bob, online: true }] });

Deno.test("reduce() request_cancelled drops the request from either list, once", () => {
  let state = reduce(initialState(me), {
    type: "requests",
    requests: { incoming: [request("r1", bob, me), request("r2", cat, me)], outgoing: [] },
  });
  state = reduce(state, { type: "request_cancelled", requestId: "r1" });
  assertEquals(state.requests.incoming.map((r) => r.id), ["r2"]);
  assertEquals(reduce(state, { type: "request_cancelled", requestId: "r1" }), state);
});

Deno.test("reduce() presence keeps lastSeenAt from the offline event, null once online", () => {
  let state = reduce(withBob(), {
    type: "presence",
    userId: bob.id,
    online: false,
    lastSeenAt: 1234,
  });
  assertEquals(state.friends.get(bob.id), { user: { ...bob, lastSeenAt: 1234 }, online: false });
  // A profile event without the field does not forget it.
  state = reduce(state, {
    type: "profile",
    user: { ...bob, nickname: "Bobby", lastSeenAt: undefined },
  });
  assertEquals(state.friends.get(bob.id)?.user.lastSeenAt, 1234);
  assertEquals(state.friends.get(bob.id)?.user.nickname, "Bobby");
  state = reduce(state, { type: "presence", userId: bob.id, online: true });
  assertEquals(state.friends.get(bob.id), {
    user: { ...bob, nickname: "Bobby", lastSeenAt: null },
    online: true,
  });
  // A server without the field: offline, and nothing said about when.
  state = reduce(state, { type: "presence", userId: bob.id, online: false });
  assertEquals(state.friends.get(bob.id)?.user.lastSeenAt, null);
  assertEquals(state.friends.get(bob.id)?.online, false);
});

Deno.test("reduce() profile renames a member of the open group's list", () => {
  let state = reduce(withBob(), { type: "groups", list: [{ group, onlineCount: 1 }] });
  state = reduce(state, { type: "open", conversationId: `g:${group.id}` });
  state = reduce(state, {
    type: "members",
    groupId: group.id,
    members: [{ user: me, role: "member", mutedUntil: null }, {
      user: bob,
      role: "owner",
      mutedUntil: null,
      online: true,
    }],
  });
  state = reduce(state, { type: "profile", user: { ...bob, nickname: "Robert" } });
  assertEquals(state.members.map((m) => m.user.nickname), ["Ann", "Robert"]);
  assertEquals(state.members[1].role, "owner");
});

Deno.test("reduce() group_update renames a known group; unknown ones wait for group_joined", () => {
  let state = reduce(initialState(me), { type: "groups", list: [{ group, onlineCount: 2 }] });
  state = reduce(state, {
    type: "open",
    conversationId: `g:${group.id}`,
    who: { type: "group", group },
  });
  state = reduce(state, { type: "group_update", group: { ...group, name: "Holidays" } });
  assertEquals(state.groups.get(group.id)?.group.name, "Holidays");
  assertEquals(state.groups.get(group.id)?.onlineCount, 2);
  assertEquals(title(state, state.conversations.get(`g:${group.id}`)!), "Holidays");

  const other = { ...group, id: "g10", name: "Book club" };
  assertEquals(reduce(state, { type: "group_update", group: other }), state);
  state = reduce(state, { type: "group_joined", group: other });
  assertEquals(state.groups.get(other.id)?.group.name, "Book club");
  const conv = state.conversations.get(`g:${other.id}`);
  assertEquals([conv?.type, conv?.lastMessage, conv?.unread], ["group", null, 0]);
  assertEquals(reduce(state, { type: "group_joined", group: other }), state, "once");
});
