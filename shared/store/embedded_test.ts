import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import { type ConversionSummary, openEmbeddedStore } from "./embedded.ts";
import { openPgliteStore } from "./pglite.ts";
import { SQLITE_FILE } from "./sqlite.ts";

const A = "7300000000000000001";
const B = "7300000000000000002";
const G = "7300000000000000003";
const C = "7300000000000000004";

Deno.test("a data folder PGlite wrote is converted to SQLite at start, every row kept", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const old = await openPgliteStore({ dataDir });
    for (const [id, name] of [[A, "ann"], [B, "bob"]]) {
      await old.accounts.createUser({
        id,
        username: name,
        passwordHash: `h-${name}`,
        nickname: name,
        createdAt: 1,
      });
    }
    await old.accounts.createSession({
      id: "77",
      tokenHash: "token-hash",
      userId: A,
      createdAt: 1,
      expiresAt: 9_000_000_000_000,
      userAgent: "Old browser",
    });
    await old.friends.add(A, B, 2);
    await old.groups.create(
      { id: G, name: "Team", avatarMediaId: null, ownerId: A, createdAt: 3 },
      [B],
    );
    // Version 2 group settings, an admin, a muted member, a join request and a block.
    await old.groups.update(G, { notice: "Be nice", joinPolicy: "approval", muted: true });
    await old.groups.setRole(G, B, "admin");
    await old.groups.setMutedUntil(G, B, 9_000_000_000_000);
    await old.accounts.createUser({
      id: C,
      username: "cat",
      passwordHash: "h-cat",
      nickname: "cat",
      createdAt: 1,
    });
    await old.groups.addRequest({ id: "78", groupId: G, userId: C, createdAt: 5 });
    await old.blocks.block(A, C, 6);
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 7]);
    await old.media.put(
      {
        id: "m1",
        sha256: "s1",
        contentType: "image/png",
        size: bytes.length,
        width: 1,
        height: 1,
        ownerId: A,
        createdAt: 4,
      },
      bytes,
    );
    const messages = Array.from({ length: 6_000 }, (_, i) => ({
      id: String(7400000000000000000n + BigInt(i)),
      conversationId: i % 3 === 0 ? `g:${G}` : `u:${A}:${B}`,
      from: i % 2 ? A : B,
      to: i % 3 === 0
        ? { type: "group" as const, id: G }
        : { type: "user" as const, id: i % 2 ? B : A },
      content: {
        type: "text" as const,
        text: `message ${i} 你好`,
        mentions: i === 3 ? [B] : undefined,
      },
      sentAt: 1000 + i,
      clientMsgId: `c${i}`,
      // Message 4 answers message 1 (seq 1 of the private chat).
      replyTo: i === 4
        ? { id: "7400000000000000001", seq: 1, from: A, preview: "message 1 你好" }
        : undefined,
    }));
    for (let i = 0; i < messages.length; i += 1000) {
      await old.messages.save(messages.slice(i, i + 1000));
    }
    await old.messages.markRead(B, `u:${A}:${B}`, 5);
    await old.close();

    let summary: ConversionSummary | undefined;
    const store = await openEmbeddedStore({ dataDir, onConverted: (s) => summary = s });
    try {
      assertEquals(summary?.rows.messages, 6_000);
      assertEquals(summary?.rows.users, 3);
      assertEquals((await Deno.stat(`${dataDir}/${SQLITE_FILE}`)).isFile, true);
      assertEquals((await store.accounts.credentials("ann"))?.passwordHash, "h-ann");
      const session = await store.accounts.session("token-hash", 1);
      assertEquals([session?.user.id, session?.id], [A, "77"]);
      assertEquals(await store.friends.areFriends(B, A), true);
      assertEquals(await store.groups.members(G), [
        { userId: A, role: "owner", mutedUntil: null },
        { userId: B, role: "admin", mutedUntil: 9_000_000_000_000 },
      ]);
      const group = await store.groups.get(G);
      assertEquals([group?.notice, group?.joinPolicy, group?.muted], ["Be nice", "approval", true]);
      assertEquals(await store.groups.requests(G), [
        { id: "78", groupId: G, userId: C, createdAt: 5 },
      ]);
      assertEquals(await store.blocks.blockedBy(A), [C]);
      assertEquals((await store.media.withBytes("m1"))?.bytes, bytes);
      const history = await store.messages.history(`u:${A}:${B}`, { limit: 3 });
      assertEquals(history.map((m) => [m.seq, m.content.type === "text" && m.content.text]), [
        [1, "message 1 你好"],
        [2, "message 2 你好"],
        [3, "message 4 你好"],
      ]);
      assertEquals(history[2].replyTo?.preview, "message 1 你好");
      assertEquals(summary?.rows.mentions, 1);
      const inGroup = (await store.messages.conversations(B)).find((c) => c.type === "group")!;
      assertEquals(inGroup.mentioned, true);
      const mine = (await store.messages.conversations(B)).find((c) => c.type === "user")!;
      assertEquals([mine.lastSeq, mine.readSeq], [4000, 5]);
      // The search index is not copied: every message is the backlog's, which indexes them all.
      const search = (text: string) =>
        store.messages.search({ userId: A, text, conversationId: null, beforeId: null, limit: 2 });
      assertEquals(await search("你好"), []);
      assertEquals(await store.messages.indexBacklog(5_000), 5_000);
      assertEquals(await store.messages.indexBacklog(5_000), 1_000);
      assertEquals(await store.messages.indexBacklog(5_000), 0);
      assertEquals((await search("你好")).map((m) => m.id), [
        "7400000000000005999",
        "7400000000000005998",
      ]);
      assertEquals((await search("message 17 你")).map((m) => m.id), ["7400000000000000017"]);
      // The conversion is done once: new messages continue the seqs, and a reopen converts nothing.
      const [next] = await store.messages.save([{
        ...messages[1],
        id: "7500000000000000000",
        clientMsgId: "n",
      }]);
      assertEquals(next.seq, 4001);
    } finally {
      await store.close();
    }
    summary = undefined;
    const again = await openEmbeddedStore({ dataDir, onConverted: (s) => summary = s });
    await again.close();
    assertEquals(summary, undefined);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a data folder serves one embedded store at a time; the next may open it once the first closes", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const first = await openEmbeddedStore({ dataDir });
    const error = await assertRejects(() => openEmbeddedStore({ dataDir }), AppError);
    assertEquals(
      (error as AppError).message,
      `Cannot open the data folder ${dataDir}: another server is using it`,
    );
    await first.close();
    const next = await openEmbeddedStore({ dataDir });
    await next.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
