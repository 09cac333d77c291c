/**
 * Update entries applied to their targets (`MessageStore.save`), and the
 * mention rows a message has: what an edit keeps and a recall removes.
 */
import { isFullTarget } from "../message_view.ts";
import type { AcceptedMessage, Content } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import { indexEntries, unindexMessage } from "./sql_search.ts";

/** The user id of a mention row that mentions everyone (`mentionAll`); snowflakes are never 0. */
export const EVERYONE = "0";

/** The user ids of the mention rows of a content: its mentions, and EVERYONE for `mentionAll`. */
export function mentionRows(content: Content): string[] {
  if (content.type !== "text") return [];
  const ids = new Set(content.mentions ?? []);
  if (content.mentionAll) ids.add(EVERYONE);
  return [...ids];
}

/**
 * Applies a new update entry to its target (of the same conversation; any
 * other entry changes nothing): an edit replaces a text's text, its mentions
 * kept, unless the target is no longer a text (recalled by then) or has an
 * edit sent later (two logic instances' clocks: the later `editedAt` wins, as
 * clients applying the entries decide, so they converge on the store); a recall
 * makes the content `recalled`, deletes its mention rows, and an image's or
 * file's own media (the copy its save made), with the bytes no other media
 * shares. A recall takes the target out of the search index; an edit (with
 * `searchIndex`) replaces its entry by the new text. A recalled target stays as it is.
 */
export async function applyUpdate(
  tx: SqlDriver,
  entry: AcceptedMessage,
  searchIndex: boolean,
): Promise<void> {
  const update = entry.content;
  if (update.type !== "update") return;
  const key = [entry.conversationId, update.target.id];
  const [row] = await tx.query<
    { content: string; kind: string; seq: number; edited_at: string | null }
  >(
    `SELECT m.content, m.kind, m.seq, m.edited_at FROM messages m
     WHERE m.conversation_id = $1 AND m.id = $2 FOR UPDATE`,
    key,
  );
  if (!row || row.kind !== "message") return;
  const current = JSON.parse(row.content) as Content;
  const target = isFullTarget(update.target) ? update.target : null;
  if (update.action === "edit") {
    if (current.type !== "text" || target?.content.type !== "text") return;
    if (row.edited_at !== null && Number(row.edited_at) > entry.sentAt) return;
    await tx.query(
      "UPDATE messages SET content = $3, edited_at = $4 WHERE conversation_id = $1 AND id = $2",
      [...key, JSON.stringify({ ...current, text: target.content.text }), entry.sentAt],
    );
    if (searchIndex) {
      await indexEntries(tx, [{
        id: update.target.id,
        conversationId: entry.conversationId,
        text: target.content.text,
      }]);
    }
    return;
  }
  if (current.type === "recalled") return;
  const recalledBy = target?.content.type === "recalled" ? target.content.recalledBy : entry.from;
  await tx.query(
    "UPDATE messages SET content = $3 WHERE conversation_id = $1 AND id = $2",
    [...key, JSON.stringify({ type: "recalled", recalledBy })],
  );
  // Also with the index off: a store that indexed the text before must not keep it.
  if (current.type === "text") await unindexMessage(tx, update.target.id);
  const users = mentionRows(current);
  if (users.length > 0) {
    await tx.query(
      "DELETE FROM mentions WHERE user_id = ANY($1::bigint[]) AND conversation_id = $2 AND seq = $3",
      [users, entry.conversationId, row.seq],
    );
  }
  if (current.type === "image" || current.type === "file") {
    await deleteMessageMedia(tx, current.mediaId, update.target.id);
  }
}

/**
 * Deletes the media of message `messageId`, and its bytes when no other media
 * shares them. Only the message's own copy goes: the upload it was made from,
 * an avatar or another message showing the same bytes stay served. (A message
 * saved before messages had media of their own names its upload, which stays.)
 */
async function deleteMessageMedia(
  tx: SqlDriver,
  mediaId: string,
  messageId: string,
): Promise<void> {
  const [deleted] = await tx.query<{ sha256: string }>(
    "DELETE FROM media WHERE id = $1 AND message_id = $2 RETURNING sha256",
    [mediaId, messageId],
  );
  if (!deleted) return;
  await tx.query(
    `DELETE FROM media_blobs WHERE sha256 = $1
       AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = $1)`,
    [deleted.sha256],
  );
}
