/** The contract suite of FriendStore, run once per implementation and decorator. */
import { assertEquals } from "../../../tests/assert.ts";
import { id, type OpenStore, sorted, suite, type SuiteOptions, user } from "./fixtures.ts";

/** Runs the FriendStore contract against `store.friends` of stores made by `open`. */
export function testFriendStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);

  test("add() makes friends both ways and clears pending requests", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    await store.friends.createRequest({
      id: id(),
      fromId: a.id,
      toId: b.id,
      note: "",
      createdAt: 1,
    });
    assertEquals(await store.friends.add(a.id, b.id, 2), true);
    assertEquals(await store.friends.add(b.id, a.id, 3), false);
    assertEquals(
      [await store.friends.areFriends(a.id, b.id), await store.friends.areFriends(b.id, a.id)],
      [true, true],
    );
    assertEquals(await store.friends.requests(b.id), { incoming: [], outgoing: [] });
    assertEquals(await store.friends.idsOf(a.id), [b.id]);
  });

  test("pairs() answers the asked pairs that are friends, again the same", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    await store.friends.add(a.id, b.id, 1);
    const asked = [[a.id, b.id], [b.id, a.id], [a.id, c.id], [c.id, c.id]] as const;
    const friends = [`${a.id}:${b.id}`, `${b.id}:${a.id}`].sort();
    assertEquals(await sorted(store.friends.pairs(asked)), friends);
    assertEquals(await sorted(store.friends.pairs(asked)), friends, "asked again");
    assertEquals(await store.friends.pairs([[b.id, c.id]]), new Set());
    assertEquals(await store.friends.pairs([]), new Set());
  });

  test("remove() ends the friendship both ways, seen at once by every read", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    await store.friends.add(a.id, b.id, 1);
    assertEquals(
      await sorted(store.friends.pairs([[a.id, b.id], [b.id, a.id]])),
      [`${a.id}:${b.id}`, `${b.id}:${a.id}`].sort(),
    );
    assertEquals(await store.friends.remove(b.id, a.id), true);
    assertEquals(await store.friends.pairs([[a.id, b.id], [b.id, a.id]]), new Set());
    assertEquals(await store.friends.areFriends(a.id, b.id), false);
    assertEquals(await store.friends.idsOf(a.id), []);
    assertEquals(await store.friends.remove(a.id, b.id), false);
    assertEquals(await store.friends.add(a.id, b.id, 2), true, "friends again after a removal");
    assertEquals(await store.friends.pairs([[a.id, b.id]]), new Set([`${a.id}:${b.id}`]));
  });

  test("requests() lists a user's incoming and outgoing requests, newest first", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const older = { id: id(), fromId: b.id, toId: a.id, note: "hi", createdAt: 1 };
    const newer = { id: id(), fromId: c.id, toId: a.id, note: "", createdAt: 2 };
    const mine = { id: id(), fromId: a.id, toId: c.id, note: "", createdAt: 3 };
    for (const row of [older, newer, mine]) await store.friends.createRequest(row);
    assertEquals(await store.friends.requests(a.id), {
      incoming: [newer, older],
      outgoing: [mine],
    });
    assertEquals(await store.friends.request(older.id), older);
    assertEquals(await store.friends.requestBetween(b.id, a.id), older);
    assertEquals(await store.friends.requestBetween(a.id, b.id), null);
    await store.friends.deleteRequest(older.id);
    assertEquals(await store.friends.request(older.id), null);
  });

  test(
    "pairs() leaves out a pair whose friend blocked the user, until unblocked; areFriends() does not",
    async (store) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      await store.friends.add(a.id, b.id, 1);
      await store.friends.add(a.id, c.id, 1);
      const asked = [[a.id, b.id], [b.id, a.id], [a.id, c.id]] as const;
      const all = [`${a.id}:${b.id}`, `${b.id}:${a.id}`, `${a.id}:${c.id}`].sort();
      assertEquals(await sorted(store.friends.pairs(asked)), all, "found (and remembered)");
      // b blocks a: a may no longer send to b; b may still send to a.
      assertEquals(await store.blocks.block(b.id, a.id, 2), true);
      assertEquals(
        await sorted(store.friends.pairs(asked)),
        [`${b.id}:${a.id}`, `${a.id}:${c.id}`].sort(),
      );
      assertEquals(
        [await store.friends.areFriends(a.id, b.id), await store.friends.areFriends(b.id, a.id)],
        [true, true],
        "the friendship stays",
      );
      assertEquals(await store.friends.idsOf(a.id), [b.id, c.id]);
      assertEquals(await store.blocks.unblock(b.id, a.id), true);
      assertEquals(await sorted(store.friends.pairs(asked)), all, "unblocked");
      // A block of a stranger changes nothing of the friends.
      await store.blocks.block(b.id, c.id, 3);
      assertEquals(await sorted(store.friends.pairs(asked)), all);
    },
  );

  test("cancelRequest() deletes a pending request of its sender only, once", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const row = { id: id(), fromId: a.id, toId: b.id, note: "a long note", createdAt: 5 };
    await store.friends.createRequest(row);
    assertEquals(await store.friends.cancelRequest(row.id, b.id), null, "the receiver");
    assertEquals(await store.friends.cancelRequest(row.id, c.id), null, "a stranger");
    assertEquals(await store.friends.request(row.id), row, "still pending");
    assertEquals(await store.friends.cancelRequest(row.id, a.id), row, "the sender");
    assertEquals(await store.friends.request(row.id), null);
    assertEquals(await store.friends.requests(b.id), { incoming: [], outgoing: [] });
    assertEquals(await store.friends.cancelRequest(row.id, a.id), null, "gone already");
    assertEquals(await store.friends.cancelRequest(id(), a.id), null, "never was");
  });
}
