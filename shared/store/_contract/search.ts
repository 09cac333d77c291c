/**
 * The contract of `MessageStore.search` and `indexBacklog` (PROTOCOL.md,
 * Conversations: "Search"; what matches: shared/search_text.ts), run once per
 * engine and decorator: a case-insensitive substring in every script, found
 * from the index newest first, in the user's scope, by the current text only.
 */
import { assert, assertEquals } from "../../../tests/assert.ts";
import { foldForSearch, matchesSearch } from "../../search_text.ts";
import type { AcceptedMessage, Message } from "../../types.ts";
import type { Store } from "../mod.ts";
import { CONVERSATIONS_IN_QUERY } from "../sql_search.ts";
import { FakeClock, id, type OpenStore, suite, type SuiteOptions, user } from "./fixtures.ts";
import { edit, message, recall, saveOne, sent, setting } from "./message_fixtures.ts";

/**
 * A store that can be opened again on the same data, with the search index on
 * or off (`SqlStoreOptions.searchIndex`), for the backlog's steps.
 */
export interface ReopenableStore {
  open(searchIndex: boolean): Promise<Store>;
  /** Removes the data once the test is done. */
  remove(): Promise<void>;
}

/** Options of the search suite. */
export interface SearchSuiteOptions extends SuiteOptions {
  /** Makes a fresh reopenable store; without it the backlog test is not registered. */
  reopenable?: () => Promise<ReopenableStore>;
}

/** A reopenable store in a temporary folder, opened by `open`. */
export async function inTempDir(
  open: (dataDir: string, searchIndex: boolean) => Promise<Store>,
): Promise<ReopenableStore> {
  const dataDir = await Deno.makeTempDir();
  return {
    open: (searchIndex) => open(dataDir, searchIndex),
    remove: () => Deno.remove(dataDir, { recursive: true }),
  };
}

/** A search of a user's (`conversationId` null: all their conversations). */
async function search(
  store: Store,
  userId: string,
  text: string,
  { conversationId = null, beforeId = null, limit = 50 }: {
    conversationId?: string | null;
    beforeId?: string | null;
    limit?: number;
  } = {},
): Promise<Message[]> {
  return await store.messages.search({ userId, text, conversationId, beforeId, limit });
}

/** The texts of a search's answer, in its order. */
async function found(
  store: Store,
  userId: string,
  text: string,
  conversationId: string | null = null,
): Promise<string[]> {
  return (await search(store, userId, text, { conversationId })).map((m) =>
    m.content.type === "text" ? m.content.text : `(${m.content.type})`
  );
}

/** Saves text messages from a to b in `conv`, one batch, in order. */
async function say(
  store: Store,
  clock: FakeClock,
  conv: string,
  from: string,
  to: string,
  texts: readonly string[],
): Promise<Message[]> {
  return await store.messages.save(texts.map((text) => message(clock, conv, from, to, text)));
}

/** What search must answer from `texts` (saved in this order): the model, newest first. */
function expected(texts: readonly string[], query: string): string[] {
  const folded = foldForSearch(query);
  return texts.filter((text) => matchesSearch(text, folded)).reverse();
}

/** Registers the MessageStore search suite (and, with `reopenable`, its backlog test). */
export function testMessageSearch(
  name: string,
  open: OpenStore,
  options: SearchSuiteOptions = {},
): void {
  const test = suite(name, open, options);

  test("Chinese, Japanese and Korean substrings of any length from 2", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    await say(store, clock, conv, a.id, b.id, [
      "你好世界",
      "こんにちは世界",
      "カタカナのテスト",
      "안녕하세요 세계",
      "世",
    ]);
    assertEquals(await found(store, a.id, "世界"), ["こんにちは世界", "你好世界"]);
    assertEquals(await found(store, b.id, "好世"), ["你好世界"]);
    assertEquals(await found(store, a.id, "にちは"), ["こんにちは世界"]);
    assertEquals(await found(store, a.id, "カナのテ"), ["カタカナのテスト"]);
    assertEquals(await found(store, a.id, "하세요 세"), ["안녕하세요 세계"]);
    assertEquals(await found(store, a.id, "세계"), ["안녕하세요 세계"]);
    assertEquals(await found(store, a.id, "界你"), [], "not across messages");
    assertEquals(await found(store, a.id, "世界世界"), []);
  });

  test("Latin text case-insensitively, full-width as its ASCII", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    await say(store, clock, conv, a.id, b.id, ["Hello World", "ＨＥＬＬＯ full width", "a shell"]);
    assertEquals(await found(store, a.id, "ell"), [
      "a shell",
      "ＨＥＬＬＯ full width",
      "Hello World",
    ]);
    assertEquals(await found(store, a.id, "WORLD"), ["Hello World"]);
    assertEquals(await found(store, a.id, "ｗｏｒｌｄ"), ["Hello World"]);
    assertEquals(await found(store, a.id, "hello"), ["ＨＥＬＬＯ full width", "Hello World"]);
    assertEquals(await found(store, a.id, "Straße"), []);
  });

  test("white space runs fold to one space on both sides", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    await say(store, clock, conv, a.id, b.id, ["good\n\n  morning\tall", "goodmorning"]);
    assertEquals(await found(store, a.id, "good morning"), ["good\n\n  morning\tall"]);
    assertEquals(await found(store, a.id, "good \t morning"), ["good\n\n  morning\tall"]);
    assertEquals(await found(store, a.id, "morning all"), ["good\n\n  morning\tall"]);
    assertEquals(await found(store, a.id, "dm"), ["goodmorning"]);
  });

  test(
    "a two-character query is one bigram; one that folds to one character finds nothing",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      await say(store, clock, conv, a.id, b.id, ["xaby", "ab", "ba", "バス"]);
      assertEquals(await found(store, a.id, "ab"), ["ab", "xaby"]);
      assertEquals(await found(store, a.id, "yx"), []);
      assertEquals(await found(store, a.id, "ﾊﾞ"), [], "ﾊﾞ folds to バ, one code point");
    },
  );

  test(
    "punctuation, SQL wildcards and query syntax are searched literally",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const texts = [
        "100% sure",
        "a_b test",
        "back\\slash",
        `it's "quoted"`,
        "50 percent",
        "x AND y OR z NOT w",
        "NEAR(a b) col:umn pre* ^start",
        "a & b | !c <-> d:* 'e' \\\\ f",
        "plain words only",
      ];
      await say(store, clock, conv, a.id, b.id, texts);
      const queries = [
        "0%",
        "%%",
        "% s",
        "_b",
        "a_",
        "__",
        "\\s",
        "\\\\",
        "'s",
        `"q`,
        `""`,
        "''",
        "AND",
        " OR ",
        "NOT w",
        "NEAR(",
        "(a b)",
        "pre*",
        "e* ^s",
        "^s",
        "l:u",
        ":*",
        "& b",
        "| !",
        "<->",
        "d:*",
        "'e'",
        "*)",
        "()",
        ") (",
        "\\'",
        "';--",
        "$1",
      ];
      for (const query of queries) {
        assertEquals(await found(store, a.id, query), expected(texts, query), query);
      }
      assertEquals(await found(store, a.id, "0%"), ["100% sure"]);
      assertEquals(await found(store, a.id, "%%"), []);
      assertEquals(await found(store, a.id, "__"), []);
      assertEquals(await found(store, a.id, "_b"), ["a_b test"]);
      assertEquals(await found(store, a.id, "AND"), ["x AND y OR z NOT w"]);
      assertEquals(await found(store, a.id, "<->"), ["a & b | !c <-> d:* 'e' \\\\ f"]);
    },
  );

  test("regular-expression-looking text is text", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    const texts = ["abc", "a.c", "[a-z]+ pattern", "^start here", "the end$", "(a|b) or c", "aaaa"];
    await say(store, clock, conv, a.id, b.id, texts);
    for (const query of ["a.c", ".*", "[a-z]", "^s", "d$", "(a|b)", "a|b", "a+", "\\d", "a{2}"]) {
      assertEquals(await found(store, a.id, query), expected(texts, query), query);
    }
    assertEquals(await found(store, a.id, "a.c"), ["a.c"]);
  });

  test("newest first, a page at a time by beforeId", async (store, clock) => {
    const { a, b, conv, gconv, groupId } = await setting(store);
    const saved = await store.messages.save([
      message(clock, conv, a.id, b.id, "page 1"),
      message(clock, conv, b.id, a.id, "other"),
      message(clock, gconv, a.id, groupId, "page 2"),
      message(clock, conv, a.id, b.id, "page 3"),
      message(clock, gconv, b.id, groupId, "page 4"),
      message(clock, conv, a.id, b.id, "nothing here"),
      message(clock, conv, a.id, b.id, "page 5"),
      message(clock, gconv, b.id, groupId, "page 6"),
      message(clock, conv, b.id, a.id, "page 7"),
    ]);
    const pages: string[][] = [];
    let beforeId: string | null = null;
    for (;;) {
      const page: Message[] = await search(store, a.id, "page", { beforeId, limit: 3 });
      pages.push(page.map((m) => m.content.type === "text" ? m.content.text : ""));
      if (page.length < 3) break;
      beforeId = page[page.length - 1].id;
    }
    assertEquals(pages, [["page 7", "page 6", "page 5"], ["page 4", "page 3", "page 2"], [
      "page 1",
    ]]);
    const ids = (await search(store, a.id, "page")).map((m) => BigInt(m.id));
    assertEquals(ids, [...ids].sort((x, y) => (x > y ? -1 : 1)), "by id, descending");
    // Any well-formed id is a cursor: "other"'s id pages from just below it.
    assertEquals(
      (await search(store, a.id, "page", { beforeId: saved[1].id })).map((m) => m.id),
      [saved[0].id],
    );
    assertEquals(await search(store, a.id, "page", { beforeId: saved[0].id }), []);
    assertEquals(
      (await search(store, a.id, "page", { conversationId: gconv, limit: 2 })).map((m) => m.id),
      [saved[7].id, saved[4].id],
    );
    const [top] = await search(store, a.id, "page 6");
    assertEquals(top, saved[7], "a message as get() gives it");
  });

  test(
    "scope: one conversation, or all private conversations and current groups of the user",
    async (store, clock) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const ab = `u:${a.id}:${b.id}`, ac = `u:${a.id}:${c.id}`, bc = `u:${b.id}:${c.id}`;
      const g = await store.groups.create(
        { id: id(), name: "G", avatarMediaId: null, ownerId: a.id, createdAt: 1 },
        [b.id],
      );
      const h = await store.groups.create(
        { id: id(), name: "H", avatarMediaId: null, ownerId: b.id, createdAt: 1 },
        [c.id],
      );
      await store.messages.save([
        message(clock, ab, a.id, b.id, "scope alpha"),
        message(clock, ac, c.id, a.id, "scope beta"),
        message(clock, bc, b.id, c.id, "scope gamma"),
        message(clock, `g:${g.id}`, b.id, g.id, "scope delta"),
        message(clock, `g:${h.id}`, c.id, h.id, "scope epsilon"),
      ]);
      assertEquals(await found(store, a.id, "scope"), ["scope delta", "scope beta", "scope alpha"]);
      assertEquals(await found(store, b.id, "scope"), [
        "scope epsilon",
        "scope delta",
        "scope gamma",
        "scope alpha",
      ]);
      assertEquals(await found(store, c.id, "scope"), [
        "scope epsilon",
        "scope gamma",
        "scope beta",
      ]);
      assertEquals(await found(store, a.id, "scope", ab), ["scope alpha"]);
      assertEquals(await found(store, a.id, "scope", `g:${g.id}`), ["scope delta"]);
      // A member who leaves (or is removed) finds nothing of the group; the others still do.
      assertEquals(await store.groups.removeMember(g.id, a.id), { removed: true, newOwner: b.id });
      assertEquals(await found(store, a.id, "scope"), ["scope beta", "scope alpha"]);
      assertEquals(await found(store, a.id, "delta", `g:${g.id}`), []);
      assertEquals(await found(store, b.id, "delta"), ["scope delta"]);
      await store.groups.addMembers(g.id, [a.id], 10, 2);
      assertEquals(await found(store, a.id, "delta"), [], "since_join: back from the new join");
    },
  );

  test(
    "a user in very many conversations (past CONVERSATIONS_IN_QUERY) still finds only theirs",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const c = await user(store);
      const groups: string[] = [];
      for (let i = 0; i < CONVERSATIONS_IN_QUERY + 1; i++) {
        const g = await store.groups.create(
          { id: id(), name: `Many ${i}`, avatarMediaId: null, ownerId: a.id, createdAt: 1 },
          i % 2 ? [c.id] : [],
        );
        groups.push(g.id);
      }
      const other = await store.groups.create(
        { id: id(), name: "Not a's", avatarMediaId: null, ownerId: b.id, createdAt: 1 },
        [c.id],
      );
      await store.messages.save([
        message(clock, conv, b.id, a.id, "many one"),
        message(clock, `g:${groups[7]}`, c.id, groups[7], "many two"),
        message(clock, `u:${b.id}:${c.id}`, b.id, c.id, "many three"),
        message(clock, `g:${other.id}`, c.id, other.id, "many four"),
        message(clock, `g:${groups[200]}`, a.id, groups[200], "many five"),
      ]);
      assertEquals(await found(store, a.id, "many"), ["many five", "many two", "many one"]);
      assertEquals(await found(store, c.id, "many"), ["many four", "many three", "many two"]);
    },
  );

  test("since_join: a member finds only messages above their floor", async (store, clock) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = await store.groups.create(
      { id: id(), name: "F", avatarMediaId: null, ownerId: a.id, createdAt: 1 },
      [b.id],
    );
    const conv = `g:${g.id}`;
    await say(store, clock, conv, a.id, g.id, ["floor one", "floor two"]);
    await store.groups.addMembers(g.id, [c.id], 10, 2);
    await say(store, clock, conv, b.id, g.id, ["floor three"]);
    assertEquals(await found(store, c.id, "floor"), ["floor three"]);
    assertEquals(await found(store, c.id, "floor", conv), ["floor three"]);
    assertEquals(await found(store, b.id, "floor"), ["floor three", "floor two", "floor one"]);
    await store.groups.update(g.id, { history: "all" });
    assertEquals(await found(store, c.id, "floor"), ["floor three", "floor two", "floor one"]);
  });

  test("an edited message is found by its latest text only", async (store, clock) => {
    const { a, b, conv, gconv, groupId } = await setting(store);
    const original = await saveOne(store, message(clock, conv, a.id, b.id, "original words"));
    await store.messages.save([edit(clock, original, "changed words")]);
    assertEquals(await found(store, a.id, "original"), []);
    assertEquals(await found(store, b.id, "changed"), ["changed words"]);
    const [hit] = await search(store, a.id, "words");
    assertEquals([hit.id, typeof hit.editedAt], [original.id, "number"]);
    assertEquals(await search(store, a.id, "words").then((r) => r.length), 1);
    // An edit the store does not apply (sent before the one it has) changes nothing.
    const first = await saveOne(store, message(clock, gconv, a.id, groupId, "first draft"));
    const early = edit(clock, first, "early edit");
    const late = edit(clock, first, "late edit");
    await store.messages.save([late]);
    await store.messages.save([early]);
    assertEquals(await found(store, b.id, "edit"), ["late edit"]);
    assertEquals(await found(store, b.id, "draft"), []);
    // A message and its edit in one batch.
    const same = message(clock, conv, a.id, b.id, "batch before");
    const saved = { ...same, seq: 0 } as Message;
    await store.messages.save([same, edit(clock, saved, "batch after")]);
    assertEquals(await found(store, a.id, "batch"), ["batch after"]);
  });

  test("a recalled message is never found", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    const secret = await saveOne(store, message(clock, conv, a.id, b.id, "secret plans"));
    await saveOne(store, message(clock, conv, a.id, b.id, "open plans"));
    await store.messages.save([recall(clock, secret)]);
    assertEquals(await found(store, a.id, "plans"), ["open plans"]);
    assertEquals(await found(store, b.id, "secret", conv), []);
    // An edit after the recall (another instance's, late) does not bring it back.
    await store.messages.save([edit(clock, secret, "secret again")]);
    assertEquals(await found(store, a.id, "secret"), []);
  });

  test("a disbanded group's messages are gone from the search", async (store, clock) => {
    const { a, b, gconv, groupId } = await setting(store);
    await say(store, clock, gconv, a.id, groupId, ["disband me", "and me"]);
    assertEquals(await found(store, b.id, "me"), ["and me", "disband me"]);
    await store.groups.disband(groupId);
    assertEquals(await found(store, a.id, "me"), []);
    assertEquals(await found(store, b.id, "disband", gconv), []);
    // The last member's leaving disbands too.
    const g = await store.groups.create(
      { id: id(), name: "Last", avatarMediaId: null, ownerId: a.id, createdAt: 1 },
      [],
    );
    await say(store, clock, `g:${g.id}`, a.id, g.id, ["last words"]);
    assertEquals(await found(store, a.id, "last"), ["last words"]);
    assertEquals(await store.groups.removeMember(g.id, a.id), { removed: true, disbanded: true });
    assertEquals(await found(store, a.id, "last", `g:${g.id}`), []);
  });

  test(
    "only text messages are found: never images, files, system or update entries",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const text = await saveOne(store, message(clock, conv, a.id, b.id, "findme text"));
      const batch: AcceptedMessage[] = [
        sent(clock, conv, a.id, b.id, {
          type: "image",
          mediaId: "findme",
          url: "/api/media/findme",
        }),
        sent(clock, conv, a.id, b.id, {
          type: "file",
          mediaId: "findme2",
          name: "findme.pdf",
          url: "/api/media/findme2",
          size: 1,
          contentType: "application/pdf",
        }),
        sent(clock, gconv, a.id, groupId, {
          type: "system",
          event: "renamed",
          by: a.id,
          value: "findme group",
        }, { clientMsgId: null }),
      ];
      await store.messages.save(batch);
      await store.messages.save([edit(clock, text, "findme edited")]);
      const hits = await search(store, a.id, "findme");
      assertEquals(hits.map((m) => [m.id, m.content.type]), [[text.id, "text"]]);
      assertEquals(await found(store, a.id, "pdf"), []);
    },
  );

  test("4000-character texts, and a bigram repeated more than 256 times", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    const long = Array.from(
      { length: 4000 },
      (_, i) => "的一是在不了有和人这中大为上个国"[(i * 7) % 16],
    )
      .join("");
    const texts = [
      long.slice(0, 3990) + "末尾の言葉です",
      "ab".repeat(300) + "abc",
      "哈".repeat(4000),
      "xy".repeat(1999) + "z",
      "z" + "xy".repeat(1999),
    ];
    const saved = await say(store, clock, conv, a.id, b.id, texts);
    assertEquals(texts.map((t) => Array.from(t).length <= 4000), texts.map(() => true));
    for (
      const query of [
        "末尾の言葉",
        long.slice(3890, 3990),
        long.slice(0, 100),
        "abc",
        "bab",
        "哈哈",
        "哈".repeat(100),
        "yz",
        "xyz",
        "zx",
        "xyxyxyxy",
      ]
    ) {
      assertEquals(await found(store, a.id, query), expected(texts, query), query.slice(0, 20));
    }
    assertEquals((await search(store, a.id, "abc")).map((m) => m.id), [saved[1].id]);
  });

  if (options.reopenable) {
    const make = options.reopenable;
    Deno.test({ name: `${name}: indexBacklog`, ignore: options.ignore }, async (t) => {
      const place = await make();
      const clock = new FakeClock();
      try {
        let store = await place.open(false);
        const { a, b, conv } = await setting(store);
        const old = await say(store, clock, conv, a.id, b.id, ["old 1", "old 2", "old 3", "old 4"]);
        const recalled = await saveOne(store, message(clock, conv, a.id, b.id, "old recalled"));
        await store.messages.save([
          sent(clock, conv, a.id, b.id, { type: "image", mediaId: "old", url: "/api/media/old" }),
          edit(clock, old[0], "old 1 edited"),
          recall(clock, recalled),
        ]);
        await say(store, clock, conv, a.id, b.id, ["old 5"]);
        await t.step(
          "with the index off, saves write no entry and the backlog does nothing",
          async () => {
            assertEquals(await found(store, a.id, "old"), []);
            assertEquals(await store.messages.indexBacklog(10), 0);
          },
        );
        await store.close();
        store = await place.open(true);
        await t.step("opened with it on, the messages saved before are the backlog's", async () => {
          assertEquals(await found(store, a.id, "old"), []);
          await say(store, clock, conv, a.id, b.id, ["old 6, new"]);
          assertEquals(await found(store, a.id, "old"), ["old 6, new"], "new ones at once");
        });
        await t.step(
          "indexBacklog() indexes the newest first, resumably across reopens",
          async () => {
            assertEquals(await store.messages.indexBacklog(2), 2);
            assertEquals(await found(store, a.id, "old"), ["old 6, new", "old 5", "old 4"]);
            await store.close();
            store = await place.open(true);
            assertEquals(await store.messages.indexBacklog(2), 2);
            assertEquals(await found(store, a.id, "old"), [
              "old 6, new",
              "old 5",
              "old 4",
              "old 3",
              "old 2",
            ]);
            assertEquals(
              await store.messages.indexBacklog(100),
              1,
              "old 1: the text messages only",
            );
            assertEquals(await store.messages.indexBacklog(100), 0);
            assertEquals(await store.messages.indexBacklog(100), 0, "done stays done");
          },
        );
        await t.step(
          "the backlog indexes the current text: edited by its latest, recalled never",
          async () => {
            assertEquals(await found(store, a.id, "old 1"), ["old 1 edited"]);
            assertEquals(await found(store, a.id, "recalled"), []);
            assertEquals((await found(store, b.id, "old")).length, 6);
          },
        );
        await store.close();
        store = await place.open(true);
        await t.step("a reopen with the index on keeps it", async () => {
          assertEquals(await store.messages.indexBacklog(100), 0);
          assertEquals((await found(store, a.id, "old")).length, 6);
        });
        await store.close();
        store = await place.open(false);
        await say(store, clock, conv, a.id, b.id, ["old 7, unindexed"]);
        await store.close();
        store = await place.open(true);
        await t.step(
          "after another run with it off, the index is rebuilt from the backlog",
          async () => {
            assertEquals(await found(store, a.id, "old"), []);
            let total = 0;
            for (
              let n = await store.messages.indexBacklog(3);
              n > 0;
              n = await store.messages.indexBacklog(3)
            ) {
              assert(n <= 3);
              total += n;
            }
            assertEquals(total, 7);
            assertEquals((await found(store, a.id, "old")).length, 7);
          },
        );
        await store.close();
      } finally {
        await place.remove();
      }
    });
  }
}
