/**
 * Migration 5 (messages version 2) on a database that has messages already:
 * what its tests, one per dialect, put in a database at version 4, and what
 * they expect of the store the migration then leaves.
 */
import { assertEquals } from "../../../tests/assert.ts";
import type { Message } from "../../types.ts";
import { MIGRATIONS } from "../migrations.ts";
import type { Store } from "../mod.ts";

const CONVERSATION = "u:1:2";

/** The statements that make a database at version 4: two users, three messages, a read mark, an image. */
export function messagesAtVersion4(dialect: "sql" | "sqlite"): string[] {
  return [
    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    ...MIGRATIONS.slice(0, 4).map((m) => m[dialect]),
    `INSERT INTO schema_migrations VALUES (1, 'initial schema', 0), (2, 'skeletons', 0),
       (3, 'history', 0), (4, 'settings', 0)`,
    `INSERT INTO users (id, username, username_lower, skeleton, password_hash, nickname, created_at)
     VALUES (1, 'ann', 'ann', 'ann', 'h', 'Ann', 5), (2, 'bob', 'bob', 'bob', 'h', 'Bob', 6)`,
    `INSERT INTO conversations (id, kind, user_a, user_b, group_id, last_seq, last_message_id, updated_at)
     VALUES ('${CONVERSATION}', 'user', 1, 2, NULL, 3, 13, 30)`,
    `INSERT INTO messages (id, conversation_id, seq, sender_id, target_type, target_id, content, sent_at, client_msg_id)
     VALUES (11, '${CONVERSATION}', 1, 1, 'user', 2, '{"type":"text","text":"hello"}', 10, 'c1'),
            (12, '${CONVERSATION}', 2, 2, 'user', 1, '{"type":"text","text":"hi"}', 20, 'c2'),
            (13, '${CONVERSATION}', 3, 1, 'user', 2, '{"type":"image","mediaId":"old-image","url":"/api/media/old-image"}', 30, 'c3')`,
    `INSERT INTO read_marks (user_id, conversation_id, read_seq) VALUES (2, '${CONVERSATION}', 1)`,
    "INSERT INTO media_blobs (sha256, bytes) VALUES ('old-sha', 'x')",
    `INSERT INTO media (id, sha256, content_type, size, width, height, owner_id, created_at)
     VALUES ('old-image', 'old-sha', 'image/png', 1, 1, 1, 1, 7)`,
  ];
}

/** Old messages read as plain messages (no reply, not edited), count as before, and take edits and recalls. */
export async function assertOldMessagesKept(store: Store): Promise<void> {
  const to = (id: string) => ({ type: "user" as const, id });
  const old: Message[] = [
    {
      id: "11",
      conversationId: CONVERSATION,
      seq: 1,
      from: "1",
      to: to("2"),
      content: { type: "text", text: "hello" },
      sentAt: 10,
      clientMsgId: "c1",
    },
    {
      id: "12",
      conversationId: CONVERSATION,
      seq: 2,
      from: "2",
      to: to("1"),
      content: { type: "text", text: "hi" },
      sentAt: 20,
      clientMsgId: "c2",
    },
    {
      id: "13",
      conversationId: CONVERSATION,
      seq: 3,
      from: "1",
      to: to("2"),
      content: { type: "image", mediaId: "old-image", url: "/api/media/old-image" },
      sentAt: 30,
      clientMsgId: "c3",
    },
  ];
  assertEquals(await store.messages.history(CONVERSATION, { limit: 10 }), old);
  const [row] = await store.messages.conversations("2");
  assertEquals([row.lastSeq, row.readSeq, row.unread, row.mentioned], [3, 1, 1, false]);
  assertEquals(row.lastMessage, old[2]);
  assertEquals(await store.messages.reads(CONVERSATION), [{ userId: "2", seq: 1 }]);
  assertEquals((await store.media.info("old-image"))?.name, undefined, "an image has no name");
  const update = (id: string, action: "edit" | "recall", target: Message) => ({
    id,
    conversationId: CONVERSATION,
    from: "1",
    to: to("2"),
    content: { type: "update" as const, action, target },
    sentAt: 40,
    clientMsgId: null,
  });
  await store.messages.save([
    update("14", "edit", { ...old[0], content: { type: "text", text: "hello, edited" } }),
    update("15", "recall", { ...old[2], content: { type: "recalled", recalledBy: "1" } }),
  ]);
  const after = await store.messages.history(CONVERSATION, { limit: 10 });
  assertEquals(after.map((m) => [m.seq, m.content.type]), [
    [1, "text"],
    [2, "text"],
    [3, "recalled"],
    [4, "update"],
    [5, "update"],
  ]);
  assertEquals([after[0].content, after[0].editedAt], [
    { type: "text", text: "hello, edited" },
    40,
  ]);
  assertEquals(await store.media.info("old-image"), null, "a recalled old image is deleted");
}
