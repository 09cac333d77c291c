/** Row-to-value mapping shared by the SQL store's parts. */
import type { Content, Group, Message } from "../types.ts";
import { mediaUrl } from "../types.ts";

/** Columns selecting a user as `UserRow`. */
export const USER_COLUMNS = "u.id, u.username, u.nickname, u.avatar_media_id";

/** A users row. */
export interface UserRow {
  id: string;
  username: string;
  nickname: string;
  avatar_media_id: string | null;
}

/** Maps a users row to a User. */
export function toUser(row: UserRow) {
  return {
    id: String(row.id),
    username: row.username,
    nickname: row.nickname,
    avatar: row.avatar_media_id ? mediaUrl(row.avatar_media_id) : null,
  };
}

/** Columns selecting a group as `GroupRow` (from `groups g`). */
export const GROUP_COLUMNS =
  "g.id, g.name, g.avatar_media_id, g.owner_id, g.created_at, (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id)::int AS member_count";

/** A groups row with its member count. */
export interface GroupRow {
  id: string;
  name: string;
  avatar_media_id: string | null;
  owner_id: string | null;
  created_at: string;
  member_count: number;
}

/** Maps a groups row to a Group. */
export function toGroup(row: GroupRow): Group {
  return {
    id: String(row.id),
    name: row.name,
    avatar: row.avatar_media_id ? mediaUrl(row.avatar_media_id) : null,
    ownerId: row.owner_id === null ? "" : String(row.owner_id),
    memberCount: Number(row.member_count),
    createdAt: Number(row.created_at),
  };
}

/** Columns selecting a message as `MessageRow` (from `messages m`). */
export const MESSAGE_COLUMNS =
  "m.id, m.conversation_id, m.seq, m.sender_id, m.target_type, m.target_id, m.content, m.sent_at, m.client_msg_id";

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
  client_msg_id: string;
}

/** Maps a messages row to a Message. */
export function toMessage(row: MessageRow): Message {
  return {
    id: String(row.id),
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    from: String(row.sender_id),
    to: { type: row.target_type, id: String(row.target_id) },
    content: JSON.parse(row.content) as Content,
    sentAt: Number(row.sent_at),
    clientMsgId: row.client_msg_id,
  };
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
