/** How many statements a save batch costs on the PostgreSQL dialect (PGlite, migrated): its fast path, search index entries included. */
import { assertEquals } from "../../tests/assert.ts";
import type { AcceptedMessage, Message } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import { openPgliteDriver } from "./pglite.ts";
import { saveMessages } from "./sql_save.ts";

/** `db`, counting the statements it and its transactions run in `count.n`. */
function counting(db: SqlDriver, count: { n: number }): SqlDriver {
  return {
    dialect: db.dialect,
    query: (text, params) => (count.n++, db.query(text, params)),
    transaction: (fn) => db.transaction((tx) => fn(counting(tx, count))),
    exec: (script) => db.exec(script),
    close: () => db.close(),
  };
}

let nextId = 9_000_000_000n;
function sent(conversationId: string, content: AcceptedMessage["content"]): AcceptedMessage {
  const id = String(nextId++);
  return {
    id,
    conversationId,
    from: "1",
    to: { type: "user", id: conversationId.split(":")[2] },
    content,
    sentAt: Number(nextId),
    clientMsgId: `c${id}`,
  };
}

Deno.test("PostgreSQL save: a batch's messages take one statement, with or without updates and media", async () => {
  const raw = await openPgliteDriver({ dataDir: "memory://" });
  try {
    await raw.query(
      `INSERT INTO users (id, username, username_lower, skeleton, password_hash, nickname, created_at)
       VALUES (1, 'ann', 'ann', 'ann', 'h', 'Ann', 1)`,
    );
    await raw.query("INSERT INTO media_blobs (sha256, bytes) VALUES ('sha', 'x')");
    await raw.query(
      `INSERT INTO media (id, sha256, content_type, size, width, height, owner_id, created_at)
       VALUES ('upload', 'sha', 'image/png', 1, 1, 1, 1, 1)`,
    );
    const count = { n: 0 };
    const db = counting(raw, count);
    const conversations = Array.from({ length: 50 }, (_, i) => `u:1:${i + 2}`);
    const plain = () =>
      conversations.flatMap((c) =>
        ["a", "b", "c", "d"].map((text) => sent(c, { type: "text", text }))
      );
    const statements = async (batch: AcceptedMessage[]) => {
      count.n = 0;
      const saved = await saveMessages(db, batch, true);
      return { saved, n: count.n };
    };

    const [first] = (await statements(plain())).saved;
    const image = (n: number) => ({
      ...sent(conversations[n], { type: "image", mediaId: `own${n}`, url: `/api/media/own${n}` }),
      mediaSource: "upload",
    });
    const withMedia = await statements([...plain(), image(0), image(1)]);
    const target: Message = { ...first, content: { type: "text", text: "edited" } };
    const edit: AcceptedMessage = {
      ...sent(first.conversationId, { type: "update", action: "edit", target }),
      clientMsgId: null,
    };
    const batch = [...plain(), edit];
    const withEdit = await statements(batch);
    const replayed = await statements(batch);
    // The edit adds its apply (the target locked, changed, queued to be indexed again) and the
    // read of its target; the texts are queued for the search index by the batch's one statement.
    assertEquals(
      { plain: (await statements(plain())).n, withMedia: withMedia.n, withEdit: withEdit.n },
      { plain: 1, withMedia: 1, withEdit: 1 + 3 + 1 },
    );
    const [{ n: queued }] = await raw.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM search_pending",
    );
    assertEquals(queued, 50 * 4 * 4, "every text message saved is queued for the search index");
    assertEquals(replayed.saved, withEdit.saved, "a replay answers the same, applying nothing");
    const [row] = await raw.query<{ owner_id: string; sha256: string }>(
      "SELECT owner_id, sha256 FROM media WHERE id = 'own1'",
    );
    assertEquals([String(row.owner_id), row.sha256], ["1", "sha"]);
    const [edited] = await raw.query<{ content: string; edited_at: string }>(
      "SELECT content, edited_at FROM messages WHERE id = $1",
      [first.id],
    );
    assertEquals([JSON.parse(edited.content).text, Number(edited.edited_at)], [
      "edited",
      edit.sentAt,
    ]);
    assertEquals(withEdit.saved.at(-1)?.seq, 14, "the edit's seq follows the batch's messages");
  } finally {
    await raw.close();
  }
});
