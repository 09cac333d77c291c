/**
 * `MessageStore.save()` on SQL: batched, idempotent saves with contiguous seqs,
 * mention rows, media copies of image and file messages, update entries
 * applied to their targets, and the join seqs `joined` system messages set.
 */
import { isUpdate } from "../message_view.ts";
import type { AcceptedMessage, Content, Message } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import { resolve, type StoredMessage, toStored } from "./sql_resolve.ts";
import { MESSAGE_COLUMNS, type MessageRow } from "./sql_rows.ts";
import { indexEntries, pgVector, type SearchEntry, searchEntry } from "./sql_search.ts";
import { applyUpdate, mentionRows } from "./sql_updates.ts";

/** What a row stores of a new message: an update's target as `{id, seq}`, the quoted message by id. */
function storedOf(m: AcceptedMessage, seq: number): StoredMessage {
  const content: Content = m.content.type === "update"
    ? {
      type: "update",
      action: m.content.action,
      target: { id: m.content.target.id, seq: m.content.target.seq },
    }
    : m.content;
  return {
    message: {
      id: m.id,
      conversationId: m.conversationId,
      seq,
      from: m.from,
      to: m.to,
      content,
      sentAt: m.sentAt,
      clientMsgId: m.clientMsgId,
    },
    replyToId: m.replyTo?.id ?? null,
  };
}

/** The messages of a batch that are stored already, as they are. */
async function storedMessages(
  db: SqlDriver,
  batch: readonly AcceptedMessage[],
): Promise<StoredMessage[]> {
  const rows = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m
     WHERE m.conversation_id = ANY($1::text[]) AND m.id = ANY($2::bigint[])`,
    [[...new Set(batch.map((m) => m.conversationId))], batch.map((m) => m.id)],
  );
  return rows.map(toStored);
}

/**
 * Stores a batch; see `MessageStore.save`. On PostgreSQL every entry of a batch
 * is saved in one statement (one round trip), with the media copies of image
 * and file messages. A batch with update entries takes a transaction: that
 * statement, then the apply of each entry it found new, in batch order, so that
 * an entry is never stored without being applied (a replay finds it stored and
 * applies nothing). A batch so costs O(1) + O(new updates) statements, however
 * many messages it has. On SQLite (where a statement costs microseconds, not a
 * round trip), any batch takes one transaction of small statements.
 *
 * With `searchIndex`, the new text messages get their search index entries in
 * the same transaction (sql_search.ts): on PostgreSQL in the batch's statement,
 * on SQLite in one more statement for the whole batch; an applied edit replaces
 * its target's entry, a recall drops it.
 */
export async function saveMessages(
  db: SqlDriver,
  batch: readonly AcceptedMessage[],
  searchIndex: boolean,
): Promise<Message[]> {
  const unique = [...new Map(batch.map((m) => [m.id, m])).values()];
  const stored = db.dialect === "sqlite"
    ? await saveInTransaction(db, unique, searchIndex)
    : unique.some(isUpdate)
    ? await db.transaction(async (tx) => {
      const { stored, fresh } = await saveInOneStatement(tx, unique, searchIndex);
      for (const m of unique) {
        if (isUpdate(m) && fresh.has(m.id)) await applyUpdate(tx, m, searchIndex);
      }
      return stored;
    })
    : (await saveInOneStatement(db, unique, searchIndex)).stored;
  return await resolve(db, stored);
}

/** The kind column of a message: an update entry, a system message, or a user's message. */
function kindOf(m: AcceptedMessage): "update" | "system" | "message" {
  return isUpdate(m) ? "update" : m.content.type === "system" ? "system" : "message";
}

/**
 * The member whose join seq a `joined` system message moves up to the seq
 * before it (`MessageStore.save`), with their group; null for any other message.
 */
function joinOf(m: AcceptedMessage): { groupId: string; userId: string } | null {
  const { content } = m;
  if (content.type !== "system" || content.event !== "joined" || !content.userId) return null;
  if (m.to.type !== "group") return null;
  return { groupId: m.to.id, userId: content.userId };
}

/** The media of its own an image or file message is to get: its id, and the media it copies. */
function mediaCopy(m: AcceptedMessage): { mediaId: string; source: string } | null {
  const { content } = m;
  if (m.mediaSource === undefined || (content.type !== "image" && content.type !== "file")) {
    return null;
  }
  return { mediaId: content.mediaId, source: m.mediaSource };
}

/**
 * The entries of a batch in one statement: each conversation's row is bumped
 * by its count of new entries, which are numbered back from the bumped last seq
 * in batch order, with their mention rows, media copies and join seqs; its last message
 * and activity move to its last new message or system message (update entries count
 * in the seqs, not in the activity order), and with `searchIndex` the search index
 * entries of its new text messages. Entries stored before are read back with
 * the seqs they have; `fresh` has the ids of the new ones.
 */
async function saveInOneStatement(
  db: SqlDriver,
  unique: readonly AcceptedMessage[],
  searchIndex: boolean,
): Promise<{ stored: StoredMessage[]; fresh: Set<string> }> {
  const params: unknown[] = [];
  const param = (values: unknown[], type: string) => `$${params.push(values)}::${type}[]`;
  const entries = unique.map((m) => storedOf(m, 0));
  const batch = [
    param(unique.map((m) => m.id), "bigint"),
    param(unique.map((m) => m.conversationId), "text"),
    param(unique.map((m) => m.from), "bigint"),
    param(unique.map((m) => m.to.type), "text"),
    param(unique.map((m) => m.to.id), "bigint"),
    param(entries.map((e) => JSON.stringify(e.message.content)), "text"),
    param(unique.map((m) => m.sentAt), "bigint"),
    param(unique.map((m) => m.clientMsgId), "text"),
    param(unique.map(kindOf), "text"),
    param(entries.map((e) => e.replyToId), "bigint"),
  ].join(", ");
  const mentions = unique.flatMap((m) => mentionRows(m.content).map((user) => [m.id, user]));
  const copies = unique.flatMap((m) => {
    const copy = mediaCopy(m);
    return copy ? [{ id: m.id, ...copy }] : [];
  });
  const joins = unique.flatMap((m) => {
    const join = joinOf(m);
    return join ? [{ id: m.id, ...join }] : [];
  });
  const searched = searchIndex ? unique.flatMap((m) => searchEntry(m) ?? []) : [];
  const rows = await db.query<{ id: string; seq: number }>(
    `WITH b AS (
       SELECT * FROM unnest(${batch})
         WITH ORDINALITY AS t(id, conversation_id, sender_id, target_type, target_id, content,
                              sent_at, client_msg_id, kind, reply_to_id, n)
     ),
     fresh AS (SELECT b.* FROM b WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = b.id)),
     counts AS (
       SELECT conversation_id, count(*)::integer AS added,
              COALESCE(max(n) FILTER (WHERE kind <> 'update'), max(n)) AS last_n
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
       ORDER BY c.conversation_id
       ON CONFLICT (id) DO UPDATE SET last_seq = conversations.last_seq + EXCLUDED.last_seq,
         last_message_id = CASE WHEN EXCLUDED.last_message_id IN (SELECT id FROM fresh WHERE kind <> 'update')
                           THEN EXCLUDED.last_message_id ELSE conversations.last_message_id END,
         updated_at = CASE WHEN EXCLUDED.last_message_id IN (SELECT id FROM fresh WHERE kind <> 'update')
                      THEN GREATEST(conversations.updated_at, EXCLUDED.updated_at)
                      ELSE conversations.updated_at END
       RETURNING id, last_seq
     ),
     inserted AS (
       INSERT INTO messages (id, conversation_id, seq, sender_id, target_type, target_id, content,
                             sent_at, client_msg_id, kind, reply_to_id)
       SELECT f.id, f.conversation_id,
              bumped.last_seq - c.added + row_number() OVER (PARTITION BY f.conversation_id ORDER BY f.n),
              f.sender_id, f.target_type, f.target_id, f.content, f.sent_at, f.client_msg_id, f.kind,
              f.reply_to_id
       FROM fresh f JOIN counts c USING (conversation_id) JOIN bumped ON bumped.id = f.conversation_id
       RETURNING id, seq, conversation_id, sender_id, sent_at
     )${
      mentions.length === 0 ? "" : `,
     mentioned AS (
       INSERT INTO mentions (user_id, conversation_id, seq, sender_id)
       SELECT k.user_id, i.conversation_id, i.seq, i.sender_id
       FROM unnest(${param(mentions.map((x) => x[0]), "bigint")}, ${
        param(mentions.map((x) => x[1]), "bigint")
      }) AS k(message_id, user_id)
       JOIN inserted i ON i.id = k.message_id
     )`
    }${
      copies.length === 0 ? "" : `,
     copied AS (
       INSERT INTO media (id, sha256, content_type, size, width, height, owner_id, created_at, name,
                          message_id)
       SELECT k.media_id, s.sha256, s.content_type, s.size, s.width, s.height, i.sender_id,
              i.sent_at, s.name, i.id
       FROM unnest(${param(copies.map((x) => x.id), "bigint")}, ${
        param(copies.map((x) => x.mediaId), "text")
      }, ${param(copies.map((x) => x.source), "text")}) AS k(message_id, media_id, source_id)
       JOIN inserted i ON i.id = k.message_id JOIN media s ON s.id = k.source_id
     )`
    }${
      joins.length === 0 ? "" : `,
     joined AS (
       UPDATE group_members gm SET join_seq = j.seq
       FROM (
         SELECT k.group_id, k.user_id, max(i.seq) - 1 AS seq
         FROM unnest(${param(joins.map((x) => x.id), "bigint")}, ${
        param(joins.map((x) => x.groupId), "bigint")
      }, ${param(joins.map((x) => x.userId), "bigint")}) AS k(message_id, group_id, user_id)
         JOIN inserted i ON i.id = k.message_id
         GROUP BY k.group_id, k.user_id
       ) j
       WHERE gm.group_id = j.group_id AND gm.user_id = j.user_id AND gm.join_seq < j.seq
     )`
    }${
      searched.length === 0 ? "" : `,
     indexed AS (
       INSERT INTO message_search (id, conversation_id, grams)
       SELECT i.id, i.conversation_id, k.grams::tsvector
       FROM unnest(${param(searched.map((e) => e.id), "bigint")}, ${
        param(searched.map((e) => pgVector(e.conversationId, e.text)), "text")
      }) AS k(message_id, grams)
       JOIN inserted i ON i.id = k.message_id
       ON CONFLICT (id) DO UPDATE SET conversation_id = EXCLUDED.conversation_id, grams = EXCLUDED.grams
     )`
    }
     SELECT id, seq FROM inserted`,
    params,
  );
  const stored = new Map<string, StoredMessage>();
  const byId = new Map(unique.map((m) => [m.id, m]));
  for (const row of rows) {
    const id = String(row.id);
    stored.set(id, storedOf(byId.get(id)!, Number(row.seq)));
  }
  const fresh = new Set(stored.keys());
  const before = unique.filter((m) => !stored.has(m.id));
  if (before.length > 0) {
    for (const old of await storedMessages(db, before)) stored.set(old.message.id, old);
  }
  return { stored: unique.flatMap((m) => stored.get(m.id) ?? []), fresh };
}

/** A conversation row's own columns, from its id (`u:<a>:<b>` or `g:<group>`). */
function conversationColumns(
  id: string,
): [kind: string, a: string | null, b: string | null, group: string | null] {
  const [prefix, first, second] = id.split(":");
  return prefix === "g" ? ["group", null, null, first] : ["user", first, second ?? null, null];
}

/**
 * Bumps a conversation's last seq by its new entries and returns the seq before
 * them. Its last message and activity move for a message or system message: update
 * entries count in the seqs, not in the activity order.
 */
async function bump(
  tx: SqlDriver,
  conversationId: string,
  entries: readonly AcceptedMessage[],
): Promise<number> {
  const messages = entries.filter((m) => !isUpdate(m));
  // A conversation is made by its first message; only a broken batch begins with an update.
  const last = messages.at(-1) ?? entries[entries.length - 1];
  const [bumped] = await tx.query<{ last_seq: number }>(
    `INSERT INTO conversations (id, kind, user_a, user_b, group_id, last_seq, last_message_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET last_seq = conversations.last_seq + EXCLUDED.last_seq,
       last_message_id = CASE WHEN $9::boolean THEN EXCLUDED.last_message_id
                         ELSE conversations.last_message_id END,
       updated_at = CASE WHEN $9::boolean THEN GREATEST(conversations.updated_at, EXCLUDED.updated_at)
                    ELSE conversations.updated_at END
     RETURNING last_seq`,
    [
      conversationId,
      ...conversationColumns(conversationId),
      entries.length,
      last.id,
      last.sentAt,
      messages.length > 0,
    ],
  );
  return Number(bumped.last_seq) - entries.length;
}

/** Inserts one new message at `seq`, with its mention rows, media copy and join seq. */
async function insert(tx: SqlDriver, m: AcceptedMessage, seq: number): Promise<StoredMessage> {
  const stored = storedOf(m, seq);
  await tx.query(
    `INSERT INTO messages (id, conversation_id, seq, sender_id, target_type, target_id, content,
                           sent_at, client_msg_id, kind, reply_to_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      m.id,
      m.conversationId,
      seq,
      m.from,
      m.to.type,
      m.to.id,
      JSON.stringify(stored.message.content),
      m.sentAt,
      m.clientMsgId,
      kindOf(m),
      stored.replyToId,
    ],
  );
  const users = mentionRows(m.content);
  if (users.length > 0) {
    await tx.query(
      `INSERT INTO mentions (user_id, conversation_id, seq, sender_id)
       SELECT x, $2::text, $3::integer, $4::bigint FROM unnest($1::bigint[]) AS t(x)`,
      [users, m.conversationId, seq, m.from],
    );
  }
  const copy = mediaCopy(m);
  if (copy) {
    await tx.query(
      `INSERT INTO media (id, sha256, content_type, size, width, height, owner_id, created_at, name,
                          message_id)
       SELECT $1, s.sha256, s.content_type, s.size, s.width, s.height, $2, $3, s.name, $4
       FROM media s WHERE s.id = $5`,
      [copy.mediaId, m.from, m.sentAt, m.id, copy.source],
    );
  }
  const join = joinOf(m);
  if (join) {
    await tx.query(
      `UPDATE group_members SET join_seq = $3
       WHERE group_id = $1 AND user_id = $2 AND join_seq < $3`,
      [join.groupId, join.userId, seq - 1],
    );
  }
  return stored;
}

/**
 * The batch in one transaction (SQLite): messages stored before are read back, each
 * conversation is bumped once by its count of new entries (in id order, so
 * concurrent batches lock rows in one order), the new ones are inserted
 * numbered from there, their search index entries written in one statement (with
 * `searchIndex`), and then each new update entry is applied, in batch order.
 */
function saveInTransaction(
  db: SqlDriver,
  unique: readonly AcceptedMessage[],
  searchIndex: boolean,
): Promise<StoredMessage[]> {
  return db.transaction(async (tx) => {
    const stored = new Map<string, StoredMessage>();
    for (const old of await storedMessages(tx, unique)) stored.set(old.message.id, old);
    const fresh = new Map<string, AcceptedMessage[]>();
    for (const m of unique) {
      if (stored.has(m.id)) continue;
      const list = fresh.get(m.conversationId);
      if (list) list.push(m);
      else fresh.set(m.conversationId, [m]);
    }
    const searched: SearchEntry[] = [];
    for (const conversationId of [...fresh.keys()].sort()) {
      const entries = fresh.get(conversationId)!;
      let seq = await bump(tx, conversationId, entries);
      for (const m of entries) {
        stored.set(m.id, await insert(tx, m, ++seq));
        const entry = searchIndex ? searchEntry(m) : null;
        if (entry) searched.push(entry);
      }
    }
    await indexEntries(tx, searched);
    for (const m of unique) {
      if (!isUpdate(m) || fresh.get(m.conversationId)?.includes(m) !== true) continue;
      await applyUpdate(tx, m, searchIndex);
    }
    return unique.flatMap((m) => stored.get(m.id) ?? []);
  });
}
