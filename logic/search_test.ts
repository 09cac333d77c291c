/** searchMessages(): the query checked, the caller's conversations only, and group floors kept. */
import { assertEquals } from "../tests/assert.ts";
import type { Rates } from "../shared/config.ts";
import type { Message } from "../shared/types.ts";
import { code } from "./_test_groups.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { freshId, world } from "./_test_world.ts";
import type { SearchInput } from "./search.ts";

const test = stepsOnOneStore("message search");

/** A search query with only `q` (and what `more` gives). */
const query = (q: string | null, more: Partial<SearchInput> = {}): SearchInput => ({
  q,
  conversationId: null,
  before: null,
  limit: null,
  ...more,
});

/** The texts of messages, in order. */
const texts = (messages: Message[]) =>
  messages.map((m) => m.content.type === "text" ? m.content.text : m.content.type);

test("searchMessages(): q is 2 to 100 characters once trimmed, and 2 to 400 once normalized", async (store) => {
  const t = world(store);
  await using _ = t;
  const a = await t.user();
  for (
    const q of [
      null,
      "",
      "x",
      "   ",
      " \t\n ",
      " x ",
      "x".repeat(101),
      "x".repeat(10_000),
      "ab\0",
      "A\u0301", // two code points, one once NFKC composes them
      "\uFDFA".repeat(23), // 23 code points, 414 once NFKC expands each to 18
    ]
  ) {
    assertEquals(
      await code(() => t.logic.searchMessages(a, query(q))),
      "invalid_argument",
      JSON.stringify(q?.slice(0, 12)),
    );
  }
  assertEquals(await t.logic.searchMessages(a, query("ab")), []);
  assertEquals(await t.logic.searchMessages(a, query(`  ${"x".repeat(100)}  `)), []);
  assertEquals(await t.logic.searchMessages(a, query("%_\\")), [], "searched literally");
  assertEquals(
    await t.logic.searchMessages(a, query("\uFDFA".repeat(22))),
    [],
    "396 once normalized",
  );
});

test("searchMessages(): before is a message id, limit 1 to 50", async (store) => {
  const t = world(store);
  await using _ = t;
  const a = await t.user();
  for (const before of ["", "0", "-1", "1.5", "01", "abc", "1 OR 1=1", "99999999999999999999"]) {
    assertEquals(
      await code(() => t.logic.searchMessages(a, query("hello", { before }))),
      "invalid_argument",
      `before ${before}`,
    );
  }
  for (const limit of ["", "0", "51", "-1", "2.5", "ten", "1e1"]) {
    assertEquals(
      await code(() => t.logic.searchMessages(a, query("hello", { limit }))),
      "invalid_argument",
      `limit ${limit}`,
    );
  }
  assertEquals(
    await t.logic.searchMessages(a, query("hello", { before: "9223372036854775807", limit: "50" })),
    [],
  );
});

test("searchMessages(): someone else's conversation is forbidden, a malformed or unknown one not found", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b, stranger] = [await t.user(), await t.user(), await t.user()];
  await t.friends(a, b);
  const group = await t.group(a, [b]);
  const { conversationId } = await t.say(a, { user: b }, "hello there");
  await t.say(a, { group }, "hello group");
  const within = (id: string) => query("hello", { conversationId: id });
  assertEquals(
    await code(() => t.logic.searchMessages(stranger, within(conversationId))),
    "forbidden",
  );
  assertEquals(
    await code(() => t.logic.searchMessages(stranger, within(`g:${group}`))),
    "forbidden",
  );
  for (const id of ["", "x", `g:${freshId()}`, `u:${a}:${a}`, "g:1;DROP TABLE messages"]) {
    assertEquals(await code(() => t.logic.searchMessages(a, within(id))), "not_found", id);
  }
  assertEquals(await t.logic.searchMessages(stranger, query("hello")), [], "nothing of theirs");
});

test("searchMessages(): finds substrings in the caller's conversations, newest first, a page at a time", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b, c] = [await t.user(), await t.user(), await t.user()];
  await t.friends(a, b);
  await t.friends(b, c);
  const group = await t.group(a, [b]);
  const one = await t.say(a, { user: b }, "Hello, world");
  await t.say(b, { group }, "你好世界");
  await t.say(b, { user: c }, "hello from elsewhere");
  const three = await t.say(a, { group }, "SHELL game");
  assertEquals(texts(await t.logic.searchMessages(a, query("ell"))), [
    "SHELL game",
    "Hello, world",
  ]);
  assertEquals(texts(await t.logic.searchMessages(a, query("世界"))), ["你好世界"]);
  assertEquals(
    texts(await t.logic.searchMessages(a, query("ell", { conversationId: one.conversationId }))),
    ["Hello, world"],
  );
  const page = await t.logic.searchMessages(a, query("ll", { limit: "1" }));
  assertEquals(page.map((m) => m.id), [three.id]);
  const next = await t.logic.searchMessages(a, query("ll", { limit: "1", before: page[0].id }));
  assertEquals(next.map((m) => m.id), [one.id]);
});

test("searchMessages(): in a group, nothing at or below the caller's floor, and quotes of it without preview", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b, late] = [await t.user(), await t.user(), await t.user()];
  const group = await t.group(a, [b]);
  const early = await t.say(a, { group }, "needle before");
  await t.join(group, [late]);
  const reply = await t.say(b, { group }, {
    type: "text",
    text: "needle reply",
    replyTo: early.id,
  });
  const seen = (messages: Message[]) => messages.map((m) => [m.id, m.replyTo?.preview ?? null]);

  assertEquals(seen(await t.logic.searchMessages(b, query("needle"))), [
    [reply.id, "needle before"],
    [early.id, null],
  ]);
  const expected = [[reply.id, null]];
  assertEquals(seen(await t.logic.searchMessages(late, query("needle"))), expected);
  const within = query("needle", { conversationId: early.conversationId });
  assertEquals(seen(await t.logic.searchMessages(late, within)), expected, "in that group too");
});

test("searchMessages(): a removed member finds nothing more of the group", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  const group = await t.group(a, [b]);
  const message = await t.say(a, { group }, "secret plans");
  assertEquals((await t.logic.searchMessages(b, query("plans"))).map((m) => m.id), [message.id]);
  await t.logic.removeGroupMember(a, group, b);
  assertEquals(await t.logic.searchMessages(b, query("plans")), []);
  const within = query("plans", { conversationId: message.conversationId });
  assertEquals(await code(() => t.logic.searchMessages(b, within)), "forbidden");
});

test("searchMessages(): rate-limited per user by its own limit", async (store) => {
  const none = { rate: 1e9, burst: 1e9 };
  const rates: Rates = {
    loginPerUsername: none,
    loginPerAddress: none,
    registerPerAddress: none,
    uploadPerUser: none,
    friendRequestPerUser: none,
    searchPerUser: none,
    readPerUser: none,
    messageSearchPerUser: { rate: 1, burst: 2 },
  };
  const t = world(store, { rates });
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  await t.logic.searchMessages(a, query("hello"));
  await t.logic.searchMessages(a, query("hello"));
  assertEquals(await code(() => t.logic.searchMessages(a, query("hello"))), "rate_limited");
  await t.logic.searchMessages(b, query("hello"));
  await t.clock.tick(1000);
  await t.logic.searchMessages(a, query("hello"));
});
