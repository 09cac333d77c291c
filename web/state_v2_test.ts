/// <reference lib="deno.ns" />
/**
 * The state's handling of messages version 2: update entries (edit, recall) applied to what
 * shows, read marks, typing, and `mentioned`.
 */
import { assertEquals } from "../tests/assert.ts";
import type { Message, User } from "../shared/types.ts";
import {
  type Event,
  initialState,
  readBy,
  reduce,
  type State,
  TYPING_MS,
  typingIn,
  unreadUpTo,
} from "./state.ts";

const me: User = { id: "u1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "u2", username: "bob", nickname: "Bob", avatar: null };
const DM = "u:u1:u2";

function text(seq: number, from = bob.id, body = `text ${seq}`): Message {
  return {
    id: `m${seq}`,
    conversationId: DM,
    seq,
    from,
    to: { type: "user", id: from === me.id ? bob.id : me.id },
    content: { type: "text", text: body },
    sentAt: 1000 + seq,
    clientMsgId: `c${seq}`,
  };
}

function update(seq: number, action: "edit" | "recall", target: Message): Message {
  return {
    ...text(seq, target.from),
    id: `u${seq}`,
    content: { type: "update", action, target },
    clientMsgId: null,
  };
}

function run(state: State, ...events: Event[]): State {
  return events.reduce(reduce, state);
}

const chat = () =>
  run(initialState(me), {
    type: "conversations",
    list: [{
      id: DM,
      type: "user",
      peer: bob,
      lastSeq: 0,
      readSeq: 0,
      unread: 0,
      lastMessage: null,
    }],
  });

Deno.test("an edit entry replaces the shown message, its quotes and the last message, and is not unread", () => {
  const quoting: Message = {
    ...text(2, me.id, "yes"),
    replyTo: { id: "m1", seq: 1, from: bob.id, preview: "text 1" },
  };
  let state = run(chat(), { type: "message", message: text(1) }, {
    type: "message",
    message: quoting,
  });
  const edited = { ...text(1, bob.id, "text one"), editedAt: 5000 };
  state = run(state, { type: "message", message: update(3, "edit", edited) });
  const shown = state.messages.get(DM)!;
  assertEquals(shown.get(1), edited);
  assertEquals(shown.get(2)?.replyTo?.preview, "text one");
  const conv = state.conversations.get(DM)!;
  assertEquals([conv.lastSeq, conv.unread, conv.lastMessage?.seq], [3, 1, 2]);
  // Marking the last message read covers the edit after it.
  state = run(state, { type: "open", conversationId: DM });
  assertEquals(unreadUpTo(state, 2), 3);
});

Deno.test("a recall entry shows the message recalled, and its quotes say so; an unloaded target stays unloaded", () => {
  const quoting: Message = {
    ...text(3, me.id, "what?"),
    replyTo: { id: "m2", seq: 2, from: bob.id, preview: "text 2" },
  };
  let state = run(chat(), { type: "message", message: text(2) }, {
    type: "message",
    message: quoting,
  });
  const recalled = { ...text(2), content: { type: "recalled" as const, recalledBy: bob.id } };
  state = run(state, { type: "message", message: update(4, "recall", recalled) });
  assertEquals(state.messages.get(DM)!.get(2)?.content, { type: "recalled", recalledBy: bob.id });
  assertEquals(state.messages.get(DM)!.get(3)?.replyTo?.preview, "[recalled]");
  // A recall of a message older than those loaded adds nothing in between.
  state = run(state, {
    type: "message",
    message: update(5, "recall", { ...text(1), content: recalled.content }),
  });
  assertEquals([...state.messages.get(DM)!.keys()].sort(), [2, 3, 4, 5]);
});

Deno.test("an edit's answer (changed) replaces the message at once", () => {
  let state = run(chat(), { type: "message", message: text(1, me.id, "helo") });
  const edited = { ...text(1, me.id, "hello"), editedAt: 9 };
  state = run(state, { type: "changed", message: edited });
  assertEquals(state.messages.get(DM)!.get(1), edited);
  assertEquals(state.conversations.get(DM)?.lastMessage, edited);
});

Deno.test("read marks: the peer's raise readBy and never go back; this user's own move readSeq", () => {
  let state = run(chat(), { type: "message", message: text(1, me.id) }, {
    type: "message",
    message: text(2, me.id),
  }, { type: "message", message: text(3) });
  assertEquals(readBy(state, DM, 1), 0);
  state = run(state, { type: "peer_read", conversationId: DM, userId: bob.id, seq: 2 });
  assertEquals([readBy(state, DM, 1), readBy(state, DM, 2)], [1, 1]);
  // A reads() answer made before the event does not undo it.
  state = run(state, { type: "reads", conversationId: DM, reads: [{ userId: bob.id, seq: 1 }] });
  assertEquals(readBy(state, DM, 2), 1);
  // Read on another device of this user: the conversation is read here too.
  assertEquals(state.conversations.get(DM)?.unread, 1);
  state = run(state, { type: "peer_read", conversationId: DM, userId: me.id, seq: 3 });
  assertEquals(state.conversations.get(DM)?.unread, 0);
  assertEquals(readBy(state, DM, 3), 0);
});

Deno.test("typing lasts TYPING_MS, is renewed by the next event, and ends with the writer's message", () => {
  let state = run(chat(), { type: "typing", conversationId: DM, userId: bob.id, at: 1000 });
  assertEquals(typingIn(state, DM), [bob.id]);
  state = run(state, { type: "typing", conversationId: DM, userId: bob.id, at: 3000 });
  state = run(state, { type: "typing_expired", now: 1000 + TYPING_MS });
  assertEquals(typingIn(state, DM), [bob.id]);
  state = run(state, { type: "typing_expired", now: 3000 + TYPING_MS });
  assertEquals(typingIn(state, DM), []);
  state = run(state, { type: "typing", conversationId: DM, userId: bob.id, at: 9000 });
  state = run(state, { type: "message", message: text(1) });
  assertEquals(typingIn(state, DM), []);
  // This user's own typing (another device) is never shown.
  state = run(state, { type: "typing", conversationId: DM, userId: me.id, at: 9000 });
  assertEquals(typingIn(state, DM), []);
});

Deno.test("mentioned: set by a message mentioning this user (or everyone), cleared once read", () => {
  const group = "g:7";
  let state = run(initialState(me), {
    type: "conversations",
    list: [{ id: group, type: "group", lastSeq: 0, readSeq: 0, unread: 0, lastMessage: null }],
  });
  const at = (seq: number, content: Message["content"]): Message => ({
    ...text(seq),
    conversationId: group,
    to: { type: "group", id: "7" },
    content,
  });
  state = run(state, {
    type: "message",
    message: at(1, { type: "text", text: "hi", mentions: ["u9"] }),
  });
  assertEquals(state.conversations.get(group)?.mentioned, undefined);
  state = run(state, {
    type: "message",
    message: at(2, { type: "text", text: "@all", mentionAll: true }),
  });
  assertEquals(state.conversations.get(group)?.mentioned, true);
  state = run(state, { type: "read", conversationId: group, seq: 2 });
  assertEquals(state.conversations.get(group)?.mentioned, false);
});
