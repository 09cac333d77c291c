/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { Message, User } from "../shared/types.ts";
import { unsent } from "./outbox_state.ts";
import { codePoints, failureText } from "./send_failure.ts";
import { ImError } from "../client/http.ts";
import { type Event, initialState, type Pending, reduce, type State } from "./state.ts";

const me: User = { id: "1", username: "ann", nickname: "Ann", avatar: null };
const DM = "u:1:2";

function pending(clientMsgId: string, more: Partial<Pending> = {}): Pending {
  return { clientMsgId, conversationId: DM, content: { type: "text", text: clientMsgId }, ...more };
}

function stored(seq: number, clientMsgId: string): Message {
  return {
    id: `m${seq}`,
    conversationId: DM,
    seq,
    from: me.id,
    to: { type: "user", id: "2" },
    content: { type: "text", text: clientMsgId },
    sentAt: seq,
    clientMsgId,
  };
}

function run(state: State, ...events: Event[]): State {
  for (const event of events) state = reduce(state, event);
  return state;
}

function shown(state: State): Record<string, Partial<Pending>> {
  return Object.fromEntries(
    [...state.pending.values()].map((p) => [p.clientMsgId, {
      ...(p.waiting ? { waiting: true } : {}),
      ...(p.failed ? { failed: p.failed } : {}),
      ...(p.sentId ? { sentId: p.sentId } : {}),
    }]),
  );
}

Deno.test("reduce() outbox_link marks sends waiting, and going again, but not refused or accepted ones", () => {
  const state = run(
    initialState(me),
    { type: "sending", pending: pending("a") },
    { type: "sending", pending: pending("b", { failed: "too long" }) },
    { type: "sending", pending: pending("c") },
    { type: "sent", clientMsgId: "c", id: "9" },
    { type: "outbox_link", waiting: true },
  );
  assertEquals(shown(state), {
    a: { waiting: true },
    b: { failed: "too long" },
    c: { sentId: "9" },
  });
  assertEquals(unsent(state).map((p) => p.clientMsgId), ["a"]);
  assertEquals(shown(reduce(state, { type: "outbox_link", waiting: false })).a, {});
  assertEquals(
    reduce(state, { type: "outbox_link", waiting: true }),
    state,
    "no change, same state",
  );
});

Deno.test("reduce() sent drops a send already stored (repeated after a reload), else keeps it until stored", () => {
  const before = run(
    initialState(me),
    { type: "history", conversationId: DM, messages: [stored(1, "old")] },
    { type: "sending", pending: pending("old", { waiting: true }) },
    { type: "sending", pending: pending("new", { waiting: true }) },
  );
  const state = run(
    before,
    { type: "sent", clientMsgId: "old", id: "m1" },
    { type: "sent", clientMsgId: "new", id: "m2" },
  );
  assertEquals(shown(state), { new: { sentId: "m2" } });
  assertEquals(shown(reduce(state, { type: "message", message: stored(2, "new") })), {});
});

Deno.test("reduce() history settles the pending sends it shows stored", () => {
  const state = run(
    initialState(me),
    { type: "sending", pending: pending("a") },
    { type: "sending", pending: pending("b") },
    { type: "sent", clientMsgId: "a", id: "m1" },
    { type: "history", conversationId: DM, messages: [stored(1, "a")] },
  );
  assertEquals(shown(state), { b: {} });
});

Deno.test("reduce() discard forgets a refused send; retrying keeps its place", () => {
  const state = run(
    initialState(me),
    { type: "sending", pending: pending("a", { failed: "x" }) },
    { type: "sending", pending: pending("b", { failed: "y" }) },
    { type: "discard", clientMsgId: "b" },
    { type: "sending", pending: pending("c") },
    { type: "sending", pending: pending("a") },
  );
  assertEquals([...state.pending.keys()], ["a", "c"]);
  assertEquals(shown(state), { a: {}, c: {} });
});

Deno.test("failureText() gives advice by code, with the server's own limit for a long text", () => {
  const text = { conversationId: DM, content: { type: "text" as const, text: "x" } };
  const group = { ...text, conversationId: "g:5" };
  const long = new ImError(
    "invalid_argument",
    "Invalid content.text: expected 1 to 4000 characters, got 4001",
    0,
  );
  assertEquals(
    failureText(long, text),
    "too long (4,001 characters, at most 4,000). Edit it to shorten it.",
  );
  assertEquals(
    failureText(new ImError("forbidden", "Cannot send to user: not a friend", 0), text),
    "only friends can write to each other. Send a friend request to write again.",
  );
  assertEquals(
    failureText(new ImError("forbidden", "not a member", 0), group),
    "you are no longer a member of this group.",
  );
  assertEquals(
    failureText(new ImError("rate_limited", "Too many", 0), text),
    "you sent too many messages at once. Wait a moment, then retry.",
  );
  assertEquals(failureText(new Error("?"), text), "something went wrong. Retry, or discard it.");
});

Deno.test("codePoints() counts characters as the server does, not UTF-16 units", () => {
  assertEquals(codePoints("😀".repeat(4000)), 4000);
  assertEquals(codePoints("ab"), 2);
});
