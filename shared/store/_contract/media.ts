/** The contract suite of MediaStore, run once per implementation. */
import { assertEquals } from "../../../tests/assert.ts";
import { type OpenStore, suite, type SuiteOptions, user } from "./fixtures.ts";

/** Runs the MediaStore contract against `store.media` of stores made by `open`. */
export function testMediaStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);

  test("put() stores bytes once per content; info() and withBytes() read them by id", async (store) => {
    const a = await user(store);
    const bytes = new Uint8Array([1, 2, 3]);
    const row = {
      sha256: "abc",
      contentType: "image/png",
      size: 3,
      width: 1,
      height: null,
      ownerId: a.id,
      createdAt: 1,
    };
    const [m, n] = ["m".repeat(24), "n".repeat(24)];
    await store.media.put({ ...row, id: m }, bytes);
    await store.media.put({ ...row, id: n }, bytes);
    const found = await store.media.withBytes(n);
    assertEquals(found?.bytes, bytes);
    assertEquals(found?.info, { ...row, id: n });
    assertEquals(await store.media.info(m), { ...row, id: m });
    assertEquals(await store.media.info("x".repeat(24)), null);
    assertEquals(await store.media.withBytes("x".repeat(24)), null);
  });

  test("put() keeps a file's name; info() and withBytes() give it back", async (store) => {
    const a = await user(store);
    const file = {
      id: "f".repeat(24),
      sha256: "file-bytes",
      contentType: "application/octet-stream",
      size: 2,
      width: null,
      height: null,
      ownerId: a.id,
      createdAt: 1,
      name: "报告 final.tar.gz",
    };
    await store.media.put(file, new Uint8Array([4, 2]));
    assertEquals(await store.media.info(file.id), file);
    assertEquals((await store.media.withBytes(file.id))?.info, file);
  });

  test("removeOwnedBy() deletes an owner's media, bytes no one else shares, and avatars they were", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    const row = (id: string, ownerId: string, sha256: string) => ({
      id,
      sha256,
      contentType: "image/png",
      size: 3,
      width: 1,
      height: 1,
      ownerId,
      createdAt: 1,
    });
    const [mine, shared, theirs] = ["o".repeat(24), "p".repeat(24), "q".repeat(24)];
    await store.media.put(row(mine, a.id, "only-a"), new Uint8Array([1]));
    await store.media.put(row(shared, a.id, "both"), new Uint8Array([2]));
    await store.media.put(row(theirs, b.id, "both"), new Uint8Array([2]));
    await store.accounts.updateUser(b.id, { avatarMediaId: mine });
    assertEquals(await store.media.removeOwnedBy(a.id), 2);
    assertEquals([await store.media.info(mine), await store.media.info(shared)], [null, null]);
    assertEquals((await store.media.withBytes(theirs))?.bytes, new Uint8Array([2]));
    assertEquals((await store.accounts.users([b.id]))[0].avatarMediaId, null);
    assertEquals(await store.media.removeOwnedBy(a.id), 0);
  });
}
