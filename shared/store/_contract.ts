/** The contract suite of the Store port, run once per implementation. */
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import type { AcceptedMessage } from "../types.ts";
import type { Store } from "./mod.ts";

let nextId = 1000;
const id = () => String(++nextId);

async function user(store: Store, name = `user${nextId}`) {
  return await store.createUser({
    id: id(),
    username: name,
    passwordHash: "h",
    nickname: name,
    createdAt: 1,
  });
}

function message(conversationId: string, from: string, to: string, text: string): AcceptedMessage {
  return {
    id: id(),
    conversationId,
    from,
    to: { type: conversationId.startsWith("g:") ? "group" : "user", id: to },
    content: { type: "text", text },
    sentAt: Date.now(),
    clientMsgId: `c${nextId}`,
  };
}

/** Runs the Store contract against stores made by `open`. */
export function testStore(
  name: string,
  open: () => Promise<Store>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  const test = (title: string, fn: (store: Store) => Promise<void>) =>
    Deno.test({ name: `${name}: ${title}`, ignore }, async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  test("createUser() refuses a taken username, ignoring case", async (store) => {
    await user(store, "Alice");
    const error = await assertRejects(() => user(store, "alice"), AppError);
    assertEquals((error as AppError).code, "conflict");
    assertEquals((await store.userCredentials("ALICE"))?.user.username, "Alice");
  });

  test("saveMessages() gives contiguous seqs per conversation in batch order and is idempotent", async (store) => {
    const a = await user(store);
    const b = await user(store);
    const conv = `u:${a.id}:${b.id}`;
    const group = await store.createGroup({
      id: id(),
      name: "g",
      avatarMediaId: null,
      ownerId: a.id,
      createdAt: 1,
    }, [b.id]);
    const gconv = `g:${group.id}`;
    const batch = [
      message(conv, a.id, b.id, "1"),
      message(gconv, a.id, group.id, "g1"),
      message(conv, b.id, a.id, "2"),
      message(conv, a.id, b.id, "3"),
    ];
    assertEquals(await store.newestMessageAt(), null);
    const saved = await store.saveMessages(batch);
    assertEquals(await store.newestMessageAt(), batch[batch.length - 1].sentAt);
    assertEquals(saved.map((m) => [m.conversationId, m.seq]), [[conv, 1], [gconv, 1], [conv, 2], [
      conv,
      3,
    ]]);
    const again = await store.saveMessages([...batch.slice(2), message(conv, b.id, a.id, "4")]);
    assertEquals(again.map((m) => m.seq), [2, 3, 4]);
    assertEquals(
      (await store.history(conv, { limit: 10 })).map((m) => m.content),
      ["1", "2", "3", "4"].map((text) => ({ type: "text" as const, text })),
    );
    const rows = await store.conversations(b.id);
    assertEquals(rows.map((r) => [r.id, r.lastSeq, r.unread]), [[conv, 4, 2], [gconv, 1, 1]]);
    await store.markRead(b.id, conv, 99);
    assertEquals(
      (await store.conversations(b.id))[0].readSeq,
      4,
      "read marks stop at the last seq",
    );
    await store.markRead(b.id, conv, 1);
    assertEquals((await store.conversations(b.id))[0].readSeq, 4, "read marks never move back");
    const found = await store.messagesByClientIds([
      { senderId: a.id, clientMsgId: batch[0].clientMsgId },
      { senderId: a.id, clientMsgId: "never-sent" },
      { senderId: b.id, clientMsgId: batch[0].clientMsgId },
    ], 0);
    assertEquals([...found.keys()], [`${a.id}:${batch[0].clientMsgId}`]);
    assertEquals(found.get(`${a.id}:${batch[0].clientMsgId}`)?.id, batch[0].id);
    assertEquals(found.get(`${a.id}:${batch[0].clientMsgId}`)?.conversationId, conv);
    assertEquals(
      (await store.messagesByClientIds(
        [{ senderId: a.id, clientMsgId: batch[0].clientMsgId }],
        Date.now() + 1000,
      )).size,
      0,
      "older than `since`: not found",
    );
  });

  test("removeGroupMember() hands ownership on; addGroupMembers() enforces the size", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const group = await store.createGroup({
      id: id(),
      name: "g",
      avatarMediaId: null,
      ownerId: a.id,
      createdAt: 1,
    }, [b.id]);
    assertEquals(group.memberCount, 2);
    const error = await assertRejects(
      () => store.addGroupMembers(group.id, [c.id], 2, 2),
      AppError,
    );
    assertEquals((error as AppError).code, "forbidden");
    assertEquals(
      await store.groupMemberIds(group.id),
      [a.id, b.id],
      "a refused add changes nothing",
    );
    assertEquals(await store.removeGroupMember(group.id, a.id), true);
    assertEquals((await store.group(group.id))?.ownerId, b.id);
    assertEquals(await store.groupRole(group.id, b.id), "owner");
    assertEquals(
      await store.memberPairs([[group.id, a.id], [group.id, b.id], [group.id, c.id]]),
      new Set([`${group.id}:${b.id}`]),
    );
    assertEquals(await store.removeGroupMember(group.id, a.id), false);
  });

  test("friendships are mutual and clear pending requests", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    await store.createFriendRequest({ id: id(), fromId: a.id, toId: b.id, note: "", createdAt: 1 });
    assertEquals(await store.addFriendship(a.id, b.id, 2), true);
    assertEquals(await store.addFriendship(b.id, a.id, 3), false);
    assertEquals([await store.areFriends(a.id, b.id), await store.areFriends(b.id, a.id)], [
      true,
      true,
    ]);
    const c = await user(store);
    assertEquals(
      await store.friendPairs([[a.id, b.id], [b.id, a.id], [a.id, c.id], [c.id, c.id]]),
      new Set([`${a.id}:${b.id}`, `${b.id}:${a.id}`]),
    );
    assertEquals(await store.friendPairs([]), new Set());
    assertEquals((await store.friendRequests(b.id)).incoming, []);
    assertEquals(await store.removeFriendship(b.id, a.id), true);
    assertEquals(await store.friendIds(a.id), []);
  });

  test("sessions expire and can be revoked", async (store) => {
    const a = await user(store);
    await store.createSession("h1", a.id, 1000);
    assertEquals((await store.sessionUser("h1", 999))?.id, a.id);
    assertEquals(await store.sessionUser("h1", 1000), null);
    await store.createSession("h2", a.id, 5000);
    await store.revokeSession("h2");
    assertEquals(await store.sessionUser("h2", 1), null);
  });

  test("media blobs are stored once per content", async (store) => {
    const a = await user(store);
    const bytes = new Uint8Array([1, 2, 3]);
    const row = {
      url: "",
      sha256: "abc",
      contentType: "image/png",
      size: 3,
      width: 1,
      height: 1,
      ownerId: a.id,
      createdAt: 1,
    };
    await store.putMedia({ ...row, id: "m".repeat(24) }, bytes);
    await store.putMedia({ ...row, id: "n".repeat(24) }, bytes);
    const found = await store.mediaBytes("n".repeat(24));
    assertEquals(found?.bytes, bytes);
    assert(found?.info.url.endsWith("n".repeat(24)));
    assertEquals(await store.mediaInfo("x".repeat(24)), null);
  });

  test("searchUsers() puts the exact username first and treats LIKE wildcards literally", async (store) => {
    await user(store, "bobby");
    await user(store, "bob");
    await user(store, "b_b");
    assertEquals((await store.searchUsers("bob", 10)).map((u) => u.username), ["bob", "bobby"]);
    assertEquals((await store.searchUsers("_", 10)).map((u) => u.username), ["b_b"]);
  });
}
