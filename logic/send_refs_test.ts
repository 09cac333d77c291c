/** Sends of version 2 over a real store: replies, mentions and files, each rule and its error. */
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import type { AppError } from "../shared/errors.ts";
import type { MessageStore, Store } from "../shared/store/mod.ts";
import type { ReplyPreview } from "../shared/types.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { world } from "./_test_world.ts";
import { isMediaId } from "./validate.ts";

const test = stepsOnOneStore("sends with replies, mentions and files");

/** The code a call fails with. */
async function code(call: () => Promise<unknown>): Promise<string> {
  return ((await assertRejects(call)) as AppError).code;
}

/** Two friends and a group of both with a third member. */
async function people(store: Store) {
  const t = world(store);
  const [a, b, c] = [await t.user(), await t.user(), await t.user()];
  await t.friends(a, b);
  const group = await t.group(a, [b, c]);
  return { t, a, b, c, group };
}

test("a reply carries the preview of the message it answers", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const first = await t.say(a, { user: b }, "x".repeat(150));
  const reply = await t.say(b, { user: a }, { type: "text", text: "yes", replyTo: first.id });
  const expected: ReplyPreview = {
    id: first.id,
    seq: first.seq,
    from: a,
    preview: "x".repeat(100),
  };
  assertEquals(reply.replyTo, expected);
  assertEquals(t.log.appended.at(-1)?.replyTo, expected, "the appended message has it too");
});

test("replyTo: on an image, and to an image", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const image = await t.media(a);
  const picture = await t.say(a, { user: b }, { type: "image", mediaId: image.id });
  const answer = await t.say(b, { user: a }, {
    type: "image",
    mediaId: image.id,
    replyTo: picture.id,
  });
  assertEquals(answer.replyTo, { id: picture.id, seq: picture.seq, from: a, preview: "[image]" });
});

test("replyTo: a message of another conversation, an unknown id or a bad id is invalid_argument", async (store) => {
  const { t, a, b, group } = await people(store);
  await using _ = t;
  const inGroup = await t.say(a, { group }, "in the group");
  for (const replyTo of [inGroup.id, "123456789", "abc", 42]) {
    assertEquals(
      await code(() => t.say(a, { user: b }, { type: "text", text: "hi", replyTo })),
      "invalid_argument",
      `replyTo ${replyTo}`,
    );
  }
});

test("replyTo: under since_join, a message from before the sender joined is unknown to them", async (store) => {
  const { t, a, group } = await people(store);
  await using _ = t;
  const early = await t.say(a, { group }, "before d joined");
  const d = await t.user();
  await t.join(group, [d]);
  const later = await t.say(a, { group }, "after d joined");
  assertEquals(
    await code(() => t.say(d, { group }, { type: "text", text: "?", replyTo: early.id })),
    "invalid_argument",
  );
  const reply = await t.say(d, { group }, { type: "text", text: "!", replyTo: later.id });
  assertEquals(reply.replyTo?.id, later.id);
});

test("replyTo: an update entry cannot be answered", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const first = await t.say(a, { user: b }, "typo");
  await t.logic.editMessage(a, first.id, { content: { type: "text", text: "fixed" } });
  const entry = t.log.appended.at(-1)!;
  assertEquals(entry.content.type, "update");
  assertEquals(
    await code(() => t.say(b, { user: a }, { type: "text", text: "?", replyTo: entry.id })),
    "invalid_argument",
  );
});

test("replyTo: a batch asks the store once per conversation", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const quoted = [await t.say(a, { user: b }, "one"), await t.say(a, { user: b }, "two")];
  const calls: string[][] = [];
  const messages: MessageStore = store.messages;
  const get = messages.get;
  messages.get = (conversationId, ids) => {
    calls.push([...ids]);
    return get.call(messages, conversationId, ids);
  };
  try {
    const outcomes = await t.logic.sendMany(b, [
      ...quoted.map((q, i) => ({
        to: { type: "user", id: a },
        clientMsgId: `batch${i}`,
        content: { type: "text", text: `re ${i}`, replyTo: q.id },
      })),
      {
        to: { type: "user", id: a },
        clientMsgId: "batch-bad",
        content: { type: "text", text: "re", replyTo: "987654321" },
      },
    ]);
    assertEquals(outcomes.map((o) => o.error?.code ?? "ok"), ["ok", "ok", "invalid_argument"]);
  } finally {
    messages.get = get;
  }
  assertEquals(calls.length, 1, `one store.messages.get, got ${JSON.stringify(calls)}`);
  assertEquals(new Set(calls[0]), new Set([...quoted.map((q) => q.id), "987654321"]));
});

test("mentions: members of the group, deduplicated, kept in the message", async (store) => {
  const { t, a, b, c, group } = await people(store);
  await using _ = t;
  const message = await t.say(a, { group }, { type: "text", text: "@b @c", mentions: [b, c, b] });
  assertEquals(message.content, { type: "text", text: "@b @c", mentions: [b, c] });
});

test("mentions: a non-member, more than 50, a bad id or a private chat is invalid_argument", async (store) => {
  const { t, a, b, group } = await people(store);
  await using _ = t;
  const stranger = await t.user();
  const fiftyOne = Array.from({ length: 51 }, () => b);
  const cases: [string, { user: string } | { group: string }, unknown][] = [
    ["a non-member", { group }, [stranger]],
    ["51 ids", { group }, fiftyOne],
    ["a bad id", { group }, ["x"]],
    ["not an array", { group }, b],
    ["a private chat", { user: b }, [b]],
  ];
  for (const [what, to, mentions] of cases) {
    assertEquals(
      await code(() => t.say(a, to, { type: "text", text: "@", mentions })),
      "invalid_argument",
      what,
    );
  }
  assertEquals(
    await code(() => t.say(a, { user: b }, { type: "text", text: "@all", mentionAll: true })),
    "invalid_argument",
    "mentionAll in a private chat",
  );
  assertEquals(
    await code(() => t.say(a, { group }, { type: "image", mediaId: "x", mentions: [b] })),
    "invalid_argument",
    "mentions on an image",
  );
});

test("mentionAll: the owner and admins may, a plain member is forbidden", async (store) => {
  const t = world(store);
  await using _ = t;
  const [owner, admin, member] = [await t.user(), await t.user(), await t.user()];
  const group = await t.group(owner, [admin, member], { adminIds: [admin] });
  const all = { type: "text", text: "@all", mentionAll: true } as const;
  assertEquals((await t.say(owner, { group }, all)).content, all);
  assertEquals((await t.say(admin, { group }, all)).content, all);
  assertEquals(await code(() => t.say(member, { group }, all)), "forbidden");
  const none = await t.say(member, { group }, { ...all, mentionAll: false });
  assertEquals(none.content, { type: "text", text: "@all" }, "mentionAll: false is left out");
});

test("file: its checked name, with size and type of the upload, and media of its own", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const upload = await t.media(b, "report.pdf");
  const message = await t.say(a, { user: b }, {
    type: "file",
    mediaId: upload.id,
    name: "  Cafe\u0301 report.pdf ",
  });
  assert(message.content.type === "file");
  const own = message.content.mediaId;
  assert(isMediaId(own) && own !== upload.id, `a new media id, not ${own}`);
  assertEquals(message.content, {
    type: "file",
    mediaId: own,
    name: "Café report.pdf",
    url: `/api/media/${own}`,
    size: upload.size,
    contentType: upload.contentType,
  });
  // A copy of the upload, the sender's, with the same bytes.
  assertEquals(await t.store.media.withBytes(own), {
    info: { ...upload, id: own, ownerId: a, createdAt: message.sentAt },
    bytes: (await t.store.media.withBytes(upload.id))!.bytes,
  });
});

test("file: a bad name, unknown media, an image upload; an image: a file upload", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  const file = await t.media(a, "a.txt");
  const image = await t.media(a);
  const send = (content: Record<string, unknown>) => code(() => t.say(a, { user: b }, content));
  const as = (mediaId: string, name: unknown) => ({ type: "file", mediaId, name });
  assertEquals(await send(as(file.id, "../etc/passwd")), "invalid_argument");
  assertEquals(await send(as(file.id, "a\u0000b")), "invalid_argument");
  assertEquals(await send(as(file.id, "x".repeat(10_000))), "invalid_argument");
  assertEquals(await send(as(file.id, undefined)), "invalid_argument");
  assertEquals(await send(as("A".repeat(24), "a.txt")), "not_found");
  assertEquals(await send(as(image.id, "a.png")), "invalid_argument");
  assertEquals(await send({ type: "image", mediaId: file.id }), "invalid_argument");
  assertEquals(
    await send({ type: "file", mediaId: file.id, name: "a", text: "x" }),
    "invalid_argument",
  );
});

test("a refused reply or mention refuses that send alone", async (store) => {
  const { t, a, b, group } = await people(store);
  await using _ = t;
  const stranger = await t.user();
  const outcomes = await t.logic.sendMany(a, [
    { to: { type: "group", id: group }, clientMsgId: "r1", content: { type: "text", text: "1" } },
    {
      to: { type: "group", id: group },
      clientMsgId: "r2",
      content: { type: "text", text: "2", mentions: [stranger] },
    },
    {
      to: { type: "group", id: group },
      clientMsgId: "r3",
      content: { type: "text", text: "3", mentions: [b] },
    },
  ]);
  assertEquals(outcomes.map((o) => o.error?.code ?? "ok"), ["ok", "invalid_argument", "ok"]);
  assert(outcomes[2].result !== undefined);
  assertEquals(t.log.appended.map((m) => m.clientMsgId), ["r1", "r3"]);
});

test("replyTo: a message acknowledged but not stored yet is waited for, not unknown", async (store) => {
  const { t, a, b } = await people(store);
  await using _ = t;
  t.log.storeLagMs = 200;
  const sent = await t.logic.send(a, {
    to: { type: "user", id: b },
    clientMsgId: "lagging",
    content: { type: "text", text: "just sent" },
  });
  const reply = await t.logic.send(b, {
    to: { type: "user", id: a },
    clientMsgId: "quick",
    content: { type: "text", text: "a quick answer", replyTo: sent.id },
  });
  const appended = t.log.appended.find((m) => m.id === reply.id);
  assertEquals([appended?.replyTo?.id, appended?.replyTo?.preview], [sent.id, "just sent"]);
});
