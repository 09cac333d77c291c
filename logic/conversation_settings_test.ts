/** updateConversation(): a user's pin, mute and hide of a conversation, checked, stored and told to their devices. */
import { assertEquals } from "../tests/assert.ts";
import { code, since } from "./_test_groups.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { freshId, world } from "./_test_world.ts";

const test = stepsOnOneStore("conversation settings");

test("updateConversation(): a round trip through the summary, the list and the other side's list", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const hi = await t.say(a, { user: b }, "hi");
  const conv = hi.conversationId;

  const answer = await t.logic.updateConversation(a, conv, { pinned: true, muted: true });
  assertEquals(answer.peer?.id, b);
  assertEquals([answer.lastMessage?.id, answer.lastSeq, answer.unread], [hi.id, 1, 0]);
  assertEquals([answer.pinned, answer.muted, answer.hidden], [true, true, false]);
  const [mine] = await t.logic.conversations(a);
  const { hidden: _hidden, ...listed } = answer;
  assertEquals(mine, listed, "the list's summary, less hidden");
  assertEquals("hidden" in mine, false, "a listed conversation says nothing of hiding");
  const [theirs] = await t.logic.conversations(b);
  assertEquals([theirs.pinned, theirs.muted], [false, false], "booleans even when never set");

  const unpinned = await t.logic.updateConversation(a, conv, { pinned: false });
  assertEquals([unpinned.pinned, unpinned.muted], [false, true], "muted as it was");
});

test("updateConversation(): conversation_update goes to all the caller's connections, and only theirs", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const { conversationId } = await t.say(b, { user: a }, "hello");
  const log = since(t.log.records);
  const answer = await t.logic.updateConversation(a, conversationId, { hidden: true });
  assertEquals(log.events("conversation_update").map((e) => [e.userIds, e.frame]), [
    [[a], { op: "conversation_update", conversation: answer }],
  ]);
  assertEquals(answer.hidden, true);
  assertEquals(log.records().length, 1, "nothing else: no message, no event to the peer");
});

test("updateConversation(): hidden leaves the list until a user's message, and is the caller's alone", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const group = await t.group(a, [b]);
  const first = await t.say(b, { group }, "first");
  const gconv = first.conversationId;
  await t.logic.updateConversation(a, gconv, { hidden: true });
  assertEquals((await t.logic.conversations(a)).map((c) => c.id), []);
  assertEquals((await t.logic.conversations(b)).map((c) => c.id), [gconv], "b's list keeps it");
  await t.logic.editMessage(b, first.id, { content: { type: "text", text: "edited" } });
  assertEquals((await t.logic.conversations(a)).map((c) => c.id), [], "an edit is no message");
  await t.logic.updateGroup(a, group, { notice: "a system message" });
  assertEquals((await t.logic.conversations(a)).map((c) => c.id), [], "so is a system message");
  await t.say(b, { group }, "back");
  assertEquals((await t.logic.conversations(a)).map((c) => c.id), [gconv]);
  const shown = await t.logic.updateConversation(a, gconv, { hidden: false });
  assertEquals([shown.hidden, shown.lastMessage?.content], [false, { type: "text", text: "back" }]);
});

test("updateConversation(): a conversation with no message yet, pinned before it starts", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  const group = await t.group(a, [b]);
  const answer = await t.logic.updateConversation(b, `g:${group}`, { pinned: true });
  assertEquals(answer.group?.id, group);
  assertEquals(answer.peer, undefined);
  assertEquals(
    [answer.lastSeq, answer.readSeq, answer.unread, answer.lastMessage, answer.pinned],
    [0, 0, 0, null, true],
  );
  const other = await t.say(a, { group }, "now");
  await t.friends(a, b);
  const newer = await t.say(a, { user: b }, "newer, not pinned");
  const list = await t.logic.conversations(b);
  assertEquals(list.map((c) => [c.id, c.pinned]), [
    [other.conversationId, true],
    [newer.conversationId, false],
  ]);
});

test("updateConversation(): strangers, bad ids and removed members are refused, nothing stored or sent", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b, stranger] = [await t.user(), await t.user(), await t.user()];
  await t.friends(a, b);
  const group = await t.group(a, [b]);
  const { conversationId: conv } = await t.say(a, { user: b }, "hi");
  const log = since(t.log.records);
  const update = (userId: string, id: string, body: unknown = { pinned: true }) =>
    code(() => t.logic.updateConversation(userId, id, body));

  assertEquals(await update(stranger, conv), "forbidden");
  assertEquals(await update(stranger, `g:${group}`), "forbidden");
  const [low, high] = [a, b].sort((x, y) => Number(x) - Number(y));
  assertEquals(await update(a, `u:${high}:${low}`), "not_found", "not the canonical order");
  assertEquals(await update(a, `u:${a}:${a}`), "not_found");
  assertEquals(await update(a, `u:${a}:${freshId()}`), "not_found", "an unknown peer");
  assertEquals(await update(a, `g:${freshId()}`), "not_found");
  for (const id of ["", "x", "g:", "g:01", "g:1 OR 1=1", `u:${a}`, "g:".padEnd(5000, "9")]) {
    assertEquals(await update(a, id), "not_found", id.slice(0, 20));
  }

  await store.groups.removeMember(group, b);
  assertEquals(await update(b, `g:${group}`), "forbidden", "a removed member");
  assertEquals(log.records(), [], "no event for any refusal");
  assertEquals((await t.logic.conversations(stranger)).length, 0);
  assertEquals((await t.logic.conversations(a))[0].pinned, false);
});

test("updateConversation(): the body is an object of one to three booleans, nothing else", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const { conversationId: conv } = await t.say(a, { user: b }, "hi");
  const log = since(t.log.records);
  for (
    const body of [
      {},
      { pinned: "true" },
      { muted: 1 },
      { hidden: null },
      { pinned: true, color: "red" },
      { pinned: true, muted: "no" },
      JSON.parse('{"__proto__": {"pinned": true}}'),
      [],
      [true],
      null,
      "pinned",
      true,
    ]
  ) {
    assertEquals(
      await code(() => t.logic.updateConversation(a, conv, body)),
      "invalid_argument",
      JSON.stringify(body),
    );
  }
  assertEquals(log.records(), []);
  const [row] = await t.logic.conversations(a);
  assertEquals([row.pinned, row.muted], [false, false]);
  const all = await t.logic.updateConversation(a, conv, {
    pinned: true,
    muted: true,
    hidden: true,
  });
  assertEquals([all.pinned, all.muted, all.hidden], [true, true, true]);
});

test("updateConversation(): rate-limited per user like reads", async (store) => {
  const limit = { rate: 1, burst: 2 };
  const none = { rate: 1e9, burst: 1e9 };
  const t = world(store, {
    rates: {
      loginPerUsername: none,
      loginPerAddress: none,
      registerPerAddress: none,
      uploadPerUser: none,
      friendRequestPerUser: none,
      searchPerUser: none,
      readPerUser: limit,
      messageSearchPerUser: none,
    },
  });
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const { conversationId: conv } = await t.say(a, { user: b }, "hi");
  await t.logic.updateConversation(a, conv, { pinned: true });
  await t.logic.updateConversation(a, conv, { pinned: false });
  assertEquals(
    await code(() => t.logic.updateConversation(a, conv, { muted: true })),
    "rate_limited",
  );
  await t.logic.updateConversation(b, conv, { muted: true });
  await t.clock.tick(1000);
  await t.logic.updateConversation(a, conv, { muted: true });
});
