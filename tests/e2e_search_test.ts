/**
 * End-to-end: message search (PROTOCOL.md, Version 2, Conversations; issue 17), in both modes.
 * `q` is a case-insensitive substring of a text message's current text in every script ("世界"
 * finds "你好世界", "ell" finds "Hello"), across the caller's conversations or within one, newest
 * first, paged by `before`. Recalled messages, the old text of an edited one, system and update
 * entries are never found; neither is a group's past by a member who left, was removed, or joined
 * under `since_join` after it was said. Every query is searched literally: wildcards, quotes,
 * full-text operators and regular expressions find only what holds them as text. Reads reflect a
 * change shortly after it (a cluster has the log in between), so expected answers are polled for.
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import type { Message, SendResult } from "../shared/types.ts";
import { privateConversationId } from "../shared/types.ts";
import { befriend, newUser, startServer, uniqueName } from "./harness.ts";
import { groupApi, rawCall } from "./_groups.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const text = (t: string) => ({ type: "text" as const, text: t });
type SearchOptions = { conversationId?: string; before?: string; limit?: number };

/** Message ids newest first, as search orders them (ids are decimal strings; compared as numbers). */
function newestFirst(messages: readonly ({ id: string } | string)[]): string[] {
  return messages.map((m) => typeof m === "string" ? m : m.id)
    .sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));
}

/** The ids a search answers now. */
async function found(client: ImClient, q: string, options: SearchOptions = {}): Promise<string[]> {
  return (await client.searchMessages(q, options)).map((m) => m.id);
}

/**
 * Polls a search until it answers exactly `expected` (ids, in order), for 10 s: a read reflects a
 * change shortly after it is accepted. Fails with the last answer.
 */
async function settles(
  client: ImClient,
  q: string,
  expected: string[],
  options: SearchOptions = {},
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await found(client, q, options);
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assertEquals(last, expected, `search ${JSON.stringify(q)} ${JSON.stringify(options)}`);
}

/** `[status, error code]` of a raw search with these query parameters, and its messages. */
async function rawSearch(
  client: ImClient,
  params: Record<string, string>,
): Promise<{ status: number; code: string | null; ids: string[]; ms: number }> {
  const started = performance.now();
  const [status, body] = await rawCall(
    url,
    client.token,
    "GET",
    `/api/messages/search?${new URLSearchParams(params)}`,
  );
  const ms = performance.now() - started;
  const json = body as { messages?: Message[]; error?: { code: string } };
  return {
    status,
    code: json?.error?.code ?? null,
    ids: json?.messages?.map((m) => m.id) ?? [],
    ms,
  };
}

/** A user with a friend, and the private conversation between them. */
async function pair(): Promise<[ImClient, ImClient, { type: "user"; id: string }]> {
  const a = await newUser(url);
  const b = await newUser(url);
  await befriend(a, b);
  return [a, b, { type: "user", id: b.self!.id }];
}

const closeAll = (...clients: ImClient[]) => Promise.all(clients.map((c) => c.close()));

Deno.test(
  "search: substrings of Chinese, Japanese and Korean text; Latin substrings ignoring case",
  opts,
  async () => {
    const [a, b, toB] = await pair();
    try {
      const say = async (t: string) => (await a.send(toB, text(t))).id;
      const chinese = await say("你好世界");
      const bigWorld = await say("世界很大，我想去看看");
      const japanese = await say("東京タワーに行きました");
      const korean = await say("안녕하세요 세계 여러분");
      const hello = await say("Hello World");
      const shell = await say("SHELL scripts are fun");
      const mixed = await say("我爱Deno框架");
      const fullWidth = await say("Ｆｕｌｌｗｉｄｔｈ letters");
      const cases: [string, string[]][] = [
        ["世界", [bigWorld, chinese]],
        ["你好世界", [chinese]],
        ["好世", [chinese]],
        ["界很", [bigWorld]],
        ["タワー", [japanese]],
        ["東京", [japanese]],
        ["に行き", [japanese]],
        ["하세요", [korean]],
        ["세계", [korean]],
        ["여러분", [korean]],
        ["ell", [shell, hello]],
        ["hello", [hello]],
        ["HELLO WORLD", [hello]],
        ["o w", [hello]],
        ["WoRlD", [hello]],
        // Trimmed; a run of white space is one space, as in the folded text.
        ["  hello  ", [hello]],
        ["hello \t  world", [hello]],
        ["scripts are", [shell]],
        ["deno框", [mixed]],
        ["爱D", [mixed]],
        // NFKC: full-width letters are the letters.
        ["fullwidth", [fullWidth]],
        ["ＷＯＲＬＤ", [hello]],
      ];
      for (const [q, expected] of cases) await settles(a, q, expected);
      // Both participants find them.
      await settles(b, "世界", [bigWorld, chinese]);
      await settles(b, "ell", [shell, hello]);
      // Substrings only: not reordered characters, not a word that is not there.
      for (const q of ["世间", "界世", "ワタ", "계세", "hellp", "world hello", "xyz"]) {
        assertEquals(await found(a, q), [], `search ${q}`);
      }
    } finally {
      await closeAll(a, b);
    }
  },
);

Deno.test(
  "search: across all of the caller's conversations or within one, newest first, nobody else's",
  opts,
  async () => {
    const [ann, bob, toBob] = await pair();
    const cat = await newUser(url);
    try {
      await befriend(ann, cat);
      await befriend(bob, cat);
      const group = await ann.createGroup(uniqueName("trip"), [bob.self!.id, cat.self!.id]);
      const toGroup = { type: "group" as const, id: group.id };
      const withBob = await ann.send(toBob, text("Plan the trip with Bob"));
      const withCat = await cat.send({ type: "user", id: ann.self!.id }, text("trip plan? cat"));
      const inGroup = await bob.send(toGroup, text("the TRIP is on"));
      // Between Bob and Cat: Ann takes no part in it.
      const notAnns = await bob.send({ type: "user", id: cat.self!.id }, text("secret trip"));
      const again = await ann.send(toBob, text("one more trip note"));
      const all = newestFirst([withBob, withCat, inGroup, again]);
      await settles(ann, "trip", all);
      // Newest first: the last said is first.
      assertEquals(all[0], again.id);
      await settles(ann, "trip", newestFirst([withBob, again]), {
        conversationId: withBob.conversationId,
      });
      await settles(ann, "trip", [withCat.id], { conversationId: withCat.conversationId });
      await settles(ann, "trip", [inGroup.id], { conversationId: `g:${group.id}` });
      await settles(bob, "trip", newestFirst([withBob, inGroup, notAnns, again]));
      await settles(cat, "trip", newestFirst([withCat, inGroup, notAnns]));
      // Every found message is whole, as history gives it.
      const [message] = await ann.searchMessages("on", { conversationId: `g:${group.id}` });
      const [stored] = (await ann.history(`g:${group.id}`)).filter((m) => m.id === inGroup.id);
      assertEquals(message, stored);
    } finally {
      await closeAll(ann, bob, cat);
    }
  },
);

Deno.test(
  "search: pages by before without duplicates or gaps; limit 1–50, 20 by default; any id is a cursor",
  opts,
  async () => {
    const [a, b, toB] = await pair();
    try {
      const matching: SendResult[] = [];
      const other: { id: string; text: string }[] = [];
      for (let i = 0; i < 23; i++) {
        matching.push(await a.send(toB, text(`page item ${i}`)));
        if (i % 5 === 0) {
          const said = `x ${i}`;
          other.push({
            id: (await b.send({ type: "user", id: a.self!.id }, text(said))).id,
            text: said,
          });
        }
      }
      const all = newestFirst(matching);
      await settles(a, "page item", all, { limit: 50 });
      assertEquals(await found(a, "page item"), all.slice(0, 20), "20 by default");
      assertEquals(await found(a, "page item", { limit: 1 }), all.slice(0, 1));
      // Paging: each page before the last id of the one before it.
      for (const limit of [1, 4, 7, 23]) {
        const paged: string[] = [];
        let before: string | undefined;
        let pages = 0;
        while (true) {
          const page = await found(a, "page item", { limit, ...(before ? { before } : {}) });
          paged.push(...page);
          pages++;
          if (page.length < limit) break;
          before = page[page.length - 1];
        }
        assertEquals(paged, all, `pages of ${limit}`);
        assertEquals(pages, Math.floor(23 / limit) + 1, `pages of ${limit}`);
      }
      // A cursor from another query (a message that does not match) is a valid cursor.
      for (const cursor of other.map((m) => m.id)) {
        const expected = all.filter((id) => BigInt(id) < BigInt(cursor));
        assertEquals(await found(a, "page item", { before: cursor, limit: 50 }), expected);
      }
      const xs = await found(a, "x 1", { limit: 50 });
      assertEquals(
        xs,
        newestFirst(other.filter((m) => m.text.startsWith("x 1"))),
      );
      assertEquals(
        await found(a, "page item", { before: xs[0], limit: 50 }),
        all.filter((id) => BigInt(id) < BigInt(xs[0])),
      );
      // Ids before every message, and after every message (the largest id there can be).
      assertEquals(await found(a, "page item", { before: "1" }), []);
      assertEquals(await found(a, "page item", { before: "9223372036854775807", limit: 50 }), all);
    } finally {
      await closeAll(a, b);
    }
  },
);

Deno.test(
  "search: recalled messages are never found, edited ones by their latest text only",
  opts,
  async () => {
    const [a, b, toB] = await pair();
    try {
      const first = await a.send(toB, text("original banana text"));
      const second = await a.send(toB, text("another banana"));
      const byPeer = await b.send({ type: "user", id: a.self!.id }, text("banana from bob"));
      await settles(a, "banana", newestFirst([first, second, byPeer]));
      const edited = await a.editMessage(first.id, "changed CHERRY text");
      await settles(a, "cherry", [first.id]);
      await settles(a, "banana", newestFirst([second, byPeer]));
      assertEquals(await found(a, "original"), []);
      assertEquals(await found(b, "original"), []);
      // The answer is the message as it is now, not the update entry that carried the edit.
      const [hit] = await a.searchMessages("cherry");
      assertEquals([hit.id, hit.content, hit.editedAt], [
        first.id,
        edited.content,
        edited.editedAt,
      ]);
      // Edited again: only the newest text counts.
      await a.editMessage(first.id, "now a plum");
      await settles(a, "plum", [first.id]);
      assertEquals(await found(a, "cherry"), []);
      // Recalled: by neither participant, by no word of it.
      await a.recallMessage(second.id);
      await b.recallMessage(byPeer.id);
      await settles(a, "banana", []);
      await settles(b, "banana", []);
      assertEquals(await found(a, "another"), []);
      assertEquals(await found(b, "from bob"), []);
      // An edited message recalled: gone too.
      await a.recallMessage(first.id);
      await settles(a, "plum", []);
      await settles(b, "plum", []);
    } finally {
      await closeAll(a, b);
    }
  },
);

Deno.test(
  "search: only text messages: never a system line, an update entry or a file's name",
  opts,
  async () => {
    const owner = await newUser(url);
    const member = await newUser(url);
    try {
      const group = await owner.createGroup(uniqueName("zz"));
      await member.joinGroup(group.id);
      const to = { type: "group" as const, id: group.id };
      const conversationId = `g:${group.id}`;
      // System lines that hold text: the new name, the notice.
      await groupApi(owner).patch(group.id, { name: "quokka crossing" });
      await groupApi(owner).patch(group.id, { notice: "quokka rules apply" });
      const file = await owner.uploadFile(new TextEncoder().encode("notes"), "quokka-notes.txt");
      await owner.send(to, { type: "file", mediaId: file.id, name: "quokka-notes.txt" });
      const said = await member.send(to, text("a quokka appears"));
      // Update entries carry their target: an edit's carries the new text.
      const edited = await member.send(to, text("first words"));
      await member.editMessage(edited.id, "quokka words");
      await settles(owner, "quokka", newestFirst([said, edited]));
      await settles(owner, "quokka", newestFirst([said, edited]), { conversationId });
      const history = await owner.history(conversationId, { limit: 200 });
      assert(
        history.some((m) => m.content.type === "system" && m.content.value === "quokka crossing"),
        "the renamed line is stored",
      );
      assert(history.some((m) => m.content.type === "update"), "the update entry is stored");
    } finally {
      await closeAll(owner, member);
    }
  },
);

Deno.test(
  "search: the end of a 4000-character message is found, after pairs of characters repeated a thousand times",
  opts,
  async () => {
    // An engine may cap how many positions it keeps of one token (PostgreSQL keeps 256 of a
    // lexeme): the pairs "ab" and "你好" recur here about 2,000 times before the words searched.
    const [a, b, toB] = await pair();
    try {
      const latin = `${"ab".repeat(1990)} tail kiwi`;
      const cjk = `${"你好".repeat(1990)}世界尽头`;
      assertEquals([[...latin].length, [...cjk].length], [3990, 3984]);
      const latinId = (await a.send(toB, text(latin))).id;
      const cjkId = (await a.send(toB, text(cjk))).id;
      await settles(a, "tail kiwi", [latinId]);
      await settles(a, "ab tail", [latinId]);
      await settles(a, "abab tail", [latinId]);
      await settles(a, "好世界", [cjkId]);
      await settles(a, "你好世界尽头", [cjkId]);
      // And at the start, and across all of it.
      await settles(a, "abab", [latinId]);
      await settles(a, "好你好", [cjkId]);
      assertEquals(await found(a, "ba tail"), []);
      assertEquals(await found(a, "你世"), []);
    } finally {
      await closeAll(a, b);
    }
  },
);

Deno.test(
  "search: a member removed from a group, and one who left, no longer find its messages",
  opts,
  async () => {
    const [owner, stays, removed, leaver] = await Promise.all(
      Array.from({ length: 4 }, () => newUser(url)),
    );
    try {
      await befriend(owner, removed);
      const group = await owner.createGroup(uniqueName("mango"));
      for (const c of [stays, removed, leaver]) await c.joinGroup(group.id);
      const to = { type: "group" as const, id: group.id };
      const conversationId = `g:${group.id}`;
      const inGroup = [
        await owner.send(to, text("mango smoothie")),
        await removed.send(to, text("MANGO by the removed")),
        await leaver.send(to, text("mango by the leaver")),
      ];
      // The removed member's own private chat, which they keep.
      const kept = await removed.send(
        { type: "user", id: owner.self!.id },
        text("mango, privately"),
      );
      const groupIds = newestFirst(inGroup);
      for (const c of [stays, removed, leaver]) {
        await settles(c, "mango", groupIds, { conversationId });
      }
      await settles(removed, "mango", newestFirst([...inGroup, kept]));
      await settles(leaver, "mango", groupIds);

      await groupApi(owner).remove(group.id, removed.self!.id);
      await leaver.leaveGroup(group.id);
      // Not across their conversations (not even what they said there), not within the group.
      await settles(removed, "mango", [kept.id]);
      await settles(leaver, "mango", []);
      for (const c of [removed, leaver]) {
        const history = await rawCall(
          url,
          c.token,
          "GET",
          `/api/conversations/${encodeURIComponent(conversationId)}/messages`,
        );
        const searched = await rawSearch(c, { q: "mango", conversationId });
        assertEquals(history[0], 403, "history refuses a former member");
        assertEquals(
          [searched.status, searched.code],
          [403, "forbidden"],
          "search within the group as history",
        );
      }
      // Those who stay still find everything, the former members' words included.
      await settles(stays, "mango", groupIds);
      await settles(owner, "mango", newestFirst([...inGroup, kept]));
      // Rejoined (the group keeps `since_join`): only what is said from then on.
      await leaver.joinGroup(group.id);
      const later = await owner.send(to, text("mango again"));
      await settles(leaver, "mango", [later.id]);
    } finally {
      await closeAll(owner, stays, removed, leaver);
    }
  },
);

Deno.test(
  "search: a disbanded group's messages are found by none of its members",
  opts,
  async () => {
    const owner = await newUser(url);
    const member = await newUser(url);
    try {
      const group = await owner.createGroup(uniqueName("gone"));
      await member.joinGroup(group.id);
      const said = await member.send({ type: "group", id: group.id }, text("papaya party"));
      await settles(owner, "papaya", [said.id]);
      await settles(member, "papaya", [said.id]);
      await groupApi(owner).disband(group.id);
      await settles(owner, "papaya", []);
      await settles(member, "papaya", []);
      const searched = await rawSearch(member, { q: "papaya", conversationId: `g:${group.id}` });
      const history = await rawCall(
        url,
        member.token,
        "GET",
        `/api/conversations/g:${group.id}/messages`,
      );
      assertEquals(searched.status, history[0], "as history answers");
      assertEquals(searched.code, (history[1] as { error: { code: string } }).error.code);
    } finally {
      await closeAll(owner, member);
    }
  },
);

Deno.test(
  "search: a since_join member does not find what was said before they joined; `all` opens it",
  opts,
  async () => {
    const owner = await newUser(url);
    const late = await newUser(url);
    const reader = await newUser(url);
    try {
      const group = await owner.createGroup(uniqueName("kiwi"));
      const to = { type: "group" as const, id: group.id };
      const conversationId = `g:${group.id}`;
      const before = await owner.send(to, text("kiwi before the join"));
      await settles(owner, "kiwi", [before.id]);
      await late.joinGroup(group.id);
      const after = await owner.send(to, text("kiwi after the join"));
      await settles(owner, "kiwi", newestFirst([before, after]));
      await settles(late, "kiwi", [after.id]);
      await settles(late, "kiwi", [after.id], { conversationId });
      assertEquals(await found(late, "before the"), []);
      // Paging from the top of the group does not reach below the floor either.
      assertEquals(await found(late, "kiwi", { before: after.id }), []);
      // A reply to what came before the join: found, but its quote shows nothing from below
      // the floor, exactly as history shows it to the late member.
      const reply = await owner.send(to, { ...text("kiwi reply"), replyTo: before.id });
      await settles(late, "kiwi", newestFirst([after, reply]));
      const [asFound] = await late.searchMessages("kiwi reply");
      const [inHistory] = (await late.history(conversationId)).filter((m) => m.id === reply.id);
      assertEquals(asFound, inHistory);
      assertEquals([asFound.replyTo?.id, asFound.replyTo?.preview], [before.id, null]);
      const [byOwner] = await owner.searchMessages("kiwi reply");
      assertEquals(byOwner.replyTo?.preview, "kiwi before the join");
      // A group whose history is `all`: a newcomer finds the past.
      await groupApi(owner).patch(group.id, { history: "all" });
      await reader.joinGroup(group.id);
      await settles(reader, "kiwi", newestFirst([before, after, reply]), { conversationId });
      await settles(late, "kiwi", newestFirst([before, after, reply]));
    } finally {
      await closeAll(owner, late, reader);
    }
  },
);

Deno.test(
  "search: a conversation the caller is not in gets the error history gives, and nothing of it",
  opts,
  async () => {
    const [ann, bob, toBob] = await pair();
    const sam = await newUser(url);
    try {
      const group = await ann.createGroup(uniqueName("priv"), [bob.self!.id]);
      const secret = await ann.send(toBob, text("the secret guava"));
      const inGroup = await ann.send({ type: "group", id: group.id }, text("group guava"));
      await settles(bob, "guava", newestFirst([secret, inGroup]));
      // Sam is in none of it: across his conversations he finds nothing of theirs.
      assertEquals(await found(sam, "guava"), []);
      const strangers = [
        secret.conversationId,
        `g:${group.id}`,
        // A private conversation Sam would be in (with Ann), without a word said in it.
        privateConversationId(sam.self!.id, ann.self!.id),
        "g:999999999999",
        "u:1:2",
        "nonsense",
      ];
      for (const conversationId of strangers) {
        const searched = await rawSearch(sam, { q: "guava", conversationId });
        const [status, body] = await rawCall(
          url,
          sam.token,
          "GET",
          `/api/conversations/${encodeURIComponent(conversationId)}/messages`,
        );
        const code = status >= 400 ? (body as { error: { code: string } }).error.code : null;
        assertEquals(
          [searched.status, searched.code],
          [status, code],
          `as history: ${conversationId}`,
        );
        if (status === 200) assertEquals(searched.ids, [], conversationId);
      }
      const other = await rawSearch(sam, { q: "guava", conversationId: secret.conversationId });
      assertEquals([other.status, other.code], [403, "forbidden"], "another pair's private chat");
      const missing = await rawSearch(sam, { q: "guava", conversationId: "g:999999999999" });
      assertEquals(
        [missing.status, missing.code],
        [404, "not_found"],
        "a group that does not exist",
      );
    } finally {
      await closeAll(ann, bob, sam);
    }
  },
);

Deno.test(
  "search: q of 2–100 code points after trimming; empty, 1-character, blank and long ones refused",
  opts,
  async () => {
    const user = await newUser(url, { connect: false });
    const refused = [
      null,
      "",
      " ",
      " \t\n ",
      "a",
      "世",
      // One code point of two UTF-16 units.
      "😀",
      " a ",
      "x".repeat(101),
      "世".repeat(101),
      "😀".repeat(101),
      "x".repeat(10_000),
    ];
    for (const q of refused) {
      const answer = await rawSearch(user, q === null ? {} : { q });
      assertEquals(
        [answer.status, answer.code],
        [400, "invalid_argument"],
        `q ${q === null ? "missing" : JSON.stringify(q.slice(0, 20))} (${q?.length})`,
      );
    }
    for (
      const q of ["ab", "世界", "😀😀", " ab ", "x".repeat(100), "世".repeat(100), "😀".repeat(100)]
    ) {
      const answer = await rawSearch(user, { q });
      assertEquals(
        [answer.status, answer.ids],
        [200, []],
        `q of ${[...q.trim()].length} code points`,
      );
    }
    // Through the SDK: the error is the protocol's.
    const error = await user.searchMessages("a").then(() => null, (e) => e.code);
    assertEquals(error, "invalid_argument");
  },
);

Deno.test(
  "search: wildcards, quotes, full-text operators and a regular-expression bomb are searched literally, quickly",
  opts,
  async () => {
    const [a, b, toB] = await pair();
    try {
      const say = async (t: string) => (await a.send(toB, text(t))).id;
      const percent = await say("100% sure");
      const underscore = await say("snake_case_name");
      const backslash = await say("C:\\temp\\file");
      const apostrophe = await say("it's fine");
      const quoted = await say('she said "hi" twice');
      const ampersand = await say("cats & dogs");
      const regex = await say("pattern (a+)+$ here");
      const manyA = await say(`${"a".repeat(40)}!`);
      const or = await say("x OR y");
      const star = await say("a*b");
      const cases: [string, string[]][] = [
        ["0%", [percent]],
        ["% s", [percent]],
        ["%%", []],
        ["e_c", [underscore]],
        ["_n", [underscore]],
        ["__", []],
        ["\\t", [backslash]],
        [":\\", [backslash]],
        ["\\\\", []],
        ["'s", [apostrophe]],
        ["''", []],
        ['"hi"', [quoted]],
        ['""', []],
        ["& d", [ampersand]],
        ["cats & dogs", [ampersand]],
        ["a & b", []],
        ["(a+)+$", [regex]],
        ["(b+)+$", []],
        ["^(a+)+$", []],
        ["(a|aa)*$", []],
        ["a".repeat(30), [manyA]],
        [`${"a".repeat(30)}!`, [manyA]],
        ["a*", [star]],
        ["**", []],
        [".*", []],
        ['"x" OR y', []],
        ["x OR y", [or]],
        ["NOT x", []],
        ["<->", []],
        ["a <-> b", []],
        ["NEAR(", []],
        ["NEAR(a b)", []],
        ["grams:ab", []],
        ["conv : g1", []],
        ["{grams}: x", []],
        ["!!", []],
        ["...", []],
        ["'; DROP TABLE messages; --", []],
        ["\u0000\u0000", []],
      ];
      // Stored and indexed before the literal queries are asked.
      await settles(a, "a*b", [star]);
      await settles(a, "100%", [percent]);
      for (const [q, expected] of cases) {
        const answer = await rawSearch(a, { q });
        if (q.includes("\0")) {
          // A NUL is refused in text fields; either way never a 5xx.
          assert(
            answer.status === 200 || answer.code === "invalid_argument",
            `NUL: ${answer.status}`,
          );
          continue;
        }
        assertEquals(
          [answer.status, answer.code, answer.ids],
          [200, null, newestFirst(expected)],
          `q ${JSON.stringify(q)}`,
        );
        assert(answer.ms < 3000, `q ${JSON.stringify(q)} took ${answer.ms.toFixed(0)} ms`);
      }
      // Within the conversation the same.
      const within = await rawSearch(a, {
        q: "(a+)+$",
        conversationId: privateConversationId(a.self!.id, b.self!.id),
      });
      assertEquals([within.status, within.ids], [200, [regex]]);
      // The server still answers normally afterwards.
      assertEquals((await a.me()).id, a.self!.id);
    } finally {
      await closeAll(a, b);
    }
  },
);

Deno.test(
  "search: a malformed before or limit is invalid_argument",
  opts,
  async () => {
    const user = await newUser(url, { connect: false });
    const cases: Record<string, string>[] = [
      ...[
        "",
        "abc",
        "0",
        "-1",
        "01",
        "1.5",
        "1e3",
        " 1",
        "0x10",
        // Past the largest id (2^63 − 1), though of the digits an id has.
        "9223372036854775808",
        "9999999999999999999",
        "12345678901234567890",
      ].map(
        (before) => ({ q: "hello", before }),
      ),
      ...["", "0", "51", "abc", "-1", "1.5", "1e1", "100000000000000000000"].map((limit) => ({
        q: "hello",
        limit,
      })),
    ];
    for (const params of cases) {
      const answer = await rawSearch(user, params);
      assertEquals(
        [answer.status, answer.code],
        [400, "invalid_argument"],
        JSON.stringify(params),
      );
    }
    for (
      const params of [{ limit: "1" }, { limit: "50" }, { before: "1" }, {
        before: "42",
      }] as Record<
        string,
        string
      >[]
    ) {
      const answer = await rawSearch(user, { q: "hello", ...params });
      assertEquals([answer.status, answer.ids], [200, []], JSON.stringify(params));
    }
  },
);

Deno.test(
  "search: a user in more than 200 conversations finds theirs, not those they left or never joined",
  opts,
  async () => {
    // Past some number of conversations a store may scope a search another way (say, a join
    // instead of a list in the full-text query): the answers must be the same.
    const busy = await newUser(url, { connect: false });
    const other = await newUser(url, { connect: false });
    try {
      const groups: string[] = [];
      for (let i = 0; i < 205; i++) groups.push((await busy.createGroup(`busy ${i}`)).id);
      // Busy will leave this one; it stays, with Other in it.
      await other.joinGroup(groups[150]);
      const say = async (client: ImClient, groupId: string, words: string) =>
        (await client.postMessage({ type: "group", id: groupId }, text(words), crypto.randomUUID()))
          .id;
      const first = await say(busy, groups[0], "needle in the first");
      const middle = await say(busy, groups[102], "needle in the middle");
      const last = await say(busy, groups[204], "needle in the last");
      const left = await say(busy, groups[150], "needle where busy leaves");
      // A group Busy was never in.
      const elsewhere = await say(
        other,
        (await other.createGroup(uniqueName("else"))).id,
        "needle elsewhere",
      );
      await settles(busy, "needle", newestFirst([first, middle, last, left]));
      await busy.leaveGroup(groups[150]);
      await settles(busy, "needle", newestFirst([first, middle, last]));
      await settles(busy, "needle", [middle], { conversationId: `g:${groups[102]}` });
      // Paging works the same way there.
      const [newest, ...rest] = newestFirst([first, middle, last]);
      assertEquals(await found(busy, "needle", { limit: 1 }), [newest]);
      assertEquals(await found(busy, "needle", { before: newest }), rest);
      await settles(other, "needle", newestFirst([left, elsewhere]));
    } finally {
      await closeAll(busy, other);
    }
  },
);

Deno.test(
  "search: messages stored without the index are found once the backlog has indexed them (embedded data dir)",
  opts,
  async () => {
    // The index off (as the benchmark runs it) stands for a store from before the index: a
    // restart with it on rebuilds it in the background, and search finds the older messages.
    const dataDir = await Deno.makeTempDir({ prefix: "im-e2e-search-" });
    const before = await startServer({ dataDir, env: { IM_BENCH_SEARCH_INDEX: "off" } });
    const a = await newUser(before.url);
    const b = await newUser(before.url);
    const said: string[] = [];
    try {
      await befriend(a, b);
      for (let i = 0; i < 5; i++) {
        said.push((await a.send({ type: "user", id: b.self!.id }, text(`lychee ${i} 荔枝`))).id);
      }
      const conversationId = privateConversationId(a.self!.id, b.self!.id);
      const stored = await a.history(conversationId);
      assertEquals(stored.map((m) => m.id), said);
      assertEquals(await found(a, "lychee"), [], "not indexed while the index is off");
    } finally {
      await closeAll(a, b);
      await before.stop();
    }
    const after = await startServer({ dataDir });
    const again = new ImClient({ baseUrl: after.url, token: a.token });
    try {
      await settles(again, "lychee", newestFirst(said));
      await settles(again, "荔枝", newestFirst(said));
      // New messages are indexed as they are saved, beside the rebuilt ones.
      const newer = await again.postMessage(
        { type: "user", id: b.self!.id },
        text("lychee after the restart"),
        crypto.randomUUID(),
      );
      await settles(again, "lychee", newestFirst([...said, newer.id]));
    } finally {
      await after.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
