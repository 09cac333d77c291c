/** The authorization cache: its memory, and its decorators through the friend, group, search and conversation settings contracts. */
import { assertEquals } from "../../tests/assert.ts";
import {
  inTempDir,
  testBlockStore,
  testConversationSettings,
  testFriendStore,
  testGroupStore,
  testMessageSearch,
} from "./_contract/mod.ts";
import { AuthorizationCache, withAuthorizationCache } from "./authorization_cache.ts";
import { openSqliteStore } from "./sqlite.ts";

const cached = async () => withAuthorizationCache(await openSqliteStore({ dataDir: "memory://" }));
testFriendStore("CachedFriendStore on SQLite", cached);
testGroupStore("CachedGroupStore on SQLite", cached);
testBlockStore("CachedBlockStore on SQLite", cached);
// Search reads memberships in the engine: a removal through the cached group port must show.
testMessageSearch("MessageStore search behind the authorization cache on SQLite", cached, {
  reopenable: () =>
    inTempDir(async (dataDir, searchIndex) =>
      withAuthorizationCache(await openSqliteStore({ dataDir, searchIndex }))
    ),
});
// Summaries read memberships in the engine, and a disband through the cached port drops settings.
testConversationSettings(
  "MessageStore conversation settings behind the authorization cache",
  cached,
);

type Pairs = readonly (readonly [string, string])[];

/** An `ask` that answers from `rows` and records what it was asked. */
function engine(rows: string[]) {
  const asked: string[][] = [];
  const ask = (pairs: Pairs) => {
    asked.push(pairs.map(([a, b]) => `${a}:${b}`));
    return Promise.resolve(new Set(asked.at(-1)!.filter((key) => rows.includes(key))));
  };
  return { asked, ask, rows };
}

Deno.test("AuthorizationCache.lookup() asks only for pairs it has not found before", async () => {
  const cache = new AuthorizationCache();
  const { asked, ask } = engine(["1:2"]);
  assertEquals(await cache.lookup("friend", [["1", "2"], ["1", "3"]], ask), new Set(["1:2"]));
  assertEquals(await cache.lookup("friend", [["1", "2"]], ask), new Set(["1:2"]));
  assertEquals(asked, [["1:2", "1:3"]], "a known pair is not asked again");
  assertEquals(await cache.lookup("friend", [["1", "3"]], ask), new Set());
  assertEquals(asked.at(-1), ["1:3"], "refusals are not remembered");
  assertEquals(await cache.lookup("member", [["1", "2"]], ask), new Set(["1:2"]));
  assertEquals(asked.at(-1), ["1:2"], "kinds are remembered apart");
});

Deno.test("AuthorizationCache.removing() forgets the pairs, also those found during the removal", async () => {
  const cache = new AuthorizationCache();
  const { asked, ask, rows } = engine(["1:2"]);
  await cache.lookup("friend", [["1", "2"]], ask);
  let removed!: () => void;
  const removal = cache.removing(
    ["friend:1:2"],
    () => new Promise<boolean>((resolve) => removed = () => resolve(true)),
  );
  // A lookup that runs while the row is going away may still see it, but must not keep it.
  assertEquals(await cache.lookup("friend", [["1", "2"]], ask), new Set(["1:2"]));
  rows.length = 0;
  removed();
  assertEquals(await removal, true);
  assertEquals(await cache.lookup("friend", [["1", "2"]], ask), new Set());
  assertEquals(asked.length, 3);
});

Deno.test("AuthorizationCache starts over when it would hold more than maxEntries", async () => {
  const cache = new AuthorizationCache(2);
  const { asked, ask } = engine(["1:2", "1:3", "1:4"]);
  await cache.lookup("friend", [["1", "2"], ["1", "3"]], ask);
  await cache.lookup("friend", [["1", "4"]], ask);
  await cache.lookup("friend", [["1", "4"]], ask);
  assertEquals(asked.length, 2, "the newest pair is kept");
  await cache.lookup("friend", [["1", "2"]], ask);
  assertEquals(asked.length, 3, "the older ones were dropped");
});

Deno.test("AuthorizationCache.lookupValues() keeps what was found with each pair, and only that", async () => {
  const cache = new AuthorizationCache();
  const asked: string[][] = [];
  const states = new Map([["g1:1", { role: "member" }]]);
  const ask = (pairs: Pairs) => {
    asked.push(pairs.map(([a, b]) => `${a}:${b}`));
    return Promise.resolve(
      new Map(asked.at(-1)!.flatMap((k) => {
        const state = states.get(k);
        return state ? [[k, state] as const] : [];
      })),
    );
  };
  const first = await cache.lookupValues("sender", [["g1", "1"], ["g1", "2"]], ask);
  assertEquals(first, new Map([["g1:1", { role: "member" }]]));
  states.set("g1:1", { role: "admin" });
  assertEquals(
    await cache.lookupValues("sender", [["g1", "1"]], ask),
    new Map([["g1:1", { role: "member" }]]),
    "remembered until forgotten",
  );
  assertEquals(asked, [["g1:1", "g1:2"]]);
  await cache.removing(["sender:g1:1"], () => Promise.resolve());
  assertEquals(
    await cache.lookupValues("sender", [["g1", "1"]], ask),
    new Map([["g1:1", { role: "admin" }]]),
  );
});

Deno.test("AuthorizationCache.removing() with a prefix forgets every pair of that group only", async () => {
  const cache = new AuthorizationCache();
  const { asked, ask } = engine(["1:2", "1:3", "10:2", "1:4"]);
  await cache.lookup("sender", [["1", "2"], ["1", "3"], ["10", "2"]], ask);
  await cache.lookup("member", [["1", "4"]], ask);
  await cache.removing([], () => Promise.resolve(), ["sender:1:"]);
  await cache.lookup("sender", [["1", "2"], ["1", "3"], ["10", "2"]], ask);
  await cache.lookup("member", [["1", "4"]], ask);
  assertEquals(asked.slice(2), [["1:2", "1:3"]], "group 10 and the member pair are kept");
});
