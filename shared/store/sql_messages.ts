/** The message half of the SQL store: batched, idempotent saves with contiguous seqs, and reads. */
import type { AcceptedMessage, Message, SendResult } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import type { ConversationRow, HistoryQuery } from "./mod.ts";
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from "./sql_rows.ts";

const CHUNK = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function placeholders(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    out.push(`(${cells.join(", ")})`);
  }
  return out.join(", ");
}

function conversationColumns(id: string): [string, string | null, string | null, string | null] {
  if (id.startsWith("g:")) return ["group", null, null, id.slice(2)];
  const [, a, b] = id.split(":");
  return ["user", a, b, null];
}

/** Stores a batch inside transaction `tx`; see `Store.saveMessages`. */
export async function saveMessages(
  tx: SqlDriver,
  batch: readonly AcceptedMessage[],
): Promise<Message[]> {
  const stored = new Map<string, Message>();
  for (const ids of chunks(batch.map((m) => m.id), CHUNK)) {
    const rows = await tx.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = ANY($1::bigint[])`,
      [ids],
    );
    for (const row of rows) stored.set(String(row.id), toMessage(row));
  }

  const fresh = new Map<string, AcceptedMessage[]>();
  const seen = new Set<string>();
  for (const message of batch) {
    if (stored.has(message.id) || seen.has(message.id)) continue;
    seen.add(message.id);
    const list = fresh.get(message.conversationId) ?? [];
    list.push(message);
    fresh.set(message.conversationId, list);
  }

  if (fresh.size > 0) {
    const lastSeq = new Map<string, number>();
    for (const part of chunks([...fresh.entries()], CHUNK)) {
      const params: unknown[] = [];
      for (const [id, list] of part) {
        const last = list[list.length - 1];
        params.push(id, ...conversationColumns(id), list.length, last.id, last.sentAt);
      }
      const rows = await tx.query<{ id: string; last_seq: number }>(
        `INSERT INTO conversations (id, kind, user_a, user_b, group_id, last_seq, last_message_id, updated_at)
         VALUES ${placeholders(part.length, 8)}
         ON CONFLICT (id) DO UPDATE SET last_seq = conversations.last_seq + EXCLUDED.last_seq,
           last_message_id = EXCLUDED.last_message_id,
           updated_at = GREATEST(conversations.updated_at, EXCLUDED.updated_at)
         RETURNING id, last_seq`,
        params,
      );
      for (const row of rows) lastSeq.set(row.id, Number(row.last_seq));
    }

    const inserts: Message[] = [];
    for (const [id, list] of fresh) {
      let seq = lastSeq.get(id)! - list.length;
      for (const message of list) {
        const full = { ...message, seq: ++seq };
        inserts.push(full);
        stored.set(full.id, full);
      }
    }
    for (const part of chunks(inserts, CHUNK)) {
      const params: unknown[] = [];
      for (const m of part) {
        params.push(
          m.id,
          m.conversationId,
          m.seq,
          m.from,
          m.to.type,
          m.to.id,
          JSON.stringify(m.content),
          m.sentAt,
          m.clientMsgId,
        );
      }
      await tx.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, target_type, target_id, content, sent_at, client_msg_id)
         VALUES ${placeholders(part.length, 9)}`,
        params,
      );
    }
  }

  return batch.flatMap((m) => stored.get(m.id) ?? []).filter((m, i, all) => all.indexOf(m) === i);
}

/** The first answers to (sender, clientMsgId) keys stored since `since`, by `sender:clientMsgId`. */
export async function messagesByClientIds(
  db: SqlDriver,
  keys: readonly { senderId: string; clientMsgId: string }[],
  since: number,
): Promise<Map<string, SendResult>> {
  const found = new Map<string, SendResult>();
  if (keys.length === 0) return found;
  const rows = await db.query<
    { id: string; sender_id: string; client_msg_id: string; conversation_id: string }
  >(
    `SELECT DISTINCT ON (m.sender_id, m.client_msg_id) m.id, m.sender_id, m.client_msg_id, m.conversation_id
     FROM messages m JOIN unnest($1::bigint[], $2::text[]) AS k(sender_id, client_msg_id)
       ON m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id
     WHERE m.sent_at >= $3
     ORDER BY m.sender_id, m.client_msg_id, m.id`,
    [keys.map((k) => k.senderId), keys.map((k) => k.clientMsgId), since],
  );
  for (const row of rows) {
    found.set(`${row.sender_id}:${row.client_msg_id}`, {
      id: String(row.id),
      clientMsgId: row.client_msg_id,
      conversationId: row.conversation_id,
    });
  }
  return found;
}

/** A page of one conversation, ascending by seq. */
export async function history(
  db: SqlDriver,
  conversationId: string,
  query: HistoryQuery,
): Promise<Message[]> {
  if (query.before !== undefined) {
    const rows = await db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = $1 AND m.seq < $2 AND m.seq > $3
       ORDER BY m.seq DESC LIMIT $4`,
      [conversationId, query.before, query.after ?? 0, query.limit],
    );
    return rows.map(toMessage).reverse();
  }
  const rows = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = $1 AND m.seq > $2
     ORDER BY m.seq LIMIT $3`,
    [conversationId, query.after ?? 0, query.limit],
  );
  return rows.map(toMessage);
}

/** Every conversation of a user that has a message, newest activity first. */
export async function conversations(db: SqlDriver, userId: string): Promise<ConversationRow[]> {
  const rows = await db.query<
    MessageRow & {
      c_id: string;
      kind: "user" | "group";
      user_a: string | null;
      user_b: string | null;
      group_id: string | null;
      last_seq: number;
      read_seq: number;
      unread: number;
    }
  >(
    `SELECT c.id AS c_id, c.kind, c.user_a, c.user_b, c.group_id, c.last_seq,
       COALESCE(r.read_seq, 0) AS read_seq,
       (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id
          AND x.seq > COALESCE(r.read_seq, 0) AND x.sender_id <> $1)::int AS unread,
       ${MESSAGE_COLUMNS}
     FROM conversations c
     JOIN messages m ON m.id = c.last_message_id
     LEFT JOIN read_marks r ON r.user_id = $1 AND r.conversation_id = c.id
     WHERE c.user_a = $1 OR c.user_b = $1
        OR c.group_id IN (SELECT group_id FROM group_members WHERE user_id = $1)
     ORDER BY c.updated_at DESC, c.id`,
    [userId],
  );
  return rows.map((row) => ({
    id: row.c_id,
    type: row.kind,
    peerId: row.kind === "user"
      ? (String(row.user_a) === userId ? String(row.user_b) : String(row.user_a))
      : null,
    groupId: row.group_id === null ? null : String(row.group_id),
    lastSeq: Number(row.last_seq),
    readSeq: Number(row.read_seq),
    unread: Number(row.unread),
    lastMessage: toMessage(row),
  }));
}
