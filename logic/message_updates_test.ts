/** Edit and recall over a real store: who may, within which window, and the entries they append. */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import type { AppError } from "../shared/errors.ts";
import type { Store } from "../shared/store/mod.ts";
import type { AcceptedMessage, Message } from "../shared/types.ts";
import { LIMITS, stepsOnOneStore } from "./_test_logic.ts";
import { world } from "./_test_world.ts";

const test = stepsOnOneStore("edit and recall");

async function code(call: () => Promise<unknown>): Promise<string> {
  return ((await assertRejects(call)) as AppError).code;
}

const text = (text: string) => ({ content: { type: "text", text } });

/** Two friends and a group of both with a third member, on windows of 10 s (edit) and 5 s (recall). */
async function people(store: Store) {
  const t = world(store, { limits: { editWindowS: 10, recallWindowS: 5 } });
  const [a, b, c] = [await t.user(), await t.user(), await t.user()];
  await t.friends(a, b);
  const group = await t.group(a, [b, c]);
  const current = async (id: string) => (await store.messages.byId(id))!;
  return { t, a, b, c, group, current };
}

test("editMessage() appends an edit entry and answers the edited message, mentions kept", async (store) => {
  const { t, a, b, group, current } = await people(store);
  await using _ = t;
  const sent = await t.say(a, { group }, { type: "text", text: "hi @b", mentions: [b] });
  await t.clock.tick(3000);
  const edited = await t.logic.editMessage(a, sent.id, text("hello @b"));
  const expected: Message = {
    ...sent,
    content: { type: "text", text: "hello @b", mentions: [b] },
    editedAt: t.clock.now,
  };
  assertEquals(edited, expected);
  const entry = t.log.appended.at(-1)!;
  assertEquals(
    entry,
    {
      id: entry.id,
      conversationId: sent.conversationId,
      from: a,
      to: sent.to,
      content: { type: "update", action: "edit", target: expected },
      sentAt: t.clock.now,
      clientMsgId: null,
    } satisfies AcceptedMessage,
  );
  assertEquals(entry.id === sent.id, false, "an entry of its own");
  assertEquals(await current(sent.id), expected, "the store applied it");
});

test("editMessage(): unknown, malformed or unreadable is not_found", async (store) => {
  const { t, a, b, group } = await people(store);
  await using _ = t;
  const stranger = await t.user();
  const direct = await t.say(a, { user: b }, "private");
  const inGroup = await t.say(a, { group }, "group");
  const late = await t.user();
  await t.join(group, [late]);
  const cases: [string, string, string][] = [
    ["an unknown id", a, "123456789"],
    ["a malformed id", a, "x1"],
    ["a stranger to a private chat", stranger, direct.id],
    ["a non-member of the group", stranger, inGroup.id],
    ["a member who joined after it (since_join)", late, inGroup.id],
  ];
  for (const [what, userId, id] of cases) {
    assertEquals(await code(() => t.logic.editMessage(userId, id, text("x"))), "not_found", what);
    assertEquals(await code(() => t.logic.recallMessage(userId, id)), "not_found", what);
  }
});

test("editMessage(): someone else's is forbidden, even for the group's owner", async (store) => {
  const { t, a, b, group } = await people(store);
  await using _ = t;
  const theirs = await t.say(b, { group }, "b's");
  assertEquals(await code(() => t.logic.editMessage(a, theirs.id, text("mine"))), "forbidden");
});

test("editMessage(): up to the window's end, then forbidden", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const first = await t.say(a, { user: b }, "one");
  const second = await t.say(a, { user: b }, "two");
  await t.clock.tick(10_000);
  await t.logic.editMessage(a, first.id, text("one, at the edge"));
  await t.clock.tick(1);
  assertEquals(await code(() => t.logic.editMessage(a, second.id, text("late"))), "forbidden");
});

test("editMessage(): an image, a file, a recalled message or bad input is invalid_argument", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const image = await t.say(a, { user: b }, { type: "image", mediaId: (await t.media(a)).id });
  const upload = await t.media(a, "f.txt");
  const file = await t.say(a, { user: b }, { type: "file", mediaId: upload.id, name: "f.txt" });
  const recalled = await t.say(a, { user: b }, "gone soon");
  await t.logic.recallMessage(a, recalled.id);
  for (const message of [image, file, recalled]) {
    assertEquals(
      await code(() => t.logic.editMessage(a, message.id, text("new"))),
      "invalid_argument",
      message.content.type,
    );
  }
  const plain = await t.say(a, { user: b }, "plain");
  for (
    const input of [
      text(""),
      text("x".repeat(LIMITS.textMax + 1)),
      { content: { type: "image", mediaId: "x" } },
      { content: { type: "text", text: "x", mentions: [b] } },
      { content: { type: "text", text: "x" }, more: 1 },
      null,
    ]
  ) {
    assertEquals(
      await code(() => t.logic.editMessage(a, plain.id, input)),
      "invalid_argument",
      JSON.stringify(input),
    );
  }
});

test("editMessage(): a sender who can no longer write there is forbidden", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const sent = await t.say(a, { user: b }, "while friends");
  await store.friends.remove(a, b);
  assertEquals(await code(() => t.logic.editMessage(a, sent.id, text("edit"))), "forbidden");
});

test("recallMessage() appends a recall entry; the message becomes recalled", async (store) => {
  const { t, a, b, current } = await people(store);
  await using _ = t;
  const sent = await t.say(a, { user: b }, "oops");
  await t.logic.recallMessage(a, sent.id);
  const recalled: Message = { ...sent, content: { type: "recalled", recalledBy: a } };
  const entry = t.log.appended.at(-1)!;
  assertEquals(
    entry,
    {
      id: entry.id,
      conversationId: sent.conversationId,
      from: a,
      to: sent.to,
      content: { type: "update", action: "recall", target: recalled },
      sentAt: t.clock.now,
      clientMsgId: null,
    } satisfies AcceptedMessage,
  );
  assertEquals(await current(sent.id), recalled);
  assertEquals(await code(() => t.logic.recallMessage(a, sent.id)), "conflict", "twice");
  assertEquals(await code(() => t.logic.editMessage(a, sent.id, text("back"))), "invalid_argument");
});

test("recallMessage(): the sender up to the window's end, then forbidden; others forbidden", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const first = await t.say(a, { user: b }, "one");
  const second = await t.say(a, { user: b }, "two");
  assertEquals(await code(() => t.logic.recallMessage(b, first.id)), "forbidden", "the peer");
  await t.clock.tick(5000);
  await t.logic.recallMessage(a, first.id);
  await t.clock.tick(1);
  assertEquals(await code(() => t.logic.recallMessage(a, second.id)), "forbidden");
});

test("recallMessage() in a group: owner > admin > member, at any time", async (store) => {
  const { t } = await people(store);
  await using _ = t;
  const [owner, admin, admin2, member, member2] = await Promise.all(
    Array.from({ length: 5 }, () => t.user()),
  );
  const group = await t.group(owner, [admin, admin2, member, member2], {
    adminIds: [admin, admin2],
  });
  const says = async (who: string) => (await t.say(who, { group }, `by ${who}`)).id;
  const byOwner = [await says(owner), await says(owner)];
  const byAdmin = [await says(admin), await says(admin)];
  const byMember = [await says(member), await says(member), await says(member)];
  await t.clock.tick(60_000); // Past the sender's window: only rank counts now.
  const allowed = async (who: string, id: string) => {
    try {
      await t.logic.recallMessage(who, id);
      return true;
    } catch (error) {
      assertEquals((error as AppError).code, "forbidden");
      return false;
    }
  };
  assertEquals(await allowed(member2, byMember[0]), false, "a member, another's");
  assertEquals(await allowed(member, byMember[0]), false, "a member, their own past the window");
  assertEquals(await allowed(admin, byOwner[0]), false, "an admin, the owner's");
  assertEquals(await allowed(admin2, byAdmin[0]), false, "an admin, another admin's");
  assertEquals(await allowed(admin, byAdmin[0]), false, "an admin, their own past the window");
  assertEquals(await allowed(admin, byMember[0]), true, "an admin, a member's");
  assertEquals(await allowed(owner, byAdmin[1]), true, "the owner, an admin's");
  assertEquals(await allowed(owner, byMember[1]), true, "the owner, a member's");
  assertEquals(await allowed(owner, byOwner[1]), true, "the owner, their own past the window");
  // Permission first: a plain member recalling a recalled message is forbidden, not conflict.
  assertEquals(await code(() => t.logic.recallMessage(member2, byMember[0])), "forbidden");
  assertEquals(await code(() => t.logic.recallMessage(owner, byMember[0])), "conflict");
  await store.groups.removeMember(group, member);
  assertEquals(await allowed(admin, byMember[2]), true, "an admin, a former member's");
});

test("recallMessage(): an update entry is invalid_argument", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const sent = await t.say(a, { user: b }, "x");
  await t.logic.editMessage(a, sent.id, text("y"));
  const entry = t.log.appended.at(-1)!;
  assertEquals(await code(() => t.logic.recallMessage(a, entry.id)), "invalid_argument");
});

test("recallMessage() twice at once, on one or two logic instances: one 204, one conflict", async (store) => {
  const { t, a, group } = await people(store);
  await using _ = t;
  const twin = t.twin();
  for (const [one, two] of [[t.logic, t.logic], [t.logic, twin]]) {
    const sent = await t.say(a, { group }, "once");
    const before = t.log.appended.length;
    const outcomes = await Promise.allSettled([
      one.recallMessage(a, sent.id),
      two.recallMessage(a, sent.id),
    ]);
    const codes = outcomes.map((o) =>
      o.status === "fulfilled" ? "ok" : (o.reason as AppError).code
    );
    // The second finds the first appended (conflict) or appends the same entry again (ok).
    assertEquals(codes.includes("ok"), true, codes.join());
    assertEquals(new Set(t.log.appended.slice(before).map((m) => m.id)).size, 1, "one entry");
  }
});

test("recallMessage() whose append failed can be tried again", async (store) => {
  const { t, a, b, current } = await people(store);
  await using _ = t;
  const sent = await t.say(a, { user: b }, "x");
  t.log.failures = 1;
  assertEquals(await code(() => t.logic.recallMessage(a, sent.id)), "unavailable");
  await t.clock.tick(1);
  await t.logic.recallMessage(a, sent.id);
  assertEquals((await current(sent.id)).content, { type: "recalled", recalledBy: a });
});

test("recallMessage() whose logic died before its append is done by the retry, with the claimed entry", async (store) => {
  // The default recall window (a day) outlives the claim.
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const current = async (id: string) => (await store.messages.byId(id))!;
  const sent = await t.say(a, { user: b }, "oops, wrong chat");
  const append = t.log.append.bind(t.log);
  // The instance that took the claim never appends (killed while appending).
  t.log.append = () => new Promise(() => {});
  void t.logic.recallMessage(a, sent.id);
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.log.append = append;
  const twin = t.twin();
  // The retry appends the very entry the dead instance claimed: recalled at once, and once.
  const before = t.log.appended.length;
  await twin.recallMessage(a, sent.id);
  assertEquals((await current(sent.id)).content, { type: "recalled", recalledBy: a });
  assertEquals(t.log.appended.length, before + 1);
  assertEquals(await code(() => twin.recallMessage(a, sent.id)), "conflict", "once appended");
});

test("editMessage() of a message whose recall is accepted but not stored yet is invalid_argument", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const sent = await t.say(a, { user: b }, "typo");
  // As in a cluster, where task stores the recall a moment after logic answered it.
  const append = t.log.append.bind(t.log);
  t.log.append = () => Promise.resolve();
  await t.logic.recallMessage(a, sent.id);
  t.log.append = append;
  assertEquals(
    await code(() => t.logic.editMessage(a, sent.id, text("fixed"))),
    "invalid_argument",
  );
});

test("edit and recall of a message acknowledged but not stored yet wait for it, not not_found", async (store) => {
  const { t, a, b, current } = await people(store);
  await using _ = t;
  t.log.storeLagMs = 200;
  const send = (clientMsgId: string) =>
    t.logic.send(a, { to: { type: "user", id: b }, clientMsgId, ...text("a typo") });
  const [toEdit, toRecall] = [await send("edit-me"), await send("recall-me")];
  const edited = await t.logic.editMessage(a, toEdit.id, text("no typo"));
  assertEquals(edited.content, { type: "text", text: "no typo" });
  await t.logic.recallMessage(a, toRecall.id);
  t.log.storeLagMs = 0;
  await new Promise((resolve) => setTimeout(resolve, 250));
  assertEquals((await current(toRecall.id)).content.type, "recalled");
});
