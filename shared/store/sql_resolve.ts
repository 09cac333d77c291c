/**
 * Messages as every read path gives them (`MessageStore`): a reply with the
 * current preview of the message it quotes, an update entry with its target's
 * current version. Rows keep only ids (`reply_to_id`, the entry's `{id, seq}`),
 * so an edit or recall shows wherever the message is quoted or updated.
 */
import { previewOf, replyPreview } from "../message_view.ts";
import type { Content, Message } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from "./sql_rows.ts";

/** A message as its row has it, with the id of the message it answers. */
export interface StoredMessage {
  message: Message;
  replyToId: string | null;
}

/** A messages row as a StoredMessage. */
export function toStored(row: MessageRow): StoredMessage {
  return {
    message: toMessage(row),
    replyToId: row.reply_to_id === null ? null : String(row.reply_to_id),
  };
}

/** The ids a message refers to: the message it answers, an update entry's target. */
function references({ message, replyToId }: StoredMessage): string[] {
  const ids = replyToId === null ? [] : [replyToId];
  if (message.content.type === "update") ids.push(message.content.target.id);
  return ids;
}

/** A referenced message's row, with the id, seq, sender and content of the one it answers. */
type ReferencedRow = MessageRow & {
  q_id: string | null;
  q_seq: number | null;
  q_sender_id: string | null;
  q_content: string | null;
};

/** A referenced message in its current version, its own reply resolved from the joined row. */
function toReferenced(row: ReferencedRow): Message {
  const message = toMessage(row);
  if (row.q_id !== null) {
    message.replyTo = {
      id: String(row.q_id),
      seq: Number(row.q_seq),
      from: String(row.q_sender_id),
      preview: previewOf(JSON.parse(row.q_content!) as Content),
    };
  }
  return message;
}

/**
 * The messages of `list` resolved, in its order: one query for the messages
 * they refer to (with the replies of those joined), none when they refer to
 * nothing. Keyed by conversation id as well as message id, as every hot read is.
 * A reference to a message that is not there (or not in the same
 * conversation) is left as stored: no `replyTo`, a target of `{id, seq}`.
 */
export async function resolve(db: SqlDriver, list: readonly StoredMessage[]): Promise<Message[]> {
  const ids = new Set(list.flatMap(references));
  if (ids.size === 0) return list.map((stored) => stored.message);
  const conversations = new Set(list.map((stored) => stored.message.conversationId));
  const rows = await db.query<ReferencedRow>(
    `SELECT ${MESSAGE_COLUMNS},
       q.id AS q_id, q.seq AS q_seq, q.sender_id AS q_sender_id, q.content AS q_content
     FROM messages m
     LEFT JOIN messages q ON q.conversation_id = m.conversation_id AND q.id = m.reply_to_id
     WHERE m.conversation_id = ANY($1::text[]) AND m.id = ANY($2::bigint[])`,
    [[...conversations], [...ids]],
  );
  const found = new Map(rows.map((row) => [String(row.id), toReferenced(row)]));
  const inSame = (id: string, of: Message) => {
    const referenced = found.get(id);
    return referenced?.conversationId === of.conversationId ? referenced : undefined;
  };
  return list.map(({ message, replyToId }) => {
    let out = message;
    const quoted = replyToId === null ? undefined : inSame(replyToId, message);
    if (quoted) out = { ...out, replyTo: replyPreview(quoted) };
    const content = out.content;
    const target = content.type === "update" ? inSame(content.target.id, message) : undefined;
    if (content.type === "update" && target) out = { ...out, content: { ...content, target } };
    return out;
  });
}
