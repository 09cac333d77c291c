/**
 * Message search on SQL (`MessageStore.search`, `indexBacklog`): the index
 * rows `save()` writes, and the queries that read them. What matches is
 * `shared/search_text.ts`: a text's overlapping bigrams are the tokens of the
 * engine's full-text index, with their positions, and a query is the phrase of
 * its bigrams. The store computes the tokens (no SQL function folds as
 * JavaScript does), so both engines get literals, never a parser's guess:
 *
 * - SQLite: the FTS5 table `message_search(conv, grams)`, row id = message id,
 *   `tokenize='ascii'` (ASCII letters and digits and every non-ASCII byte are
 *   token characters, the rest separate). `grams` is the bigrams separated by
 *   spaces, each code point that the tokenizer would split on (space,
 *   punctuation, controls) moved to U+E000 + its code, so a bigram stays one
 *   token; `conv` is the conversation id with `:` as `x` (`g:1` → `gx1`).
 * - PostgreSQL: `message_search(id, conversation_id, grams tsvector)` with a
 *   GIN index; the tsvector literal has the conversation id as one lexeme (ids
 *   have 3 or more code points, bigrams exactly 2, markers 1: they never meet)
 *   and each bigram with its positions.
 *
 * Every candidate the index gives is checked again with `matchesSearch` on the
 * message's current text (the encodings above may make two bigrams one token,
 * and PostgreSQL keeps 256 positions of a lexeme), and a page that loses rows
 * reads on.
 */
import { bigrams, foldForSearch, matchesSearch } from "../search_text.ts";
import type { AcceptedMessage, Content, Message } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import type { MessageSearch } from "./mod.ts";
import { resolve, type StoredMessage, toStored } from "./sql_resolve.ts";
import { MESSAGE_COLUMNS, type MessageRow } from "./sql_rows.ts";

/**
 * Above this many conversations a user's search does not name them in the
 * full-text query (an OR of that many tokens costs more than it saves) and the
 * join with `messages` alone keeps to the user's scope.
 */
export const CONVERSATIONS_IN_QUERY = 200;

/** PostgreSQL keeps at most this many positions of a lexeme (the first ones) … */
const PG_POSITIONS_PER_LEXEME = 256;
/** … and positions up to this one (larger ones become it). */
const PG_MAX_POSITION = 16383;
/**
 * Distinct bigrams past which a PostgreSQL row keeps none of them (a tsvector
 * holds at most 1 MB of lexemes; a bigram takes up to 8 bytes).
 */
const PG_MAX_LEXEMES = 50_000;
/**
 * Lexemes of one code point mark the PostgreSQL rows whose phrase may be lost:
 * `#`, its bigrams kept without positions (some bigram occurs more than 256
 * times, or past position 16383), which a query looks up as the AND of its
 * bigrams; `*`, no bigrams at all (too many), a candidate of every query.
 */
const PG_UNPOSITIONED = "#";
const PG_UNINDEXED = "*";

/** A new message's index entry, when it has one: a text message's id, conversation and text. */
export interface SearchEntry {
  id: string;
  conversationId: string;
  text: string;
}

/** The index entry of a message about to be stored; null for any but a user's text message. */
export function searchEntry(m: AcceptedMessage): SearchEntry | null {
  return m.content.type === "text"
    ? { id: m.id, conversationId: m.conversationId, text: m.content.text }
    : null;
}

/** A code point as the FTS5 ascii tokenizer keeps it inside a token (see the module's comment). */
function ftsPoint(point: string): string {
  const c = point.charCodeAt(0);
  const kept = c >= 0x80 || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
  return kept ? point : String.fromCharCode(0xe000 + c);
}

/** The code points of a folded text, each as `ftsPoint` gives it. */
function ftsPoints(folded: string): string[] {
  const points: string[] = [];
  for (const point of folded) points.push(ftsPoint(point));
  return points;
}

/** The tokens of consecutive pairs of encoded code points, separated by spaces. */
function ftsPairs(points: readonly string[]): string {
  const tokens = new Array<string>(Math.max(points.length - 1, 0));
  for (let i = 0; i < tokens.length; i++) tokens[i] = points[i] + points[i + 1];
  return tokens.join(" ");
}

/** A conversation id as one FTS5 token of the `conv` column. */
function ftsConversation(conversationId: string): string {
  return conversationId.replaceAll(":", "x");
}

/**
 * The `grams` column of a text for FTS5: its bigrams (`bigrams(foldForSearch(text))`),
 * encoded, in one pass over the code points (the send path runs it for every text).
 */
export function ftsGrams(text: string): string {
  return ftsPairs(ftsPoints(foldForSearch(text)));
}

const PG_QUOTED = /['\\\0]/;

/**
 * A PostgreSQL tsvector or tsquery lexeme, quoted: a quote doubled, a
 * backslash escaped, NUL (which no PostgreSQL text holds) as U+E000.
 */
function pgLexeme(text: string): string {
  if (!PG_QUOTED.test(text)) return `'${text}'`;
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "''").replaceAll("\0", "\uE000")}'`;
}

/** The tsvector literal of a text in a conversation (see the module's comment for the markers). */
export function pgVector(conversationId: string, text: string): string {
  const points = Array.from(foldForSearch(text));
  const positions = new Map<string, number[]>();
  let exact = points.length - 1 <= PG_MAX_POSITION;
  for (let i = 0; i + 1 < points.length; i++) {
    const gram = points[i] + points[i + 1];
    const list = positions.get(gram);
    if (list === undefined) positions.set(gram, [i + 1]);
    else if (list.push(i + 1) > PG_POSITIONS_PER_LEXEME) exact = false;
  }
  const lexemes = [pgLexeme(conversationId)];
  if (positions.size > PG_MAX_LEXEMES) return `${lexemes[0]} ${pgLexeme(PG_UNINDEXED)}`;
  for (const [gram, list] of positions) {
    lexemes.push(exact ? `${pgLexeme(gram)}:${list.join(",")}` : pgLexeme(gram));
  }
  if (!exact) lexemes.push(pgLexeme(PG_UNPOSITIONED));
  return lexemes.join(" ");
}

/**
 * The full-text query of a folded query's bigrams in conversations (none: any):
 * FTS5 syntax on SQLite, a tsquery literal on PostgreSQL. Every token is made
 * here and quoted, so no character of the user's query is query syntax.
 */
export function fullTextQuery(
  dialect: SqlDriver["dialect"],
  grams: readonly string[],
  conversationIds: readonly string[] | null,
): string {
  if (dialect === "sqlite") {
    const phrase = `grams : "${grams.map((gram) => ftsPairs(ftsPoints(gram))).join(" ")}"`;
    if (!conversationIds) return phrase;
    return `conv : (${conversationIds.map(ftsConversation).join(" OR ")}) AND ${phrase}`;
  }
  const phrase = grams.map(pgLexeme).join(" <-> ");
  const all = [...new Set(grams)].map(pgLexeme).join(" & ");
  const text = `(${phrase}) | (${pgLexeme(PG_UNPOSITIONED)} & ${all}) | ${pgLexeme(PG_UNINDEXED)}`;
  if (!conversationIds) return text;
  return `(${conversationIds.map(pgLexeme).join(" | ")}) & (${text})`;
}

/**
 * Writes the index entries of messages (new ones, or a backlog's) in one
 * statement; an entry replaces one the message had (an edit, or a backlog
 * that an edit overtook on SQLite, where everything runs in order).
 */
export async function indexEntries(db: SqlDriver, entries: readonly SearchEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (db.dialect === "sqlite") {
    await db.query(
      `INSERT OR REPLACE INTO message_search (rowid, conv, grams)
       SELECT CAST(json_extract(value, '$[0]') AS INTEGER), json_extract(value, '$[1]'),
              json_extract(value, '$[2]')
       FROM json_each($1)`,
      [entries.map((e) => [e.id, ftsConversation(e.conversationId), ftsGrams(e.text)])],
    );
    return;
  }
  await db.query(
    `INSERT INTO message_search (id, conversation_id, grams)
     SELECT k.id, k.conversation_id, k.grams::tsvector
     FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(id, conversation_id, grams)
     ON CONFLICT (id) DO UPDATE SET conversation_id = EXCLUDED.conversation_id, grams = EXCLUDED.grams`,
    [
      entries.map((e) => e.id),
      entries.map((e) => e.conversationId),
      entries.map((e) => pgVector(e.conversationId, e.text)),
    ],
  );
}

/**
 * Queues messages for the index (`MessageStore.indexPending` indexes them by
 * their text then): the send path's one small write per new text message, and
 * an edit's. A message queued twice is queued once.
 */
export async function queueForIndex(db: SqlDriver, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  // `WHERE true`: SQLite's parser needs it between a SELECT and its ON CONFLICT.
  await db.query(
    `INSERT INTO search_pending (id) SELECT k.id FROM unnest($1::bigint[]) AS k(id) WHERE true
     ON CONFLICT DO NOTHING`,
    [ids],
  );
}

/** Queued ids, oldest first; several task processes' runners take different rows, none waits. */
const PENDING = {
  sqlite: "SELECT id FROM search_pending ORDER BY id LIMIT $1",
  postgres: "SELECT id FROM search_pending ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
};

/**
 * Messages as they are now, for their index entries. On PostgreSQL the rows are
 * share-locked until the batch commits: an edit or recall committed before is
 * read as it left the message, and one that comes later waits for the entry to
 * be written (so its re-queue, or its deletion of the entry, follows it). Without
 * the lock an edit between the read and the commit would leave the old text's
 * entry and its queued id dequeued, and a recall would leave its text in the index.
 */
const CURRENT = {
  sqlite: `SELECT id, conversation_id, kind, json_extract(content, '$.type') AS type,
                  json_extract(content, '$.text') AS text
           FROM messages WHERE id = ANY($1::bigint[])`,
  postgres: `SELECT id, conversation_id, kind, content::jsonb ->> 'type' AS type,
                    content::jsonb ->> 'text' AS text
             FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR SHARE`,
};

/** The index entries of messages as CURRENT reads them: user's text messages only. */
function entriesOf(
  rows: readonly {
    id: string | number;
    conversation_id: string;
    kind: string;
    type: string | null;
    text: string | null;
  }[],
): SearchEntry[] {
  return rows.flatMap((r) =>
    r.kind === "message" && r.type === "text" && r.text !== null
      ? [{ id: String(r.id), conversationId: r.conversation_id, text: r.text }]
      : []
  );
}

/**
 * See `MessageStore.indexPending`: one transaction that takes up to `limit`
 * queued ids, writes the entries of those that are text messages now (by their
 * current text; a recalled or vanished one gets none), and dequeues them all.
 */
export function indexPending(db: SqlDriver, limit: number): Promise<number> {
  if (limit < 1) return Promise.resolve(0);
  return db.transaction(async (tx) => {
    const queued = await tx.query<{ id: string | number }>(PENDING[tx.dialect], [limit]);
    if (queued.length === 0) return 0;
    const ids = queued.map((r) => String(r.id));
    await indexEntries(tx, entriesOf(await tx.query(CURRENT[tx.dialect], [ids])));
    await tx.query("DELETE FROM search_pending WHERE id = ANY($1::bigint[])", [ids]);
    return ids.length;
  });
}

/** Drops a message's index entry (a recall). */
export async function unindexMessage(db: SqlDriver, id: string): Promise<void> {
  await db.query(
    db.dialect === "sqlite"
      ? "DELETE FROM message_search WHERE rowid = $1"
      : "DELETE FROM message_search WHERE id = $1",
    [id],
  );
}

/** Drops the index entries of a conversation's messages (a disband), before the messages go. */
export async function unindexConversation(db: SqlDriver, conversationId: string): Promise<void> {
  await db.query(
    db.dialect === "sqlite"
      ? `DELETE FROM message_search
         WHERE rowid IN (SELECT id FROM messages WHERE conversation_id = $1 AND kind = 'message')`
      : "DELETE FROM message_search WHERE conversation_id = $1",
    [conversationId],
  );
}

/**
 * What a store opened with the index on or off does to it: off, it marks the
 * index stale (messages will be saved without entries); on, a stale index is
 * emptied and every message stored so far handed to the backlog.
 */
export async function openSearchIndex(db: SqlDriver, on: boolean): Promise<void> {
  if (!on) {
    await db.query("UPDATE search_backlog SET stale = true WHERE NOT stale");
    return;
  }
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ stale: boolean | number }>(
      "SELECT stale FROM search_backlog FOR UPDATE",
    );
    if (!row || !row.stale) return;
    await tx.exec(
      tx.dialect === "sqlite"
        ? "INSERT INTO message_search (message_search) VALUES ('delete-all')"
        : "DELETE FROM message_search",
    );
    await tx.exec("DELETE FROM search_pending");
    await tx.query(
      "UPDATE search_backlog SET below = (SELECT COALESCE(max(id) + 1, 0) FROM messages), stale = false",
    );
  });
}

/** The backlog's messages: a user's text messages, newest first below `$1`. */
const BACKLOG = {
  sqlite: `SELECT id, conversation_id, json_extract(content, '$.text') AS text FROM messages
           WHERE id < $1 AND kind = 'message' AND json_extract(content, '$.type') = 'text'
           ORDER BY id DESC LIMIT $2`,
  // Share-locked as CURRENT is, for the same reasons.
  postgres: `SELECT id, conversation_id, content::jsonb ->> 'text' AS text FROM messages
             WHERE id < $1 AND kind = 'message' AND content::jsonb ->> 'type' = 'text'
             ORDER BY id DESC LIMIT $2 FOR SHARE`,
};

/**
 * See `MessageStore.indexBacklog`: one transaction that takes the backlog's
 * row (PostgreSQL: `FOR UPDATE`, so concurrent runners take turns instead of
 * indexing the same messages), indexes the `limit` newest text messages below
 * it, and lowers it past them (to 0 once fewer were left).
 */
export function indexBacklog(db: SqlDriver, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ below: string | number }>(
      "SELECT below FROM search_backlog FOR UPDATE",
    );
    if (!row || BigInt(row.below) <= 0n || limit < 1) return 0;
    const rows = await tx.query<{ id: string; conversation_id: string; text: string }>(
      BACKLOG[tx.dialect],
      [String(row.below), limit],
    );
    await indexEntries(
      tx,
      rows.map((r) => ({ id: String(r.id), conversationId: r.conversation_id, text: r.text })),
    );
    const below = rows.length < limit ? "0" : String(rows[rows.length - 1].id);
    await tx.query("UPDATE search_backlog SET below = $1", [below]);
    return rows.length;
  });
}

/** A bigint the engines can compare a message id with. */
function isMessageId(id: string): boolean {
  return /^\d{1,19}$/.test(id) && BigInt(id) <= 0x7fffffffffffffffn;
}

/**
 * The conversations a user's search covers: their private conversations and
 * the groups they are a member of now.
 */
async function conversationsOf(db: SqlDriver, userId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM conversations WHERE user_a = $1
     UNION ALL SELECT id FROM conversations WHERE user_b = $1
     UNION ALL SELECT 'g:' || group_id AS id FROM group_members WHERE user_id = $1`,
    [userId],
  );
  return [...new Set(rows.map((r) => r.id))];
}

/**
 * The scope every candidate passes in SQL (`$4` the user): a user's message of
 * a private conversation the user is in, or of a group they are a member of
 * now, above their history floor there (`GroupStore.historyFloor`).
 */
const IN_SCOPE = `m.kind = 'message' AND (
  (m.target_type = 'user' AND (m.sender_id = $4 OR m.target_id = $4))
  OR (m.target_type = 'group' AND m.seq > (
    SELECT CASE WHEN g.history = 'all' THEN 0 ELSE gm.join_seq END
    FROM group_members gm JOIN groups g ON g.id = gm.group_id
    WHERE gm.group_id = m.target_id AND gm.user_id = $4)))`;

/** The largest id, the bound of a first page. */
const MAX_ID = "9223372036854775807";

/**
 * A page of candidates, newest first: index hits below `$2` (a first page: up
 * to MAX_ID) in the user's scope, with their message rows. The index is the
 * outer loop, read in descending id order, so the LIMIT stops it early.
 */
export function candidatesSql(dialect: SqlDriver["dialect"], first: boolean): string {
  const bound = first ? "<=" : "<";
  return dialect === "sqlite"
    ? `SELECT ${MESSAGE_COLUMNS} FROM message_search s JOIN messages m ON m.id = s.rowid
       WHERE s.message_search MATCH $1 AND s.rowid ${bound} CAST($2 AS INTEGER) AND ${IN_SCOPE}
       ORDER BY s.rowid DESC LIMIT $3`
    : `SELECT ${MESSAGE_COLUMNS} FROM message_search s JOIN messages m ON m.id = s.id
       WHERE s.grams @@ $1::tsquery AND s.id ${bound} $2::bigint AND ${IN_SCOPE}
       ORDER BY s.id DESC LIMIT $3`;
}

/** See `MessageStore.search`. */
export async function searchMessages(db: SqlDriver, query: MessageSearch): Promise<Message[]> {
  const folded = foldForSearch(query.text);
  const grams = bigrams(folded);
  // A query of two code points may fold to one ("ﾊﾞ" → "バ"), which no bigram holds.
  if (grams.length === 0 || query.limit < 1) return [];
  if (query.beforeId !== null && !isMessageId(query.beforeId)) return [];
  let conversations: string[] | null;
  if (query.conversationId !== null) {
    conversations = [query.conversationId];
  } else {
    conversations = await conversationsOf(db, query.userId);
    if (conversations.length === 0) return [];
    if (conversations.length > CONVERSATIONS_IN_QUERY) conversations = null;
  }
  const match = fullTextQuery(db.dialect, grams, conversations);
  // A few more than asked, so a page that loses a candidate to the check rarely reads twice.
  const page = query.limit + 5;
  const found: StoredMessage[] = [];
  let before = query.beforeId;
  for (;;) {
    const rows = await db.query<MessageRow>(
      candidatesSql(db.dialect, before === null),
      [match, before ?? MAX_ID, page, query.userId],
    );
    for (const row of rows) {
      const content = JSON.parse(row.content) as Content;
      if (content.type === "text" && matchesSearch(content.text, folded)) {
        found.push(toStored(row));
        if (found.length === query.limit) return await resolve(db, found);
      }
    }
    if (rows.length < page) return await resolve(db, found);
    before = String(rows[rows.length - 1].id);
  }
}
