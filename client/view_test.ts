import assert from "node:assert/strict";
import type { Content, Message, MessageRef } from "../shared/types.ts";
import { message, once, setup } from "./_fakes.ts";
import type { ImClient } from "./mod.ts";
import { type ConversationView, ViewState } from "./view.ts";

const CONVERSATION = "u:1:2";

/** Message `seq` of the conversation with `content` (and any other fields). */
function at(seq: number, content: Content, extra: Partial<Message> = {}): Message {
  return { ...message(seq), content, ...extra };
}

/** A text message. */
function text(seq: number, body: string, extra: Partial<Message> = {}): Message {
  return at(seq, { type: "text", text: body }, extra);
}

/** A reply to `quoted`, with the preview it had when sent. */
function reply(seq: number, body: string, quoted: Message, preview: string | null): Message {
  return text(seq, body, {
    replyTo: { id: quoted.id, seq: quoted.seq, from: quoted.from, preview },
  });
}

/** The update entry `seq` of an edit or recall of `target`. */
function update(seq: number, action: "edit" | "recall", target: Message | MessageRef): Message {
  return at(seq, { type: "update", action, target }, { clientMsgId: null });
}

/** `target` edited to `body` at `editedAt`. */
function edited(target: Message, body: string, editedAt: number): Message {
  return { ...target, content: { type: "text", text: body }, editedAt };
}

/** `target` recalled by user 1. */
function recalled(target: Message): Message {
  return { ...target, content: { type: "recalled", recalledBy: "1" } };
}

/** The texts of a view's messages; other contents as `[type]`. */
function texts(view: ViewState | ConversationView): string[] {
  const { messages } = view instanceof ViewState ? view.snapshot() : view;
  return messages.map((m) => m.content.type === "text" ? m.content.text : `[${m.content.type}]`);
}

Deno.test("ViewState lists messages by seq, whatever order they arrive in, without update entries", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  state.apply([text(3, "three"), update(4, "edit", edited(one, "uno", 10))]);
  state.apply([one, text(2, "two")]);
  assert.deepEqual(state.snapshot().messages.map((m) => m.seq), [1, 2, 3]);
  assert.deepEqual(texts(state), ["uno", "two", "three"]);
});

Deno.test("ViewState applies an edit and a recall to the listed message", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  state.apply([one, text(2, "two")]);
  assert.equal(state.apply([update(3, "edit", edited(one, "uno", 10))]), true);
  assert.deepEqual(state.snapshot().messages[0], edited(one, "uno", 10));
  assert.equal(state.apply([update(4, "recall", recalled(text(2, "two")))]), true);
  assert.deepEqual(texts(state), ["uno", "[recalled]"]);
});

Deno.test("ViewState keeps an update that came before its target when it is newer", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  const two = text(2, "two");
  state.apply([update(5, "edit", edited(one, "uno", 10)), update(6, "recall", recalled(two))]);
  assert.deepEqual(texts(state), [], "an update alone lists nothing");
  assert.equal(state.apply([one, two]), true);
  assert.deepEqual(texts(state), ["uno", "[recalled]"]);
});

Deno.test("ViewState lets a recall beat any edit, and a later edit an earlier one", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  state.apply([one, update(3, "edit", edited(one, "second", 20))]);
  assert.equal(state.apply([update(2, "edit", edited(one, "first", 10))]), false);
  assert.deepEqual(texts(state), ["second"]);
  state.apply([update(5, "recall", recalled(one))]);
  assert.equal(state.apply([update(4, "edit", edited(one, "third", 30))]), false);
  assert.deepEqual(texts(state), ["[recalled]"]);
});

Deno.test("ViewState takes the later of two different versions as new as each other", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  // Two edits in one millisecond: the version fetched last is the server's.
  state.apply([one, update(2, "edit", edited(one, "first", 10))]);
  assert.equal(state.apply([update(3, "edit", edited(one, "second", 10))]), true);
  assert.deepEqual(texts(state), ["second"]);
  assert.equal(state.apply([update(3, "edit", edited(one, "second", 10))]), false);
});

Deno.test("ViewState.recall() shows a held message recalled until the server's version comes", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one", { editedAt: 10 });
  assert.equal(state.recall(one.id, "2"), false, "an unknown message");
  state.apply([one, reply(2, "re", one, "one")]);
  assert.equal(state.recall(one.id, "2"), true);
  assert.deepEqual(state.snapshot().messages[0].content, { type: "recalled", recalledBy: "2" });
  assert.equal(state.snapshot().messages[1].replyTo?.preview, "[recalled]");
  assert.equal(state.recall(one.id, "3"), false, "recalled already");
  // The server's version, say without editedAt, replaces the guess: recalls are as new as each other.
  const stored = { ...text(1, "one"), content: { type: "recalled" as const, recalledBy: "2" } };
  assert.equal(state.apply([update(3, "recall", stored)]), true);
  assert.deepEqual(state.snapshot().messages[0], stored);
  assert.equal(state.apply([update(3, "recall", stored)]), false);
});

Deno.test("ViewState refreshes the preview of replies when the quoted message changes", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  state.apply([one, reply(2, "re", one, "one")]);
  state.apply([update(3, "edit", edited(one, "uno", 10))]);
  assert.equal(state.snapshot().messages[1].replyTo?.preview, "uno");
  state.apply([update(4, "recall", recalled(one))]);
  assert.equal(state.snapshot().messages[1].replyTo?.preview, "[recalled]");
  // A reply that arrives later, with the preview it was sent with, shows the current one too.
  state.apply([reply(5, "late", one, "one")]);
  assert.equal(state.snapshot().messages[2].replyTo?.preview, "[recalled]");
});

Deno.test("ViewState refreshes a reply's preview from an update of a quoted message it never listed", () => {
  const state = new ViewState(CONVERSATION);
  const old = text(1, "a long time ago");
  state.apply([reply(50, "re", old, "a long time ago")]);
  state.apply([update(51, "edit", edited(old, "recently", 10))]);
  assert.deepEqual(texts(state), ["re"], "the quoted message is not listed: it was never fetched");
  assert.equal(state.snapshot().messages[0].replyTo?.preview, "recently");
});

Deno.test("ViewState applies nothing of an update whose target is only {id, seq}, and keeps a null preview", () => {
  const state = new ViewState("g:5");
  const hidden = { ...text(1, "before I joined"), conversationId: "g:5" };
  const quoting = { ...reply(10, "re", hidden, null), conversationId: "g:5" };
  state.apply([quoting]);
  const before = state.snapshot();
  assert.equal(
    state.apply([{ ...update(11, "edit", { id: hidden.id, seq: 1 }), conversationId: "g:5" }]),
    false,
  );
  assert.equal(state.snapshot(), before);
  assert.equal(state.snapshot().messages[0].replyTo?.preview, null);
});

Deno.test("ViewState takes a repeated delivery as no change and keeps the same snapshot", () => {
  const state = new ViewState(CONVERSATION);
  const one = text(1, "one");
  const batch = [one, reply(2, "re", one, "one"), update(3, "edit", edited(one, "uno", 10))];
  assert.equal(state.apply(batch), true);
  const before = state.snapshot();
  assert.equal(state.apply(batch), false);
  assert.equal(state.apply([...batch].reverse()), false);
  assert.equal(state.snapshot(), before);
  assert.ok(Object.isFrozen(before) && Object.isFrozen(before.messages));
});

Deno.test("ViewState ends in the same state whatever the order of delivery", () => {
  const one = text(1, "one");
  const two = reply(2, "re", one, "one");
  const three = text(3, "three");
  const entries = [
    one,
    two,
    three,
    update(4, "edit", edited(one, "uno", 10)),
    update(5, "edit", edited(three, "tres", 11)),
    update(6, "edit", edited(one, "eins", 12)),
    update(7, "recall", recalled(edited(three, "tres", 11))),
  ];
  const expected = new ViewState(CONVERSATION);
  expected.apply(entries);
  assert.deepEqual(texts(expected), ["eins", "re", "[recalled]"]);
  assert.equal(expected.snapshot().messages[1].replyTo?.preview, "eins");
  for (const order of permutations(entries)) {
    const state = new ViewState(CONVERSATION);
    for (const entry of order) state.apply([entry]);
    assert.deepEqual(state.snapshot().messages, expected.snapshot().messages);
  }
});

Deno.test("ViewState never moves a read mark back", () => {
  const state = new ViewState(CONVERSATION);
  assert.equal(state.read("1", 5), true);
  assert.equal(state.read("1", 3), false);
  assert.equal(state.read("1", 5), false);
  assert.equal(state.read("2", 1), true);
  assert.deepEqual([...state.snapshot().reads], [["1", 5], ["2", 1]]);
});

Deno.test("ViewState ignores messages of other conversations", () => {
  const state = new ViewState(CONVERSATION);
  assert.equal(state.apply([message(1, "u:1:3")]), false);
  assert.equal(state.offer(message(1, "u:1:3")), false);
  assert.deepEqual(state.snapshot().messages, []);
});

/** A client open on a server whose conversation `u:1:2` holds `stored`, and the view events it emits. */
async function openWith(...stored: Message[]) {
  const fakes = setup();
  fakes.server.store(...stored);
  const views: string[] = [];
  fakes.client.on("view", (id) => views.push(id));
  fakes.client.connect();
  const socket = await fakes.accept();
  return { ...fakes, socket, views };
}

/** The view of `conversationId` once `ready` accepts it (now, or at a later `view` event). */
function viewWhere(
  client: ImClient,
  conversationId: string,
  ready: (view: ConversationView) => boolean,
): Promise<ConversationView> {
  const now = client.view(conversationId);
  if (ready(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const off = client.on("view", (id) => {
      const view = client.view(conversationId);
      if (id !== conversationId || !ready(view)) return;
      off();
      resolve(view);
    });
  });
}

/** Texts 1 to `n` of the conversation. */
function numbered(n: number): Message[] {
  return Array.from({ length: n }, (_, i) => text(i + 1, `message ${i + 1}`));
}

Deno.test("ImClient.view() starts empty, fetches the latest page and the read marks, then takes pushes", async () => {
  const stored = numbered(60);
  const { client, socket, server } = await openWith(...stored);
  server.reads.set(CONVERSATION, [{ userId: "1", seq: 58 }]);
  assert.deepEqual(client.view(CONVERSATION).messages, []);
  let view = await viewWhere(
    client,
    CONVERSATION,
    (v) => v.messages.length > 0 && v.reads.size > 0,
  );
  assert.deepEqual(view.messages.map((m) => m.seq), stored.slice(10).map((m) => m.seq));
  assert.deepEqual([...view.reads], [["1", 58]]);
  assert.ok(server.requests.includes(
    "/api/conversations/u%3A1%3A2/messages?before=2147483647&limit=50",
  ));
  let acked = socket.nextSent("ack");
  socket.push({ op: "message", message: reply(61, "re", stored[59], "message 60") });
  await acked;
  acked = socket.nextSent("ack");
  socket.push({ op: "message", message: update(62, "edit", edited(stored[59], "sixty", 10)) });
  assert.deepEqual(await acked, { op: "ack", conversationId: CONVERSATION, seq: 62 });
  view = client.view(CONVERSATION);
  assert.deepEqual(texts(view).slice(-2), ["sixty", "re"]);
  assert.equal(view.messages.at(-1)?.replyTo?.preview, "sixty");
  await client.close();
});

Deno.test("ImClient.view() takes the older pages history() fetches, and applies their updates", async () => {
  const stored = numbered(60);
  const { client, server } = await openWith(...stored);
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 50);
  server.store(update(61, "edit", edited(stored[0], "first", 10)));
  await client.history(CONVERSATION, { after: 60 });
  await client.history(CONVERSATION, { before: 11 });
  const view = client.view(CONVERSATION);
  assert.deepEqual(view.messages.map((m) => m.seq), stored.map((m) => m.seq));
  assert.equal(texts(view)[0], "first");
  await client.history(CONVERSATION, { before: 11 });
  assert.equal(client.view(CONVERSATION), view, "the same page again changes nothing");
  await client.close();
});

Deno.test("ImClient.view() takes an edit found by gap repair", async () => {
  const one = text(1, "one");
  const { client, socket, server } = await openWith(one);
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 1);
  server.store(update(2, "edit", edited(one, "uno", 10)));
  const delivered = once(client, "message", (m) => m.seq === 3);
  socket.push({ op: "message", message: text(3, "three") });
  await delivered;
  assert.deepEqual(texts(client.view(CONVERSATION)), ["uno", "three"]);
  await client.close();
});

Deno.test("ImClient keeps no view of a conversation the application did not ask for, or closed", async () => {
  const { client, socket, server, views } = await openWith(text(1, "one"));
  await client.history(CONVERSATION);
  const delivered = once(client, "message");
  server.store(text(2, "two"));
  socket.push({ op: "message", message: text(2, "two") });
  await delivered;
  socket.push({ op: "read", conversationId: CONVERSATION, userId: "1", seq: 2 });
  assert.deepEqual(views, []);
  assert.equal(server.requests.some((path) => path.includes("before=")), false);
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 2);
  client.closeView(CONVERSATION);
  const count = views.length;
  await client.history(CONVERSATION);
  socket.push({ op: "read", conversationId: CONVERSATION, userId: "1", seq: 3 });
  assert.equal(views.length, count);
  await client.close();
});

Deno.test("ImClient.view() read marks come from read events, reads() and read(), never moving back", async () => {
  const { client, socket, server } = await openWith(text(1, "one"));
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 1);
  socket.push({ op: "read", conversationId: CONVERSATION, userId: "1", seq: 5 });
  server.reads.set(CONVERSATION, [{ userId: "1", seq: 3 }, { userId: "2", seq: 1 }]);
  await client.reads(CONVERSATION);
  assert.deepEqual([...client.view(CONVERSATION).reads], [["1", 5], ["2", 1]]);
  client.read(CONVERSATION, 4);
  assert.equal(client.view(CONVERSATION).reads.get("2"), 4, "this user's own mark (user 2)");
  await client.close();
});

Deno.test("ImClient.editMessage() puts the new version in the view before the update entry comes", async () => {
  const one = text(1, "one");
  const { client, server, socket } = await openWith(one);
  server.route("PATCH", `/api/messages/${encodeURIComponent(one.id)}`, () => ({
    message: edited(one, "uno", 10),
  }));
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 1);
  await client.editMessage(one.id, "uno");
  const view = client.view(CONVERSATION);
  assert.deepEqual(texts(view), ["uno"]);
  const delivered = once(client, "message");
  socket.push({ op: "message", message: update(2, "edit", edited(one, "uno", 10)) });
  await delivered;
  assert.equal(client.view(CONVERSATION), view, "the update entry that follows changes nothing");
  await client.close();
});

Deno.test("ImClient.view() whose first fetch failed tries again at the next call and the next ready", async () => {
  const { client, socket, server, timers, accept } = await openWith(text(1, "one"));
  server.store(message(1, "u:1:3"));
  const errors: string[] = [];
  client.on("error", (e) => errors.push(e.message));
  server.down = true;
  client.view(CONVERSATION);
  client.view("u:1:3");
  await once(client, "error", (e) => e.message.startsWith("Cannot load u:1:3"));
  assert.ok(errors.some((m) => m.startsWith("Cannot load u:1:2: Down for the test")));
  server.down = false;
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 1);
  assert.deepEqual(client.view("u:1:3").messages, [], "not until the next ready");
  socket.drop(1006);
  timers.runNext();
  await accept();
  await viewWhere(client, "u:1:3", (v) => v.messages.length === 1);
  await client.close();
});

Deno.test("ImClient.recallMessage() shows the message recalled in the view before the update entry comes", async () => {
  const one = text(1, "one");
  const { client, server, socket } = await openWith(one);
  server.route("DELETE", `/api/messages/${encodeURIComponent(one.id)}`, () => undefined);
  await viewWhere(client, CONVERSATION, (v) => v.messages.length === 1);
  const changed = once(client, "view");
  await client.recallMessage(one.id);
  assert.equal(await changed, CONVERSATION);
  const view = client.view(CONVERSATION);
  // User 2 is this client's own user (READY).
  assert.deepEqual(view.messages[0].content, { type: "recalled", recalledBy: "2" });
  const delivered = once(client, "message");
  socket.push({ op: "message", message: update(2, "recall", recalled({ ...one })) });
  await delivered;
  assert.deepEqual(client.view(CONVERSATION).messages[0], {
    ...one,
    content: { type: "recalled", recalledBy: "1" },
  }, "the server's version wins");
  await client.close();
});

/** Every order of `items` (7 items: 5040 orders). */
function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) return yield [...items];
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i], ...tail];
  }
}
