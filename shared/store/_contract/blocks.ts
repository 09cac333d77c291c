/** The contract suite of BlockStore, run once per implementation and decorator. */
import { assertEquals } from "../../../tests/assert.ts";
import { type OpenStore, suite, type SuiteOptions, user } from "./fixtures.ts";

/** Runs the BlockStore contract against `store.blocks` of stores made by `open`. */
export function testBlockStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);

  test("block() and unblock() say whether they changed anything; blocks() is one way", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    assertEquals(await store.blocks.blocks(a.id, b.id), false);
    assertEquals(await store.blocks.block(a.id, b.id, 1), true);
    assertEquals(await store.blocks.block(a.id, b.id, 2), false, "blocked already");
    assertEquals(await store.blocks.blocks(a.id, b.id), true);
    assertEquals(await store.blocks.blocks(b.id, a.id), false, "one way");
    assertEquals(await store.blocks.unblock(b.id, a.id), false, "b blocked no one");
    assertEquals(await store.blocks.unblock(a.id, b.id), true);
    assertEquals(await store.blocks.unblock(a.id, b.id), false, "unblocked already");
    assertEquals(await store.blocks.blocks(a.id, b.id), false);
  });

  test("blockedBy() lists whom a user blocked, latest first", async (store) => {
    const [a, b, c, d] = [
      await user(store),
      await user(store),
      await user(store),
      await user(store),
    ];
    assertEquals(await store.blocks.blockedBy(a.id), []);
    await store.blocks.block(a.id, c.id, 5);
    await store.blocks.block(a.id, b.id, 7);
    await store.blocks.block(a.id, d.id, 6);
    await store.blocks.block(b.id, a.id, 8);
    assertEquals(await store.blocks.blockedBy(a.id), [b.id, d.id, c.id]);
    await store.blocks.unblock(a.id, d.id);
    assertEquals(await store.blocks.block(a.id, b.id, 9), false);
    assertEquals(
      await store.blocks.blockedBy(a.id),
      [b.id, c.id],
      "a second block keeps the first's time",
    );
    await store.blocks.unblock(a.id, c.id);
    await store.blocks.block(a.id, c.id, 10);
    assertEquals(await store.blocks.blockedBy(a.id), [c.id, b.id], "blocked again: latest");
    assertEquals(await store.blocks.blockedBy(b.id), [a.id]);
  });

  test("deleteUser() deletes the blocks an account made and those it suffered", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    await store.blocks.block(a.id, b.id, 1);
    await store.blocks.block(b.id, a.id, 1);
    await store.blocks.block(b.id, c.id, 2);
    await store.accounts.deleteUser(a.id, 3);
    assertEquals(await store.blocks.blockedBy(a.id), []);
    assertEquals(await store.blocks.blockedBy(b.id), [c.id]);
  });
}
