/** The authorization cache: found pairs are remembered, removals forget them, and other calls pass through. */
import { assertEquals } from "../../tests/assert.ts";
import { withAuthorizationCache } from "./authorization_cache.ts";
import { openPgliteStore } from "./pglite.ts";

Deno.test("authorization cache answers from memory until a removal through it", async () => {
  const engine = await openPgliteStore({ dataDir: "memory://" });
  let asked = 0;
  const counting = new Proxy(engine, {
    get(target, property) {
      if (property === "friendPairs" || property === "memberPairs") asked++;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const store = withAuthorizationCache(counting);
  try {
    const make = (id: string) =>
      store.createUser({ id, username: `u${id}`, passwordHash: "x", nickname: "n", createdAt: 1 });
    await Promise.all(["11", "12", "13"].map(make));
    await store.addFriendship("11", "12", 1);
    const group = await store.createGroup(
      { id: "21", name: "g", avatarMediaId: null, ownerId: "11", createdAt: 1 },
      ["12"],
    );

    assertEquals(await store.friendPairs([["11", "12"], ["11", "13"]]), new Set(["11:12"]));
    assertEquals(asked, 1);
    assertEquals(await store.friendPairs([["11", "12"]]), new Set(["11:12"]));
    assertEquals(asked, 1, "a known friendship is not asked again");
    assertEquals(await store.friendPairs([["11", "13"]]), new Set(), "refusals are not cached");
    assertEquals(asked, 2);

    assertEquals(await store.removeFriendship("12", "11"), true);
    assertEquals(await store.friendPairs([["11", "12"]]), new Set(), "removal is seen at once");

    assertEquals(await store.memberPairs([[group.id, "12"]]), new Set([`${group.id}:12`]));
    assertEquals(await store.removeGroupMember(group.id, "12"), true);
    assertEquals(await store.memberPairs([[group.id, "12"]]), new Set());
    assertEquals((await store.users(["13"]))[0].id, "13", "other methods pass through");
  } finally {
    await store.close();
  }
});
