/// <reference lib="deno.ns" />
import { assert, assertEquals } from "../tests/assert.ts";
import type { Group, Message, User } from "../shared/types.ts";
import { type Event, initialState, reduce, type State, title, unreadUpTo } from "./state.ts";

const me: User = { id: "u1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "u2", username: "bob", nickname: "Bob", avatar: null };
const group: Group = {
  id: "g9",
  name: "Weekend",
  avatar: null,
  ownerId: "u1",
  memberCount: 2,
  createdAt: 0,
  history: "since_join",
  notice: "",
  joinPolicy: "open",
  muted: false,
};
const DM = "p:u1:u2";

function message(seq: number, from = bob.id, conversationId = DM): Message {
  return {
    id: `m${seq}`,
    conversationId,
    seq,
    from,
    to: conversationId.startsWith("g:")
      ? { type: "group", id: conversationId.slice(2) }
      : { type: "user", id: from === me.id ? bob.id : me.id },
    content: { type: "text", text: `text ${seq}` },
    sentAt: 1000 + seq,
    clientMsgId: `c${seq}`,
  };
}

/** Applies events one by one, checking that none changes the state it was given. */
function run(state: State, ...events: Event[]): State {
  for (const event of events) {
    const before = JSON.stringify(snapshot(state));
    const next = reduce(state, event);
    assertEquals(JSON.stringify(snapshot(state)), before, `${event.type} changed its input`);
    state = next;
  }
  return state;
}

function snapshot(state: State): unknown {
  return Object.fromEntries(
    Object.entries(state).map(([k, v]) => [
      k,
      v instanceof Map
        ? [...v].map(([key, value]) => [key, value instanceof Map ? [...value] : value])
        : v instanceof Set
        ? [...v]
        : v,
    ]),
  );
}

const withBob = () =>
  run(
    initialState(me),
    { type: "friends", list: [{ user: bob, online: false }] },
    {
      type: "conversations",
      list: [{
        id: DM,
        type: "user",
        peer: bob,
        lastSeq: 2,
        readSeq: 2,
        unread: 0,
        lastMessage: message(2),
      }],
    },
  );

Deno.test("reduce() counts a message of others as unread until a read event says it was shown", () => {
  const closed = run(withBob(), { type: "message", message: message(3) });
  assertEquals(closed.conversations.get(DM)?.unread, 1);
  assertEquals(closed.conversations.get(DM)?.lastMessage?.seq, 3);
  // Open and in front: still unread until its list shows it (and says so with a read event).
  let open = run(withBob(), { type: "open", conversationId: DM }, {
    type: "message",
    message: message(3),
  });
  assertEquals(open.conversations.get(DM)?.unread, 1);
  open = run(open, { type: "read", conversationId: DM, seq: 3 });
  assertEquals(open.conversations.get(DM)?.unread, 0);
  const hidden = run(withBob(), { type: "open", conversationId: DM }, {
    type: "visibility",
    visible: false,
  }, { type: "message", message: message(3) });
  assertEquals(hidden.conversations.get(DM)?.unread, 1);
});

Deno.test("reduce() does not count own messages, nor ones older than the last", () => {
  const state = run(
    withBob(),
    { type: "message", message: message(3, me.id) },
    { type: "message", message: message(1) },
  );
  const conv = state.conversations.get(DM)!;
  assertEquals([conv.unread, conv.lastSeq, conv.lastMessage?.seq], [0, 3, 3]);
  assertEquals([...state.messages.get(DM)!.keys()].sort(), [1, 3]);
});

Deno.test("reduce() makes a conversation for a message of an unknown one", () => {
  const state = run(initialState(me), { type: "profile", user: bob }, {
    type: "message",
    message: message(1),
  });
  const conv = state.conversations.get(DM)!;
  assertEquals([conv.type, conv.peer?.id, conv.unread, conv.lastSeq], ["user", bob.id, 1, 1]);
  assertEquals(title(state, conv), "Bob");
});

Deno.test("reduce() drops a pending message once it is stored; a refusal marks it failed", () => {
  const pending = { clientMsgId: "c3", conversationId: DM, content: message(3).content };
  let state = run(withBob(), { type: "sending", pending });
  assertEquals(state.pending.get("c3")?.failed, undefined);
  state = run(state, { type: "send_failed", clientMsgId: "c3", error: "Too many messages" });
  assertEquals(state.pending.get("c3")?.failed, "Too many messages");
  state = run(state, { type: "message", message: message(3, me.id) });
  assertEquals(state.pending.size, 0);
  assert(run(state, { type: "send_failed", clientMsgId: "nope", error: "x" }).pending.size === 0);
});

Deno.test("reduce() presence and group counts change only their entries", () => {
  let state = run(
    withBob(),
    { type: "groups", list: [{ group, onlineCount: 1 }] },
    { type: "open", conversationId: "g:g9" },
    {
      type: "members",
      groupId: "g9",
      members: [{ user: bob, role: "member", mutedUntil: null, online: false }],
    },
  );
  const conversations = state.conversations;
  state = run(
    state,
    { type: "presence", userId: bob.id, online: true },
    { type: "group_online", groupId: "g9", count: 2 },
    { type: "presence", userId: "stranger", online: true },
    { type: "group_online", groupId: "other", count: 5 },
  );
  assertEquals(state.friends.get(bob.id)?.online, true);
  assertEquals(state.members[0].online, true);
  assertEquals(state.groups.get("g9")?.onlineCount, 2);
  assertEquals(state.groups.size, 1);
  assert(state.conversations === conversations, "the conversations are untouched");
});

Deno.test("reduce() presence keeps a friend's lastSeenAt: null while online, the event's after", () => {
  let state = run(withBob(), { type: "presence", userId: bob.id, online: true });
  assertEquals(state.friends.get(bob.id)?.user.lastSeenAt, null);
  state = run(state, { type: "presence", userId: bob.id, online: false, lastSeenAt: 1234 });
  assertEquals(state.friends.get(bob.id)?.user.lastSeenAt, 1234);
  state = run(state, { type: "presence", userId: bob.id, online: true });
  assertEquals(state.friends.get(bob.id)?.user.lastSeenAt, null);
});

Deno.test("reduce() shows the reconnect banner only after the first open", () => {
  let state = run(initialState(me), { type: "connection", state: "connecting" });
  assertEquals(state.reconnecting, false);
  state = run(state, { type: "connection", state: "open" }, {
    type: "connection",
    state: "connecting",
  });
  assertEquals(state.reconnecting, true);
  state = run(state, { type: "connection", state: "open" });
  assertEquals([state.reconnecting, state.everOpen], [false, true]);
});

Deno.test("reduce() opening with someone new makes an empty chat and shows the Chats tab", () => {
  const state = run(
    initialState(me),
    { type: "tab", tab: "friends" },
    { type: "toggle_members" },
    { type: "open", conversationId: DM, who: { type: "user", peer: bob } },
  );
  assertEquals(state.tab, "chats");
  assertEquals(state.active, DM);
  assertEquals(state.showMembers, false);
  const conv = state.conversations.get(DM)!;
  assertEquals([conv.lastSeq, conv.lastMessage, conv.peer?.id], [0, null, bob.id]);
  const again = run(state, { type: "message", message: message(1, me.id) }, {
    type: "open",
    conversationId: DM,
    who: { type: "user", peer: bob },
  });
  assertEquals(again.conversations.get(DM)?.lastSeq, 1, "an existing chat is kept");
});

Deno.test("reduce() leaving a group drops its chat and closes it", () => {
  const state = run(
    initialState(me),
    { type: "open", conversationId: "g:g9", who: { type: "group", group } },
    { type: "left", conversationId: "g:g9" },
  );
  assertEquals([state.active, state.conversations.size], [null, 0]);
});

Deno.test("reduce() a profile change reaches me, friends and chats", () => {
  const renamed = { ...bob, nickname: "Robert" };
  const state = run(withBob(), { type: "profile", user: renamed }, {
    type: "profile",
    user: { ...me, nickname: "Ann B." },
  });
  assertEquals(state.me.nickname, "Ann B.");
  assertEquals(state.friends.get(bob.id)?.user.nickname, "Robert");
  assertEquals(state.conversations.get(DM)?.peer?.nickname, "Robert");
});

Deno.test("reduce() members of a group that is not open are ignored", () => {
  const state = run(initialState(me), {
    type: "members",
    groupId: "g9",
    members: [{ user: bob, role: "member", mutedUntil: null, online: true }],
  });
  assertEquals(state.members, []);
});

Deno.test("reduce() history stores pages and remembers where a chat starts", () => {
  const state = run(withBob(), {
    type: "history",
    conversationId: DM,
    messages: [message(1), message(2)],
    noOlder: true,
  });
  assertEquals([...state.messages.get(DM)!.keys()], [1, 2]);
  assert(state.noOlder.has(DM));
});

Deno.test("unreadUpTo() names the last seq shown of the open, visible chat, never more", () => {
  let state = run(withBob(), { type: "message", message: message(3) });
  assertEquals(unreadUpTo(state, 3), null, "no chat open");
  state = run(state, { type: "open", conversationId: DM });
  assertEquals(unreadUpTo(state, 3), 3);
  assertEquals(unreadUpTo(state, 9), 3, "not past the last message");
  assertEquals(unreadUpTo(state, 2), null, "already read up to 2");
  assertEquals(unreadUpTo(run(state, { type: "visibility", visible: false }), 3), null);
  state = run(state, { type: "read", conversationId: DM, seq: 3 });
  assertEquals(unreadUpTo(state, 3), null);
  assertEquals(state.conversations.get(DM)?.unread, 0);
});

Deno.test("reduce() a read event up to a shown message leaves the later ones unread", () => {
  let state = run(
    withBob(),
    { type: "open", conversationId: DM },
    {
      type: "following",
      following: false,
    },
    { type: "message", message: message(3) },
    { type: "message", message: message(4) },
  );
  assertEquals(state.conversations.get(DM)?.unread, 2);
  // The list shows 3, not 4: the mark moves to 3 and 4 stays unread.
  assertEquals(unreadUpTo(state, 3), 3);
  state = run(state, { type: "read", conversationId: DM, seq: 3 });
  const conv = state.conversations.get(DM)!;
  assertEquals([conv.readSeq, conv.unread], [3, 1]);
  state = run(state, { type: "read", conversationId: DM, seq: 4 });
  assertEquals(state.conversations.get(DM)?.unread, 0);
});

Deno.test("reduce() a read mark never moves back, and own messages never count", () => {
  let state = run(
    withBob(),
    { type: "message", message: message(3) },
    { type: "message", message: message(4, me.id) },
    { type: "message", message: message(5) },
    { type: "read", conversationId: DM, seq: 4 },
  );
  let conv = state.conversations.get(DM)!;
  assertEquals([conv.readSeq, conv.unread], [4, 1]);
  state = run(state, { type: "read", conversationId: DM, seq: 2 });
  conv = state.conversations.get(DM)!;
  assertEquals([conv.readSeq, conv.unread], [4, 1]);
});

Deno.test("reduce() opening a chat follows its latest messages and clears a notice", () => {
  const state = run(
    withBob(),
    { type: "following", following: false },
    { type: "notice", text: "That chat is not available" },
    { type: "open", conversationId: DM },
  );
  assertEquals([state.following, state.notice], [true, ""]);
  const same = run(state, { type: "following", following: true });
  assert(same === state, "an unchanged flag keeps the state");
});

Deno.test("reduce() search results leave me out and keep the query", () => {
  const state = run(initialState(me), { type: "search_text", kind: "users", text: "an" }, {
    type: "found_users",
    query: "an",
    users: [me, bob],
  });
  assertEquals(state.foundUsers?.map((u) => u.id), [bob.id]);
  assertEquals(state.searched, { users: "an", groups: "" });
});

Deno.test("reduce() keeps a read mark that a conversation list fetched before it does not know yet", () => {
  const summary = (readSeq: number, unread: number) => ({
    type: "conversations" as const,
    list: [{
      id: DM,
      type: "user" as const,
      peer: bob,
      lastSeq: 4,
      readSeq,
      unread,
      lastMessage: message(4),
    }],
  });
  const read = run(withBob(), { type: "message", message: message(3) }, {
    type: "message",
    message: message(4),
  }, { type: "read", conversationId: DM, seq: 4 });
  // The list the server answered before the read reached it.
  const stale = run(read, summary(2, 2));
  assertEquals([stale.conversations.get(DM)?.readSeq, stale.conversations.get(DM)?.unread], [4, 0]);
  // A list that knows more than this tab wins: here, read elsewhere up to 4 as well; or new messages.
  const unreadElsewhere = run(withBob(), summary(2, 2));
  assertEquals(unreadElsewhere.conversations.get(DM)?.unread, 2);
});
