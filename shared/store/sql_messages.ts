/** The message port on SQL: batched, idempotent saves with contiguous seqs, and reads. */
import type { AcceptedMessage, Message, SendResult } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import type { ConversationRow, HistoryQuery, MessageStore } from "./mod.ts";
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from "./sql_rows.ts";

/**
 * Stores a batch in one statement, so in one round trip and one commit; see
 * `MessageStore.save`. Each conversation's row is bumped by its count of new
 * messages, which are numbered back from the bumped last seq in batch order.
 * Messages stored before are read back with the seqs they have.
 */
async function saveMessages(
  db: SqlDriver,
  batch: readonly AcceptedMessage[],
): Promise<Message[]> {
  const unique = [...new Map(batch.map((m) => [m.id, m])).values()];
  if (db.dialect === "sqlite") return await saveInProcess(db, unique);
  const rows = await db.query<{ id: string; seq: number }>(
    `WITH b AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[],
                            $6::text[], $7::bigint[], $8::text[])
         WITH ORDINALITY AS t(id, conversation_id, sender_id, target_type, target_id, content,
                              sent_at, client_msg_id, n)
     ),
     fresh AS (SELECT b.* FROM b WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = b.id)),
     counts AS (
       SELECT conversation_id, count(*)::integer AS added, max(n) AS last_n
       FROM fresh GROUP BY conversation_id
     ),
     bumped AS (
       INSERT INTO conversations (id, kind, user_a, user_b, group_id, last_seq, last_message_id, updated_at)
       SELECT c.conversation_id,
              CASE WHEN c.conversation_id LIKE 'g:%' THEN 'group' ELSE 'user' END,
              CASE WHEN c.conversation_id LIKE 'u:%' THEN split_part(c.conversation_id, ':', 2)::bigint END,
              CASE WHEN c.conversation_id LIKE 'u:%' THEN split_part(c.conversation_id, ':', 3)::bigint END,
              CASE WHEN c.conversation_id LIKE 'g:%' THEN substr(c.conversation_id, 3)::bigint END,
              c.added, f.id, f.sent_at
       FROM counts c JOIN fresh f ON f.n = c.last_n
       ON CONFLICT (id) DO UPDATE SET last_seq = conversations.last_seq + EXCLUDED.last_seq,
         last_message_id = EXCLUDED.last_message_id,
         updated_at = GREATEST(conversations.updated_at, EXCLUDED.updated_at)
       RETURNING id, last_seq
     )
     INSERT INTO messages (id, conversation_id, seq, sender_id, target_type, target_id, content, sent_at, client_msg_id)
     SELECT f.id, f.conversation_id,
            bumped.last_seq - c.added + row_number() OVER (PARTITION BY f.conversation_id ORDER BY f.n),
            f.sender_id, f.target_type, f.target_id, f.content, f.sent_at, f.client_msg_id
     FROM fresh f JOIN counts c USING (conversation_id) JOIN bumped ON bumped.id = f.conversation_id
     RETURNING id, seq`,
    [
      unique.map((m) => m.id),
      unique.map((m) => m.conversationId),
      unique.map((m) => m.from),
      unique.map((m) => m.to.type),
      unique.map((m) => m.to.id),
      unique.map((m) => JSON.stringify(m.content)),
      unique.map((m) => m.sentAt),
      unique.map((m) => m.clientMsgId),
    ],
  );
  const stored = new Map<string, Message>();
  const byId = new Map(unique.map((m) => [m.id, m]));
  for (const row of rows) {
    const id = String(row.id);
    stored.set(id, { ...byId.get(id)!, seq: Number(row.seq) });
  }
  const before = unique.filter((m) => !stored.has(m.id)).map((m) => m.id);
  if (before.length > 0) {
    const old = await db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = ANY($1::bigint[])`,
      [before],
    );
    for (const row of old) stored.set(String(row.id), toMessage(row));
  }
  return unique.flatMap((m) => stored.get(m.id) ?? []);
}

/** A conversation row's own columns, from its id (`u:<a>:<b>` or `g:<group>`). */
function conversationColumns(
  id: string,
): [kind: string, a: string | null, b: string | null, group: string | null] {
  const [prefix, first, second] = id.split(":");
  return prefix === "g" ? ["group", null, null, first] : ["user", first, second ?? null, null];
}

/**
 * `saveMessages()` for an engine in this process (SQLite), where a statement
 * costs microseconds rather than a round trip: in one transaction, messages
 * stored before are read back, each conversation is bumped once by its count
 * of new messages, and the new ones are inserted numbered from there.
 */
function saveInProcess(db: SqlDriver, unique: readonly AcceptedMessage[]): Promise<Message[]> {
  return db.transaction(async (tx) => {
    const stored = new Map<string, Message>();
    const old = await tx.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = ANY($1::bigint[])`,
      [unique.map((m) => m.id)],
    );
    for (const row of old) stored.set(String(row.id), toMessage(row));
    const fresh = new Map<string, AcceptedMessage[]>();
    for (const m of unique) {
      if (stored.has(m.id)) continue;
      const list = fresh.get(m.conversationId);
      if (list) list.push(m);
      else fresh.set(m.conversationId, [m]);
    }
    for (const [conversationId, messages] of fresh) {
      const last = messages[messages.length - 1];
      const [bumped] = await tx.query<{ last_seq: number }>(
        `INSERT INTO conversations (id, kind, user_a, user_b, group_id, last_seq, last_message_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET last_seq = conversations.last_seq + EXCLUDED.last_seq,
           last_message_id = EXCLUDED.last_message_id,
           updated_at = GREATEST(conversations.updated_at, EXCLUDED.updated_at)
         RETURNING last_seq`,
        [
          conversationId,
          ...conversationColumns(conversationId),
          messages.length,
          last.id,
          last.sentAt,
        ],
      );
      let seq = Number(bumped.last_seq) - messages.length;
      for (const m of messages) {
        seq++;
        await tx.query(
          `INSERT INTO messages (id, conversation_id, seq, sender_id, target_type, target_id, content, sent_at, client_msg_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            m.id,
            m.conversationId,
            seq,
            m.from,
            m.to.type,
            m.to.id,
            JSON.stringify(m.content),
            m.sentAt,
            m.clientMsgId,
          ],
        );
        stored.set(m.id, { ...m, seq });
      }
    }
    return unique.flatMap((m) => stored.get(m.id) ?? []);
  });
}

/** The first answers to (sender, clientMsgId) keys stored since `since`, by `sender:clientMsgId`. */
async function messagesByClientIds(
  db: SqlDriver,
  keys: readonly { senderId: string; clientMsgId: string }[],
  since: number,
): Promise<Map<string, SendResult>> {
  const found = new Map<string, SendResult>();
  if (keys.length === 0) return found;
  type Row = { id: string; sender_id: string; client_msg_id: string; conversation_id: string };
  const rows: Row[] = db.dialect === "sqlite"
    // No unnest of two arrays there, and a lookup by the index costs no round trip.
    ? (await Promise.all(keys.map((k) =>
      db.query<Row>(
        `SELECT m.id, m.sender_id, m.client_msg_id, m.conversation_id FROM messages m
         WHERE m.sender_id = $1 AND m.client_msg_id = $2 AND m.sent_at >= $3 ORDER BY m.id LIMIT 1`,
        [k.senderId, k.clientMsgId, since],
      )
    ))).flat()
    : await db.query<Row>(
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
async function history(
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
async function conversations(db: SqlDriver, userId: string): Promise<ConversationRow[]> {
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
      floor: number;
    }
  >(
    `SELECT c.id AS c_id, c.kind, c.user_a, c.user_b, c.group_id, c.last_seq, c.floor,
       GREATEST(COALESCE(r.read_seq, 0), c.floor) AS read_seq,
       (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id
          AND x.seq > GREATEST(COALESCE(r.read_seq, 0), c.floor) AND x.sender_id <> $1)::int AS unread,
       ${MESSAGE_COLUMNS}
     FROM (
       SELECT c.*, COALESCE((
         SELECT CASE WHEN g.history = 'all' THEN 0 ELSE gm.join_seq END
         FROM group_members gm JOIN groups g ON g.id = gm.group_id
         WHERE gm.group_id = c.group_id AND gm.user_id = $1
       ), 0) AS floor
       FROM conversations c
       WHERE c.user_a = $1 OR c.user_b = $1
          OR c.group_id IN (SELECT group_id FROM group_members WHERE user_id = $1)
     ) c
     JOIN messages m ON m.id = c.last_message_id
     LEFT JOIN read_marks r ON r.user_id = $1 AND r.conversation_id = c.id
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
    lastMessage: Number(row.last_seq) > Number(row.floor) ? toMessage(row) : null,
  }));
}

/** Messages and read marks over an SQL driver whose failures are already AppErrors. */
export class SqlMessageStore implements MessageStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async save(messages: readonly AcceptedMessage[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    return await saveMessages(this.#db, messages);
  }

  byClientIds(
    keys: readonly { senderId: string; clientMsgId: string }[],
    since: number,
  ): Promise<Map<string, SendResult>> {
    return messagesByClientIds(this.#db, keys, since);
  }

  async newestAt(): Promise<number | null> {
    // Ids are snowflakes, ordered by time: the primary key finds the newest.
    const rows = await this.#db.query<{ sent_at: string }>(
      "SELECT sent_at FROM messages ORDER BY id DESC LIMIT 1",
    );
    return rows[0] ? Number(rows[0].sent_at) : null;
  }

  history(conversationId: string, query: HistoryQuery): Promise<Message[]> {
    return history(this.#db, conversationId, query);
  }

  conversations(userId: string): Promise<ConversationRow[]> {
    return conversations(this.#db, userId);
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO read_marks (user_id, conversation_id, read_seq)
       SELECT $1, c.id, LEAST($3, c.last_seq) FROM conversations c WHERE c.id = $2
       ON CONFLICT (user_id, conversation_id)
       DO UPDATE SET read_seq = GREATEST(read_marks.read_seq, EXCLUDED.read_seq)`,
      [userId, conversationId, seq],
    );
  }
}
