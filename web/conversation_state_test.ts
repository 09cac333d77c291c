/// <reference lib="deno.ns" />
/**
 * Conversation settings and chat windows in the state: pinned first, hidden ones out of the list
 * until a user's message, and a window opened at an old message that stores no message arriving
 * after it, counts reads right, and attaches again once it reaches the newest.
 */
import { assert, assertEquals } from "../tests/assert.ts";
import type { ConversationSummary, Message, User } from "../shared/types.ts";
import { type Event, initialState, reduce, type State, totalUnread } from "./state.ts";
import { listed, newestLoaded } from "./conversation_state.ts";

const me: User = { id: "1", username: "ann", nickname: "Ann", avatar: null };
const peers = ["2", "3", "4"].map((id) => ({
  id,
  username: `p${id}`,
  nickname: `P${id}`,
  avatar: null,
}));

function conversationOf(peer: string): string {
  return `u:1:${peer}`;
}

function text(peer: string, seq: number, from = peer): Message {
  return {
    id: `${peer}-${seq}`,
    conversationId: conversationOf(peer),
    seq,
    from,
    to: { type: "user", id: from === me.id ? peer : me.id },
    content: { type: "text", text: `text ${seq}` },
    sentAt: Number(peer) * 10_000 + seq,
    clientMsgId: null,
  };
}

function summary(peer: string, lastSeq: number, extra: Partial<ConversationSummary> = {}) {
  return {
    id: conversationOf(peer),
    type: "user" as const,
    peer: peers.find((p) => p.id === peer)!,
    lastSeq,
    readSeq: lastSeq,
    unread: 0,
    lastMessage: text(peer, lastSeq),
    pinned: false,
    muted: false,
    ...extra,
  } satisfies ConversationSummary;
}

function run(state: State, ...events: Event[]): State {
  return events.reduce(reduce, state);
}

const names = (state: State) => listed(state).map((c) => c.peer!.id);

const three = () =>
  run(initialState(me), {
    type: "conversations",
    list: [summary("4", 5), summary("3", 5), summary("2", 5)],
  });

Deno.test("listed() puts pinned first, and conversation_update moves and marks them", () => {
  let state = three();
  assertEquals(names(state), ["4", "3", "2"]);
  state = run(state, {
    type: "conversation_update",
    conversation: summary("2", 5, { pinned: true }),
  });
  assertEquals(names(state), ["2", "4", "3"]);
  state = run(state, {
    type: "conversation_update",
    conversation: summary("3", 5, { muted: true }),
  });
  assertEquals(state.conversations.get(conversationOf("3"))?.muted, true);
  assertEquals(names(state), ["2", "4", "3"]);
});

Deno.test("a hidden conversation leaves the list until a user's message, not an edit", () => {
  // Hidden with one message unread.
  let state = run(three(), { type: "message", message: text("4", 6) }, {
    type: "conversation_update",
    conversation: summary("4", 6, { hidden: true }),
  });
  assertEquals(names(state), ["3", "2"]);
  state = run(state, { type: "message", message: text("3", 6) });
  assertEquals(totalUnread(state), 1, "a hidden one's unread is not counted");
  assertEquals(state.conversations.get(conversationOf("4"))?.unread, 1);
  const edit: Message = {
    ...text("4", 7),
    content: { type: "update", action: "edit", target: { ...text("4", 5), editedAt: 1 } },
  };
  state = run(state, { type: "message", message: edit });
  assertEquals(names(state), ["3", "2"], "an edit does not bring it back");
  state = run(state, { type: "message", message: text("4", 8) });
  assertEquals(names(state), ["4", "3", "2"]);
});

Deno.test("a conversation missing from a new list, with no message since it was asked, is hidden", () => {
  const state = three();
  const before = new Map([...state.conversations.values()].map((c) => [c.id, c.lastSeq]));
  // Hidden on another device while this one was away: the server lists 3 and 2 only.
  const away = run(state, {
    type: "conversations",
    list: [summary("3", 5), summary("2", 5)],
    before,
  });
  assertEquals(names(away), ["3", "2"]);
  // A message came while the list was on its way: it is not the list's to hide.
  const raced = run(state, { type: "message", message: text("4", 6) }, {
    type: "conversations",
    list: [summary("3", 5), summary("2", 5)],
    before,
  });
  assertEquals(names(raced), ["4", "3", "2"]);
});

/** A chat of 200 messages, open at the window around seq 80. */
function windowed(): State {
  const state = run(initialState(me), {
    type: "conversations",
    list: [summary("2", 200, { readSeq: 60, unread: 140 })],
  }, { type: "open", conversationId: conversationOf("2") });
  const page = Array.from({ length: 50 }, (_, i) => text("2", 56 + i));
  return run(state, {
    type: "window",
    conversationId: conversationOf("2"),
    messages: page,
    seq: 80,
    reachesEnd: false,
  });
}

Deno.test("a window stores no message that arrives after it, and counts it unread", () => {
  const id = conversationOf("2");
  let state = windowed();
  assert(state.detached.has(id));
  assertEquals(state.jump?.seq, 80);
  assertEquals(newestLoaded(state, id), 105);
  assert(!state.noOlder.has(id), "older ones load on scrolling up");
  state = run(state, { type: "message", message: text("2", 201) });
  assertEquals(newestLoaded(state, id), 105, "not stored after the window");
  const conv = state.conversations.get(id)!;
  assertEquals([conv.lastSeq, conv.unread, conv.lastMessage?.seq], [201, 141, 201]);
  // Reading the window down to 90 leaves the rest unread: 30 of the 141 were passed.
  state = run(state, { type: "read", conversationId: id, seq: 90 });
  assertEquals(state.conversations.get(id)!.unread, 111);
});

Deno.test("a window attaches again once newer pages reach the newest, or on opening from the list", () => {
  const id = conversationOf("2");
  let state = windowed();
  state = run(state, {
    type: "history",
    conversationId: id,
    messages: Array.from({ length: 50 }, (_, i) => text("2", 106 + i)),
  });
  assert(state.detached.has(id), "still short of 200");
  state = run(state, {
    type: "history",
    conversationId: id,
    messages: Array.from({ length: 45 }, (_, i) => text("2", 156 + i)),
  });
  assert(!state.detached.has(id));
  state = run(state, { type: "message", message: text("2", 201) });
  assertEquals(newestLoaded(state, id), 201, "stored once attached");
  const reopened = run(windowed(), { type: "open", conversationId: id });
  assert(!reopened.detached.has(id));
  assertEquals(reopened.messages.get(id), undefined, "the latest page loads instead");
});

Deno.test("each opening at a message is a new jump, even to the same place after Jump to latest", () => {
  const id = conversationOf("2");
  const first = windowed();
  const latest = run(first, {
    type: "window",
    conversationId: id,
    messages: [text("2", 200)],
    seq: null,
    reachesEnd: true,
  });
  assertEquals(latest.jump, null);
  const again = run(latest, { type: "open", conversationId: id }, {
    type: "window",
    conversationId: id,
    messages: [text("2", 80)],
    seq: 80,
    reachesEnd: false,
  });
  assert(again.jump !== null && again.jump.n !== first.jump!.n, "a new jump");
  assertEquals(run(again, { type: "open", conversationId: id }).jump, null);
});
