/** The message port on SQL: reads, summaries and read marks; saving is in sql_save.ts. */
import type { AcceptedMessage, Message, SendResult } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import type {
  ConversationRow,
  HistoryQuery,
  MessageSearch,
  MessageStore,
  SettingsPatch,
} from "./mod.ts";
import { conversation, conversations, updateSettings } from "./sql_conversations.ts";
import { resolve, toStored } from "./sql_resolve.ts";
import { MESSAGE_COLUMNS, type MessageRow } from "./sql_rows.ts";
import { saveMessages } from "./sql_save.ts";
import { indexBacklog, searchMessages } from "./sql_search.ts";

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

/** A page of one conversation, ascending by seq, resolved. */
async function history(
  db: SqlDriver,
  conversationId: string,
  query: HistoryQuery,
): Promise<Message[]> {
  const rows = query.before !== undefined
    ? (await db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = $1 AND m.seq < $2 AND m.seq > $3
       ORDER BY m.seq DESC LIMIT $4`,
      [conversationId, query.before, query.after ?? 0, query.limit],
    )).reverse()
    : await db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = $1 AND m.seq > $2
       ORDER BY m.seq LIMIT $3`,
      [conversationId, query.after ?? 0, query.limit],
    );
  return await resolve(db, rows.map(toStored));
}

/** Whether an id may name a message: a bigint, which the engine can compare without failing. */
function isMessageId(id: string): boolean {
  return /^\d{1,19}$/.test(id) && BigInt(id) <= 0x7fffffffffffffffn;
}

/**
 * Messages and read marks over an SQL driver whose failures are already
 * AppErrors. With `searchIndex` false (benchmarks only) saves write no search
 * index entries and the backlog indexes nothing (sql_search.ts).
 */
export class SqlMessageStore implements MessageStore {
  readonly #db: SqlDriver;
  readonly #searchIndex: boolean;

  constructor(db: SqlDriver, { searchIndex = true }: { searchIndex?: boolean } = {}) {
    this.#db = db;
    this.#searchIndex = searchIndex;
  }

  async save(messages: readonly AcceptedMessage[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    return await saveMessages(this.#db, messages, this.#searchIndex);
  }

  /** From the search index (sql_search.ts); the scope and floors are checked in the same query. */
  search(query: MessageSearch): Promise<Message[]> {
    return searchMessages(this.#db, query);
  }

  async indexBacklog(limit: number): Promise<number> {
    return this.#searchIndex ? await indexBacklog(this.#db, limit) : 0;
  }

  async get(conversationId: string, ids: readonly string[]): Promise<Message[]> {
    const wanted = [...new Set(ids)].filter(isMessageId);
    if (wanted.length === 0) return [];
    const rows = await this.#db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.conversation_id = $1 AND m.id = ANY($2::bigint[]) ORDER BY m.seq`,
      [conversationId, wanted],
    );
    return await resolve(this.#db, rows.map(toStored));
  }

  async byId(id: string): Promise<Message | null> {
    if (!isMessageId(id)) return null;
    const rows = await this.#db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1`,
      [id],
    );
    return rows[0] ? (await resolve(this.#db, [toStored(rows[0])]))[0] : null;
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

  conversation(userId: string, conversationId: string): Promise<ConversationRow> {
    return conversation(this.#db, userId, conversationId);
  }

  updateSettings(userId: string, conversationId: string, patch: SettingsPatch): Promise<void> {
    return updateSettings(this.#db, userId, conversationId, patch);
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<number | null> {
    // One statement: the mark moves, and says so, only when it advances.
    const rows = await this.#db.query<{ read_seq: number }>(
      `INSERT INTO read_marks (user_id, conversation_id, read_seq)
       SELECT $1, c.id, LEAST($3, c.last_seq) FROM conversations c
       WHERE c.id = $2 AND LEAST($3, c.last_seq) > 0
       ON CONFLICT (user_id, conversation_id) DO UPDATE SET read_seq = EXCLUDED.read_seq
         WHERE read_marks.read_seq < EXCLUDED.read_seq
       RETURNING read_seq`,
      [userId, conversationId, seq],
    );
    return rows[0] ? Number(rows[0].read_seq) : null;
  }

  async readMark(userId: string, conversationId: string): Promise<number> {
    const rows = await this.#db.query<{ read_seq: number }>(
      "SELECT read_seq FROM read_marks WHERE user_id = $1 AND conversation_id = $2",
      [userId, conversationId],
    );
    return rows.length > 0 ? Number(rows[0].read_seq) : 0;
  }

  /** A group's read marks are its members' only: removing a member keeps their mark, unlisted. */
  async reads(conversationId: string): Promise<{ userId: string; seq: number }[]> {
    const rows = await this.#db.query<{ user_id: string; read_seq: number }>(
      `SELECT r.user_id, r.read_seq FROM read_marks r
       LEFT JOIN conversations c ON c.id = r.conversation_id
       WHERE r.conversation_id = $1 AND r.read_seq > 0
         AND (c.group_id IS NULL OR EXISTS (
           SELECT 1 FROM group_members gm WHERE gm.group_id = c.group_id AND gm.user_id = r.user_id))
       ORDER BY r.user_id`,
      [conversationId],
    );
    return rows.map((row) => ({ userId: String(row.user_id), seq: Number(row.read_seq) }));
  }
}
