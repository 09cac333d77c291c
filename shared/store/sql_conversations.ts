/**
 * The message port's conversations on SQL: a user's list of summaries, one
 * summary, and the user's settings of a conversation (pinned, muted, hidden).
 */
import { isUpdate } from "../message_view.ts";
import type { SqlDriver } from "./driver.ts";
import type { ConversationRow, SettingsPatch } from "./mod.ts";
import { resolve, toStored } from "./sql_resolve.ts";
import { MESSAGE_COLUMNS, type MessageRow } from "./sql_rows.ts";
import { EVERYONE } from "./sql_updates.ts";

/** A conversation row of a summary query, with its last message's columns. */
type SummaryRow = MessageRow & {
  c_id: string;
  kind: "user" | "group";
  user_a: string | null;
  user_b: string | null;
  group_id: string | null;
  last_seq: number;
  read_seq: number;
  unread: number;
  mentioned: number;
  floor: number;
  pinned: number;
  muted: number;
  hidden: number;
};

/**
 * User `$1`'s history floor in group `groupId` (an SQL expression; 0 for null,
 * a group they left, or one whose history is `all`): `GroupStore.historyFloor`.
 */
function floorIn(groupId: string): string {
  return `COALESCE((
    SELECT CASE WHEN g.history = 'all' THEN 0 ELSE gm.join_seq END
    FROM group_members gm JOIN groups g ON g.id = gm.group_id
    WHERE gm.group_id = ${groupId} AND gm.user_id = $1
  ), 0)`;
}

/**
 * Whether the user hid conversation `c` (settings `s`) and no user's message
 * came since. The conversation's `last_seq` answers most rows without a look at
 * its messages; only one with entries after the hide reads them, by the
 * (conversation, seq) key, up to the first user's message.
 */
const HIDDEN = `(s.hidden_seq IS NOT NULL AND NOT (c.last_seq > s.hidden_seq AND EXISTS (
  SELECT 1 FROM messages h
  WHERE h.conversation_id = c.id AND h.seq > s.hidden_seq AND h.kind = 'message'
)))`;

/**
 * The summaries of the conversations `scope` picks (a condition on `c`, the
 * conversations table) from user `$1`'s point of view, pinned first, then
 * newest activity first; `listed`: without the hidden ones.
 */
function summaryQuery(scope: string, listed: boolean): string {
  return `SELECT c.id AS c_id, c.kind, c.user_a, c.user_b, c.group_id, c.last_seq, c.floor,
       GREATEST(COALESCE(r.read_seq, 0), c.floor) AS read_seq,
       (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id
          AND x.seq > GREATEST(COALESCE(r.read_seq, 0), c.floor) AND x.sender_id <> $1
          AND x.kind = 'message')::int AS unread, -- (update entries and system messages never count)
       CASE WHEN EXISTS (
         SELECT 1 FROM mentions n WHERE n.user_id IN ($1, ${EVERYONE}) AND n.conversation_id = c.id
           AND n.seq > GREATEST(COALESCE(r.read_seq, 0), c.floor) AND n.sender_id <> $1
       ) THEN 1 ELSE 0 END AS mentioned,
       CASE WHEN s.pinned THEN 1 ELSE 0 END AS pinned,
       CASE WHEN s.muted THEN 1 ELSE 0 END AS muted,
       CASE WHEN ${HIDDEN} THEN 1 ELSE 0 END AS hidden,
       ${MESSAGE_COLUMNS}
     FROM (SELECT c.*, ${floorIn("c.group_id")} AS floor FROM conversations c WHERE ${scope}) c
     JOIN messages m ON m.conversation_id = c.id AND m.id = c.last_message_id
     LEFT JOIN read_marks r ON r.user_id = $1 AND r.conversation_id = c.id
     LEFT JOIN conversation_settings s ON s.user_id = $1 AND s.conversation_id = c.id
     ${listed ? `WHERE NOT ${HIDDEN}` : ""}
     ORDER BY COALESCE(s.pinned, false) DESC, c.updated_at DESC, c.id`;
}

/** The conversations of user `$1`: their private ones and the groups they are a member of. */
const USERS_CONVERSATIONS = `c.user_a = $1 OR c.user_b = $1
  OR c.group_id IN (SELECT group_id FROM group_members WHERE user_id = $1)`;

/** Maps summary rows to conversation rows, their last messages resolved (one query for all). */
async function toConversations(
  db: SqlDriver,
  userId: string,
  rows: SummaryRow[],
): Promise<ConversationRow[]> {
  // Update entries count in last_seq, so the floor is compared with the last message's own seq;
  // and only a batch that begins a conversation with an update makes that its last message.
  const shown = rows.map((row) => {
    const stored = Number(row.seq) > Number(row.floor) ? toStored(row) : null;
    return stored && !isUpdate(stored.message) ? stored : null;
  });
  const last = await resolve(db, shown.flatMap((stored) => stored ?? []));
  const lastById = new Map(last.map((m) => [m.id, m]));
  return rows.map((row, i) => ({
    id: row.c_id,
    type: row.kind,
    peerId: row.kind === "user"
      ? (String(row.user_a) === userId ? String(row.user_b) : String(row.user_a))
      : null,
    groupId: row.group_id === null ? null : String(row.group_id),
    lastSeq: Number(row.last_seq),
    readSeq: Number(row.read_seq),
    unread: Number(row.unread),
    lastMessage: shown[i] ? lastById.get(shown[i]!.message.id)! : null,
    mentioned: Number(row.mentioned) === 1,
    floor: Number(row.floor),
    pinned: Number(row.pinned) === 1,
    muted: Number(row.muted) === 1,
    hidden: Number(row.hidden) === 1,
  }));
}

/**
 * Every conversation of a user that has a message and is not hidden, pinned
 * first, each part newest activity first; see `MessageStore.conversations`.
 * `mentioned` is one lookup of the mention rows' key (the user's own and
 * everyone's, after the read mark); recalled messages have no mention rows left.
 * The settings are one primary-key lookup per conversation: this runs on every
 * reconnect of every client.
 */
export async function conversations(db: SqlDriver, userId: string): Promise<ConversationRow[]> {
  const rows = await db.query<SummaryRow>(summaryQuery(USERS_CONVERSATIONS, true), [userId]);
  return await toConversations(db, userId, rows);
}

/**
 * One conversation from a user's point of view, hidden or not; one that has no
 * message yet (so no conversations row) from its id, the user's floor and settings.
 */
export async function conversation(
  db: SqlDriver,
  userId: string,
  conversationId: string,
): Promise<ConversationRow> {
  const rows = await db.query<SummaryRow>(summaryQuery("c.id = $2", false), [
    userId,
    conversationId,
  ]);
  if (rows.length > 0) return (await toConversations(db, userId, rows))[0];
  const priv = /^u:(\d+):(\d+)$/.exec(conversationId);
  const groupId = priv ? null : conversationId.replace(/^g:/, "");
  const [row] = await db.query<{ floor: number; pinned: number; muted: number; hidden: number }>(
    `SELECT ${floorIn("$3")} AS floor,
       CASE WHEN s.pinned THEN 1 ELSE 0 END AS pinned,
       CASE WHEN s.muted THEN 1 ELSE 0 END AS muted,
       CASE WHEN s.hidden_seq IS NOT NULL THEN 1 ELSE 0 END AS hidden
     FROM (SELECT 1 AS one) o
     LEFT JOIN conversation_settings s ON s.user_id = $1 AND s.conversation_id = $2`,
    [userId, conversationId, groupId],
  );
  const floor = Number(row.floor);
  return {
    id: conversationId,
    type: priv ? "user" : "group",
    peerId: priv ? (priv[1] === userId ? priv[2] : priv[1]) : null,
    groupId,
    lastSeq: 0,
    readSeq: floor,
    unread: 0,
    lastMessage: null,
    mentioned: false,
    floor,
    pinned: Number(row.pinned) === 1,
    muted: Number(row.muted) === 1,
    hidden: Number(row.hidden) === 1,
  };
}

/**
 * Upserts a user's settings of a conversation in one statement: absent fields
 * keep their value (false when new); `hidden: true` records the conversation's
 * last seq at this moment (0 before its first message), `hidden: false` clears it.
 */
export async function updateSettings(
  db: SqlDriver,
  userId: string,
  conversationId: string,
  patch: SettingsPatch,
): Promise<void> {
  await db.query(
    `INSERT INTO conversation_settings (user_id, conversation_id, pinned, muted, hidden_seq)
     VALUES ($1, $2, COALESCE($3::boolean, false), COALESCE($4::boolean, false),
       CASE WHEN $5::boolean THEN
         (SELECT COALESCE(max(c.last_seq), 0) FROM conversations c WHERE c.id = $2)
       END)
     ON CONFLICT (user_id, conversation_id) DO UPDATE SET
       pinned = COALESCE($3::boolean, conversation_settings.pinned),
       muted = COALESCE($4::boolean, conversation_settings.muted),
       hidden_seq = CASE WHEN $5::boolean IS NULL THEN conversation_settings.hidden_seq
                    ELSE EXCLUDED.hidden_seq END`,
    [userId, conversationId, patch.pinned ?? null, patch.muted ?? null, patch.hidden ?? null],
  );
}
