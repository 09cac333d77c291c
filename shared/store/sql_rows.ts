/** What the SQL ports share: row-to-value mapping, LIKE escaping and the pair lookup. */
import type { Content, GroupHistory, JoinPolicy, Message } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import type { GroupRow, UserRow } from "./mod.ts";

/** Columns selecting a user as `UserDbRow`. */
export const USER_COLUMNS = "u.id, u.username, u.nickname, u.avatar_media_id";

/** A users row. */
export interface UserDbRow {
  id: string;
  username: string;
  nickname: string;
  avatar_media_id: string | null;
}

/** Maps a users row to a UserRow. */
export function toUser(row: UserDbRow): UserRow {
  return {
    id: String(row.id),
    username: row.username,
    nickname: row.nickname,
    avatarMediaId: row.avatar_media_id || null,
  };
}

/** Columns selecting a group as `GroupDbRow` (from `groups g`). */
export const GROUP_COLUMNS =
  "g.id, g.name, g.avatar_media_id, g.owner_id, g.created_at, g.history, g.notice, g.join_policy, g.muted, (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id)::int AS member_count";

/** A groups row with its member count. */
export interface GroupDbRow {
  id: string;
  name: string;
  avatar_media_id: string | null;
  owner_id: string | null;
  created_at: string;
  history: GroupHistory;
  notice: string;
  join_policy: JoinPolicy;
  /** A boolean on PostgreSQL, 0 or 1 on SQLite. */
  muted: boolean | number;
  member_count: number;
}

/** Maps a groups row to a GroupRow. */
export function toGroup(row: GroupDbRow): GroupRow {
  return {
    id: String(row.id),
    name: row.name,
    avatarMediaId: row.avatar_media_id || null,
    ownerId: row.owner_id === null ? "" : String(row.owner_id),
    memberCount: Number(row.member_count),
    createdAt: Number(row.created_at),
    history: row.history,
    notice: row.notice,
    joinPolicy: row.join_policy,
    muted: Boolean(row.muted),
  };
}

/** Columns selecting a message as `MessageRow` (from `messages m`). */
export const MESSAGE_COLUMNS =
  "m.id, m.conversation_id, m.seq, m.sender_id, m.target_type, m.target_id, m.content, m.sent_at, m.client_msg_id, m.reply_to_id, m.edited_at";

/** A messages row. */
export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  target_type: "user" | "group";
  target_id: string;
  content: string;
  sent_at: string;
  client_msg_id: string | null;
  reply_to_id: string | null;
  edited_at: string | null;
}

/**
 * Maps a messages row to a Message, as stored: without its `replyTo` (the row
 * has only the quoted id) and, for an update entry, with `target` as `{id, seq}`;
 * `resolve()` (sql_resolve.ts) makes both current.
 */
export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: String(row.id),
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    from: String(row.sender_id),
    to: { type: row.target_type, id: String(row.target_id) },
    content: JSON.parse(row.content) as Content,
    sentAt: Number(row.sent_at),
    clientMsgId: row.client_msg_id,
  };
  if (row.edited_at !== null) message.editedAt = Number(row.edited_at);
  return message;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Which of the (left, right) pairs are rows of a two-key table, as `left:right`. */
export async function pairsIn(
  db: SqlDriver,
  table: "group_members",
  left: string,
  right: string,
  pairs: readonly (readonly [string, string])[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const rows = await db.query<{ l: string; r: string }>(
    // Both columns by ANY (a plan as cheap as one lookup); the cross pairs this also finds are dropped here.
    `SELECT ${left} AS l, ${right} AS r FROM ${table}
     WHERE ${left} = ANY($1::bigint[]) AND ${right} = ANY($2::bigint[])`,
    [[...new Set(pairs.map((p) => p[0]))], [...new Set(pairs.map((p) => p[1]))]],
  );
  const asked = new Set(pairs.map((p) => `${p[0]}:${p[1]}`));
  return new Set(rows.map((row) => `${row.l}:${row.r}`).filter((key) => asked.has(key)));
}
