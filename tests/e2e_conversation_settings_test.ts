/**
 * End-to-end: a user's settings of a conversation (PROTOCOL.md, Version 2, Conversations; issue
 * 17), in both modes. `PATCH /api/conversations/<id>` pins, mutes or hides a conversation for the
 * caller alone and answers `{conversation}`; `GET /api/conversations` lists pinned ones first and
 * carries `pinned` and `muted`; a hidden one leaves the list until a user's next message (system
 * lines, edits and recalls do not bring it back); every connection of the caller, and nobody
 * else, receives `conversation_update`. Lists reflect a change shortly after it (a cluster has
 * the log in between), so expected lists are polled for, never waited for by the clock.
 */
import { assert, assertEquals } from "./assert.ts";
import type { ImClient } from "../client/mod.ts";
import type { ConversationSummary, ServerFrame } from "../shared/types.ts";
import { privateConversationId } from "../shared/types.ts";
import { befriend, eventually, newUser, secondDevice, startServer, uniqueName } from "./harness.ts";
import { frames, groupApi, ofOp, rawCall } from "./_groups.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const text = (t: string) => ({ type: "text" as const, text: t });
const closeAll = (...clients: ImClient[]) => Promise.all(clients.map((c) => c.close()));

/** The conversation ids of a user's list, in its order. */
async function listed(client: ImClient): Promise<string[]> {
  return (await client.conversations()).map((c) => c.id);
}

/** Polls a user's list until it is exactly `expected` (ids in order), for 10 s; fails with the last. */
async function listSettles(client: ImClient, expected: string[]): Promise<ConversationSummary[]> {
  const deadline = Date.now() + 10_000;
  let last: ConversationSummary[] = [];
  while (Date.now() < deadline) {
    last = await client.conversations();
    if (JSON.stringify(last.map((c) => c.id)) === JSON.stringify(expected)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assertEquals(last.map((c) => c.id), expected, "the conversation list");
  return last;
}

/** Polls until a conversation's history holds an entry matching `match` (it is stored). */
function stored(
  client: ImClient,
  conversationId: string,
  match: (m: Awaited<ReturnType<ImClient["history"]>>[number]) => boolean,
) {
  return eventually(
    async () => (await client.history(conversationId, { limit: 200 })).some(match),
    10_000,
  );
}

/** `[status, error code]` and body of a raw `PATCH /api/conversations/<id>`. */
async function patch(client: ImClient, conversationId: string, body: unknown) {
  const [status, json] = await rawCall(
    url,
    client.token,
    "PATCH",
    `/api/conversations/${encodeURIComponent(conversationId)}`,
    body,
  );
  const answer = json as { conversation?: ConversationSummary; error?: { code: string } } | null;
  return { status, code: answer?.error?.code ?? null, conversation: answer?.conversation };
}

/** `[status, error code]` of reading a conversation's history, which settings must answer alike. */
async function historyAnswer(client: ImClient, conversationId: string) {
  const [status, json] = await rawCall(
    url,
    client.token,
    "GET",
    `/api/conversations/${encodeURIComponent(conversationId)}/messages`,
  );
  return [status, status >= 400 ? (json as { error: { code: string } }).error.code : null];
}

Deno.test(
  "settings: pin, mute and hide answer {conversation} with the caller's settings and the summary",
  opts,
  async () => {
    const ann = await newUser(url);
    const bob = await newUser(url);
    try {
      await befriend(ann, bob);
      const said = await bob.send({ type: "user", id: ann.self!.id }, text("hello ann"));
      const id = said.conversationId;
      await listSettles(ann, [id]);
      const pinned = await patch(ann, id, { pinned: true });
      assertEquals(pinned.status, 200);
      const c = pinned.conversation!;
      assertEquals(
        [c.id, c.type, c.peer?.id, c.pinned, c.muted, c.hidden],
        [id, "user", bob.self!.id, true, false, false],
      );
      assertEquals([c.lastSeq, c.unread, c.lastMessage?.id], [1, 1, said.id]);
      const muted = (await patch(ann, id, { muted: true })).conversation!;
      assertEquals([muted.pinned, muted.muted, muted.hidden], [true, true, false]);
      const all = (await patch(ann, id, { pinned: false, muted: false, hidden: true }))
        .conversation!;
      assertEquals([all.id, all.pinned, all.muted, all.hidden], [id, false, false, true]);
      // Through the SDK, and in a group: the group's summary.
      const group = await ann.createGroup(uniqueName("set"), [bob.self!.id]);
      const summary = await ann.updateConversation(`g:${group.id}`, { muted: true });
      assertEquals(
        [
          summary.id,
          summary.type,
          summary.group?.id,
          summary.pinned,
          summary.muted,
          summary.hidden,
        ],
        [`g:${group.id}`, "group", group.id, false, true, false],
      );
      // Settings are the caller's own: Bob's view of the same conversations is untouched.
      const bobs = await bob.conversations();
      for (const conversation of bobs) {
        assertEquals([conversation.pinned, conversation.muted], [false, false], conversation.id);
      }
      assertEquals(bobs.map((b) => b.id).sort(), [id, `g:${group.id}`].sort());
    } finally {
      await closeAll(ann, bob);
    }
  },
);

Deno.test(
  "settings: the list carries pinned and muted and puts pinned conversations first",
  opts,
  async () => {
    const ann = await newUser(url);
    const [bob, cat, dan] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    const other = await secondDevice(url, ann);
    try {
      for (const friend of [bob, cat, dan]) await befriend(ann, friend);
      const say = (from: ImClient, t: string) =>
        from.send({ type: "user", id: ann.self!.id }, text(t));
      const [b, c, d] = [
        (await say(bob, "from bob")).conversationId,
        (await say(cat, "from cat")).conversationId,
        (await say(dan, "from dan")).conversationId,
      ];
      // Newest activity first while nothing is pinned.
      const plain = await listSettles(ann, [d, c, b]);
      for (const summary of plain) {
        assertEquals([summary.pinned, summary.muted], [false, false], summary.id);
      }
      await ann.updateConversation(b, { pinned: true });
      await listSettles(ann, [b, d, c]);
      // Pinned ones among themselves: newest activity first too.
      await other.updateConversation(c, { pinned: true });
      await listSettles(ann, [c, b, d]);
      await say(bob, "bob again");
      await listSettles(ann, [b, c, d]);
      await ann.updateConversation(c, { pinned: false });
      await ann.updateConversation(d, { muted: true });
      const list = await listSettles(ann, [b, d, c]);
      assertEquals(
        list.map((s) => [s.id, s.pinned, s.muted]),
        [[b, true, false], [d, false, true], [c, false, false]],
      );
      // The other device of the same account lists the same; the peers' lists do not change.
      assertEquals(
        (await other.conversations()).map((s) => [s.id, s.pinned, s.muted]),
        list.map((s) => [s.id, s.pinned, s.muted]),
      );
      for (const peer of [bob, cat, dan]) {
        const [summary] = await peer.conversations();
        assertEquals([summary.pinned, summary.muted], [false, false]);
      }
      // A muted conversation still counts its unread messages and moves up with them.
      await say(dan, "dan again");
      const after = await listSettles(ann, [b, d, c]);
      assertEquals([after[1].unread, after[1].muted], [2, true]);
    } finally {
      await closeAll(ann, other, bob, cat, dan);
    }
  },
);

Deno.test(
  "settings: a hidden private conversation leaves the list until the next message, of either side",
  opts,
  async () => {
    const ann = await newUser(url);
    const bob = await newUser(url);
    const cat = await newUser(url);
    const other = await secondDevice(url, ann);
    try {
      await befriend(ann, bob);
      await befriend(ann, cat);
      const withBob = (await bob.send({ type: "user", id: ann.self!.id }, text("one")))
        .conversationId;
      const withCat = (await cat.send({ type: "user", id: ann.self!.id }, text("two")))
        .conversationId;
      await listSettles(ann, [withCat, withBob]);
      const hidden = await ann.updateConversation(withBob, { hidden: true });
      assertEquals([hidden.id, hidden.hidden], [withBob, true]);
      await listSettles(ann, [withCat]);
      await listSettles(other, [withCat]);
      // Hidden for Ann alone; its history stays readable.
      await listSettles(bob, [withBob]);
      assertEquals((await ann.history(withBob)).length, 1);
      // Bob's next message brings it back, at the top, with what is unread.
      const back = await bob.send({ type: "user", id: ann.self!.id }, text("are you there?"));
      const list = await listSettles(ann, [withBob, withCat]);
      assertEquals([list[0].lastMessage?.id, list[0].unread], [back.id, 2]);
      // Hidden again, Ann's own message brings it back too.
      await ann.updateConversation(withBob, { hidden: true });
      await listSettles(ann, [withCat]);
      await ann.send({ type: "user", id: bob.self!.id }, text("I am"));
      await listSettles(ann, [withBob, withCat]);
      // Pinned and hidden: hidden wins until a message comes; then it is first again, still pinned.
      await ann.updateConversation(withBob, { pinned: true, hidden: true });
      await listSettles(ann, [withCat]);
      await cat.send({ type: "user", id: ann.self!.id }, text("newer than bob"));
      await listSettles(ann, [withCat]);
      await bob.send({ type: "user", id: ann.self!.id }, text("back again"));
      const pinnedBack = await listSettles(ann, [withBob, withCat]);
      assertEquals(pinnedBack[0].pinned, true);
    } finally {
      await closeAll(ann, other, bob, cat);
    }
  },
);

Deno.test(
  "settings: a hidden group stays hidden through system lines, edits and recalls; a message brings it back",
  opts,
  async () => {
    const owner = await newUser(url);
    const member = await newUser(url);
    const joiner = await newUser(url);
    try {
      const group = await owner.createGroup(uniqueName("hide"));
      await member.joinGroup(group.id);
      const to = { type: "group" as const, id: group.id };
      const id = `g:${group.id}`;
      const first = await member.send(to, text("first words"));
      const second = await member.send(to, text("second words"));
      // Hidden once both are stored (a hide covers what is stored when it is made).
      await stored(owner, id, (m) => m.id === second.id);
      await owner.updateConversation(id, { hidden: true });
      await listSettles(owner, []);
      // A system line: someone joins.
      await joiner.joinGroup(group.id);
      await stored(owner, id, (m) =>
        m.content.type === "system" && m.content.event === "joined" &&
        m.content.userId === joiner.self!.id);
      assertEquals(await listed(owner), [], "a join does not bring it back");
      // Another system line: the owner renames the group.
      await groupApi(owner).patch(group.id, { name: "renamed while hidden" });
      await stored(owner, id, (m) => m.content.type === "system" && m.content.event === "renamed");
      assertEquals(await listed(owner), [], "a rename does not bring it back");
      // Update entries: an edit and a recall.
      await member.editMessage(first.id, "first words, edited");
      await stored(owner, id, (m) => m.content.type === "update" && m.content.action === "edit");
      assertEquals(await listed(owner), [], "an edit does not bring it back");
      await member.recallMessage(second.id);
      await stored(owner, id, (m) => m.content.type === "update" && m.content.action === "recall");
      assertEquals(await listed(owner), [], "a recall does not bring it back");
      // The others' lists are not affected.
      await listSettles(member, [id]);
      await listSettles(joiner, [id]);
      // A member's message brings it back.
      const back = await joiner.send(to, text("hello everyone"));
      const [summary] = await listSettles(owner, [id]);
      assertEquals(summary.lastMessage?.id, back.id);
    } finally {
      await closeAll(owner, member, joiner);
    }
  },
);

Deno.test("settings: hidden: false brings a hidden conversation back at once", opts, async () => {
  const ann = await newUser(url);
  const bob = await newUser(url);
  try {
    await befriend(ann, bob);
    const id = (await ann.send({ type: "user", id: bob.self!.id }, text("hi"))).conversationId;
    await listSettles(ann, [id]);
    await ann.updateConversation(id, { hidden: true, muted: true });
    await listSettles(ann, []);
    const shown = await ann.updateConversation(id, { hidden: false });
    assertEquals([shown.hidden, shown.muted], [false, true]);
    const [summary] = await listSettles(ann, [id]);
    assertEquals([summary.muted, summary.pinned], [true, false]);
  } finally {
    await closeAll(ann, bob);
  }
});

/** A raw WebSocket signed in as `client`, recording every frame. */
async function rawSocket(client: ImClient) {
  const ws = new WebSocket(await client.connectUrl());
  const got: ServerFrame[] = [];
  ws.onmessage = (e) => got.push(JSON.parse(e.data));
  const closed = new Promise((resolve) => ws.onclose = resolve);
  await new Promise((resolve) => ws.onopen = resolve);
  ws.send(JSON.stringify({ op: "auth", token: client.token }));
  await eventually(() => got.some((f) => f.op === "ready"));
  return {
    frames: got,
    async close() {
      ws.close();
      await closed;
    },
  };
}

Deno.test(
  "settings: conversation_update reaches every connection of the caller, the calling one too, and nobody else",
  opts,
  async () => {
    const ann = await newUser(url);
    const bob = await newUser(url);
    const phone = await secondDevice(url, ann);
    const raw = await rawSocket(ann);
    try {
      await befriend(ann, bob);
      const id = (await bob.send({ type: "user", id: ann.self!.id }, text("hi"))).conversationId;
      const group = await ann.createGroup(uniqueName("upd"), [bob.self!.id]);
      await listSettles(bob, [`g:${group.id}`, id]);
      const [onAnn, onPhone, onBob] = [frames(ann), frames(phone), frames(bob)];
      const updates = (list: ServerFrame[]) => ofOp(list, "conversation_update");
      const everyAnnConnection = () => [onAnn, onPhone, raw.frames];

      // Ann's laptop pins: the laptop, the phone and the raw socket each get the summary answered.
      const pinned = await ann.updateConversation(id, { pinned: true });
      for (const list of everyAnnConnection()) {
        const update = await eventually(() => updates(list)[0]);
        assertEquals(update.conversation, pinned);
      }
      // The phone mutes the group: the laptop hears of it too.
      const muted = await phone.updateConversation(`g:${group.id}`, { muted: true });
      for (const list of everyAnnConnection()) {
        const update = await eventually(() => updates(list)[1]);
        assertEquals(update.conversation, muted);
      }
      // A call over HTTP alone (no socket of its own) reaches every socket all the same.
      const [status, body] = await rawCall(url, ann.token, "PATCH", `/api/conversations/${id}`, {
        hidden: true,
      });
      assertEquals(status, 200);
      for (const list of everyAnnConnection()) {
        const update = await eventually(() => updates(list)[2]);
        assertEquals(
          update.conversation,
          (body as { conversation: ConversationSummary }).conversation,
        );
        assertEquals([update.conversation.id, update.conversation.hidden], [id, true]);
      }
      // Bob, in both conversations, hears none of it: once he has a message Ann sent after them.
      const later = await ann.send({ type: "user", id: bob.self!.id }, text("after the settings"));
      await eventually(() => ofOp(onBob, "message").some((f) => f.message.id === later.id), 10_000);
      assertEquals(updates(onBob), []);
      // Nor do Ann's connections hear of anything else: three changes, three updates each.
      for (const list of everyAnnConnection()) assertEquals(updates(list).length, 3);
    } finally {
      await raw.close();
      await closeAll(ann, phone, bob);
    }
  },
);

Deno.test(
  "settings: bad bodies are invalid_argument; a conversation the caller is not in gets history's error",
  opts,
  async () => {
    const ann = await newUser(url);
    const bob = await newUser(url);
    const sam = await newUser(url);
    try {
      await befriend(ann, bob);
      const id = (await ann.send({ type: "user", id: bob.self!.id }, text("ours"))).conversationId;
      const group = await ann.createGroup(uniqueName("bad"), [bob.self!.id]);
      await listSettles(ann, [`g:${group.id}`, id]);
      const onAnn = frames(ann);
      const bodies: unknown[] = [
        { pinned: "yes" },
        { muted: 1 },
        { hidden: null },
        { pinned: [true] },
        { muted: "false" },
        {},
        { pinned: true, color: "red" },
        { Pinned: true },
        { unread: 0 },
        [],
        [{ pinned: true }],
        null,
        "pinned",
        true,
        "{not json",
      ];
      for (const body of bodies) {
        const answer = await patch(ann, id, body);
        assertEquals(
          [answer.status, answer.code],
          [400, "invalid_argument"],
          `body ${JSON.stringify(body)}`,
        );
      }
      // No body at all.
      const [status, json] = await rawCall(url, ann.token, "PATCH", `/api/conversations/${id}`);
      assertEquals([status, (json as { error: { code: string } }).error.code], [
        400,
        "invalid_argument",
      ]);
      // Conversations the caller is not in, or that do not exist: as history answers them.
      const notTheirs = [
        id,
        `g:${group.id}`,
        "g:999999999999",
        "u:1:2",
        "u:1",
        "g:",
        "nonsense",
      ];
      for (const conversationId of notTheirs) {
        const answer = await patch(sam, conversationId, { pinned: true });
        assertEquals(
          [answer.status, answer.code],
          await historyAnswer(sam, conversationId),
          `as history: ${conversationId}`,
        );
        assert(answer.status >= 400, `${conversationId} answered ${answer.status}`);
      }
      // A private conversation that is Sam's by its id (with Ann, no word said): as history too.
      const empty = privateConversationId(sam.self!.id, ann.self!.id);
      const emptyAnswer = await patch(sam, empty, { pinned: true });
      assertEquals([emptyAnswer.status, emptyAnswer.code], await historyAnswer(sam, empty));
      assertEquals((await patch(sam, id, { pinned: true })).code, "forbidden");
      assertEquals((await patch(sam, "g:999999999999", { pinned: true })).code, "not_found");
      // A member who left is a stranger to it again.
      await bob.leaveGroup(group.id);
      const left = await patch(bob, `g:${group.id}`, { muted: true });
      assertEquals([left.status, left.code], await historyAnswer(bob, `g:${group.id}`));
      assertEquals(left.code, "forbidden");
      // Nothing refused changed anything, or told Ann's devices of a change.
      const summaries = await ann.conversations();
      for (const summary of summaries) {
        assertEquals([summary.pinned, summary.muted], [false, false], summary.id);
      }
      const fine = await ann.updateConversation(id, { pinned: false });
      await eventually(() => ofOp(onAnn, "conversation_update").length >= 1);
      assertEquals(ofOp(onAnn, "conversation_update").map((f) => f.conversation), [fine]);
    } finally {
      await closeAll(ann, bob, sam);
    }
  },
);
