/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import { ImError } from "../client/http.ts";
import type { ContentInput, SendResult, Target, User } from "../shared/types.ts";
import { OutboxStore, type StorageLike, type StoredSend } from "./outbox_store.ts";
import { type OutboxHost, RESEND_WINDOW_MS, SessionOutbox, TOO_OLD } from "./session_outbox.ts";
import { type Event, initialState, reduce, type State } from "./state.ts";

const me: User = { id: "1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "2", username: "bob", nickname: "Bob", avatar: null };
const DM = "u:1:2";

function memoryStorage(): StorageLike {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

interface Call {
  to: Target;
  content: ContentInput;
  clientMsgId: string;
  answer: (error?: Error) => void;
}

/** A session around a fake client whose sends wait until the test answers them. */
function session(storage: StorageLike, now: () => number = Date.now) {
  const calls: Call[] = [];
  let state: State = reduce(initialState(me), {
    type: "open",
    conversationId: DM,
    who: { type: "user", peer: bob },
  });
  let closed = false;
  const host: OutboxHost = {
    client: {
      connected: false,
      drop: () => {},
      on: () => () => {},
      send: (to: Target, content: ContentInput, clientMsgId = "") =>
        new Promise<SendResult>((resolve, reject) => {
          calls.push({
            to,
            content,
            clientMsgId,
            answer: (error) =>
              error
                ? reject(error)
                : resolve({ id: `m-${clientMsgId}`, clientMsgId, conversationId: DM }),
          });
        }),
    },
    state: () => state,
    dispatch: (event: Event) => void (state = reduce(state, event)),
    closed: () => closed,
  };
  const outbox = new SessionOutbox(host, me.id, storage, now);
  return { outbox, calls, state: () => state, close: () => void (closed = true) };
}

function text(clientMsgId: string, failed?: string): StoredSend {
  return {
    clientMsgId,
    conversationId: DM,
    to: { type: "user", id: bob.id },
    content: { type: "text", text: clientMsgId },
    ...(failed ? { failed } : {}),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("SessionOutbox.restore() sends again, in order and under the same ids, what was not refused", async () => {
  const storage = memoryStorage();
  const kept = new OutboxStore(storage, me.id);
  for (const send of [text("a"), text("b", "too long"), text("c")]) kept.put(send);
  const { outbox, calls, state } = session(storage);
  outbox.restore();
  assertEquals(calls.map((c) => c.clientMsgId), ["a", "c"]);
  assertEquals(
    [...state().pending.values()].map((p) => [p.clientMsgId, p.waiting ?? false, p.failed ?? ""]),
    [["a", true, ""], ["b", false, "too long"], ["c", true, ""]],
  );
  calls[0].answer();
  await settle();
  assertEquals(kept.sends().map((s) => s.clientMsgId), ["b", "c"], "accepted: forgotten");
  assertEquals(state().pending.get("a")?.sentId, "m-a");
});

Deno.test("SessionOutbox keeps a refusal with its reason; a closed session keeps the send as it was", async () => {
  const storage = memoryStorage();
  const { outbox, calls, state, close } = session(storage);
  const sending = outbox.send(DM, { type: "text", text: "hi" });
  calls[0].answer(new ImError("forbidden", "Cannot send to user: not a friend", 0));
  await sending;
  const [refused] = new OutboxStore(storage, me.id).sends();
  assertEquals(refused.failed?.startsWith("only friends can write"), true);
  assertEquals(state().pending.get(refused.clientMsgId)?.failed, refused.failed);

  void outbox.send(DM, { type: "text", text: "later" });
  close();
  calls[1].answer(new ImError("unavailable", "Connection closed", 0));
  await settle();
  const later = new OutboxStore(storage, me.id).sends()[1];
  assertEquals([later.content, later.failed], [{ type: "text", text: "later" }, undefined]);
});

Deno.test("SessionOutbox retry() resends under the same id; edit() puts the text before the draft; discard() forgets", async () => {
  const storage = memoryStorage();
  const store = new OutboxStore(storage, me.id);
  for (const send of [text("a", "x"), text("b", "y"), text("c", "z")]) store.put(send);
  store.setDraft(DM, "and more");
  const { outbox, calls, state } = session(storage);
  outbox.restore();
  outbox.retry("a");
  assertEquals(calls.map((c) => [c.clientMsgId, c.to.id]), [["a", bob.id]]);
  assertEquals(outbox.edit("b"), "b\nand more");
  assertEquals(store.draft(DM), "b\nand more");
  outbox.discard("c");
  await settle();
  assertEquals([...state().pending.keys()], ["a"]);
  assertEquals(store.sends().map((s) => s.clientMsgId), ["a"]);
});

Deno.test("SessionOutbox.restore() does not send again by itself what was kept past the resend window", () => {
  const storage = memoryStorage();
  const kept = new OutboxStore(storage, me.id);
  const now = Date.UTC(2026, 11, 2);
  kept.put({ ...text("old"), queuedAt: now - RESEND_WINDOW_MS - 1 });
  kept.put({ ...text("new"), queuedAt: now - RESEND_WINDOW_MS });
  const { outbox, calls, state } = session(storage, () => now);
  outbox.restore();
  assertEquals(calls.map((c) => c.clientMsgId), ["new"]);
  assertEquals(state().pending.get("old")?.failed, TOO_OLD);
  assertEquals(kept.sends().find((s) => s.clientMsgId === "old")?.failed, TOO_OLD);
  assertEquals(kept.sends().find((s) => s.clientMsgId === "new")?.queuedAt, now - RESEND_WINDOW_MS);
});
