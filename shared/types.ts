/** Value types of the client protocol (docs/PROTOCOL.md), shared by every layer and the SDK. */

/**
 * `recalledBy` of a message an operator recalled as a moderator (`deno task admin recall`):
 * no user has id 0 (ids are snowflakes, all above it).
 */
export const MODERATOR = "0";

/** A user as clients see it. */
export interface User {
  id: string;
  username: string;
  nickname: string;
  avatar: string | null;
  /** When a friend's last connection closed (null while online); only for friends. */
  lastSeenAt?: number | null;
}

/** A signed-in session of the caller's account (`GET /api/me/sessions`). */
export interface Session {
  /** The session's own id (never its token or a hash of it). */
  id: string;
  createdAt: number;
  /** When the session was last used; updated at most once a minute. */
  lastSeenAt: number;
  /** The user agent that signed in, at most 200 characters; empty when none was sent. */
  userAgent: string;
  /** Whether this is the session of the token making the request. */
  current: boolean;
}

/** A group as clients see it. */
export interface Group {
  id: string;
  name: string;
  avatar: string | null;
  ownerId: string;
  memberCount: number;
  createdAt: number;
  /** Who reads the group's past: every member (`all`), or each from the seq at which they joined. */
  history: GroupHistory;
  /** The group's announcement, 0–1000 code points; `""` when none. */
  notice: string;
  /** Who may join: anyone (`open`), by a join request an owner or admin accepts, or members adding. */
  joinPolicy: JoinPolicy;
  /** Whether only the owner and admins may send. */
  muted: boolean;
}

/** A group's history setting. */
export type GroupHistory = "all" | "since_join";

/** How people join a group (PROTOCOL.md, Version 2, Groups). */
export type JoinPolicy = "open" | "approval" | "invite";

/** A member's role in a group: owner > admin > member. */
export type GroupRole = "owner" | "admin" | "member";

/**
 * What a system message records (PROTOCOL.md, Version 2, Groups). `userId` is the
 * member it concerns; `value` is: `role` the new role; `muted` on a member the
 * decimal ms until which they are muted (absent: unmuted), on the group (no
 * `userId`) `"on"` or `"off"`; `renamed` the new name; `notice` the new notice;
 * `policy` the new join policy (`open`, `approval`, `invite`) or history setting
 * (`all`, `since_join`); `transferred`: `userId` is the new owner.
 */
export type SystemEvent =
  | "created"
  | "joined"
  | "left"
  | "removed"
  | "role"
  | "muted"
  | "renamed"
  | "notice"
  | "policy"
  | "transferred";

/** A pending request to join a group under the `approval` policy. */
export interface JoinRequest {
  id: string;
  groupId: string;
  user: User;
  createdAt: number;
}

/** Where a message goes. */
export interface Target {
  type: "user" | "group";
  id: string;
}

/** Message content as a client sends it (PROTOCOL.md, Version 2, Messages). */
export type ContentInput =
  | {
    type: "text";
    text: string;
    /** The id of a message of the same conversation this one answers. */
    replyTo?: string;
    /** Members of the group mentioned (at most 50); groups only. */
    mentions?: string[];
    /** Everyone in the group; its owner and admins only. */
    mentionAll?: boolean;
  }
  | { type: "image"; mediaId: string; replyTo?: string }
  | { type: "file"; mediaId: string; name: string; replyTo?: string };

/** Message content as stored and delivered. */
export type Content =
  | { type: "text"; text: string; mentions?: string[]; mentionAll?: boolean }
  | { type: "image"; mediaId: string; url: string; width?: number; height?: number }
  | {
    type: "file";
    mediaId: string;
    name: string;
    url: string;
    size: number;
    contentType: string;
  }
  /**
   * A message deleted for everyone: its text or media are gone from storage. `recalledBy`
   * is a user, or {@link MODERATOR} when an operator removed it.
   */
  | { type: "recalled"; recalledBy: string }
  /**
   * An edit or recall, as an entry of the conversation with its own seq. `target`
   * is the updated message in its current version, or only `{id, seq}` for a
   * reader who may not read it (under `since_join`, from before they joined).
   */
  | { type: "update"; action: "edit" | "recall"; target: Message | MessageRef }
  /** A change of a group, made by the server: `by` acted (see {@link SystemEvent}). */
  | { type: "system"; event: SystemEvent; userId?: string; by: string; value?: string };

/** A message named by id and seq only. */
export interface MessageRef {
  id: string;
  seq: number;
}

/** What a reply carries of the message it answers, in that message's current version. */
export interface ReplyPreview {
  id: string;
  seq: number;
  from: string;
  /**
   * The first 100 code points of a text, else `[image]`, `[file]` or `[recalled]`;
   * null for a reader who may not read the quoted message.
   */
  preview: string | null;
}

/** A stored message. */
export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  from: string;
  to: Target;
  content: Content;
  sentAt: number;
  /** Null for entries the server makes (`update`, `system`). */
  clientMsgId: string | null;
  /** The message this one answers. */
  replyTo?: ReplyPreview;
  /** When the text was last edited. */
  editedAt?: number;
}

/** A participant's read mark (`GET /api/conversations/<id>/reads`, the `read` event). */
export interface ReadMark {
  userId: string;
  seq: number;
}

/**
 * A message accepted by logic, before task gives it its seq. An image or file
 * message names media of its own (`content.mediaId`, minted at accept), which
 * the store makes, in the transaction that saves the message, as a copy of
 * `mediaSource` (the media the sender named) sharing its bytes: a recall then
 * deletes that message's media alone. `mediaSource` is for the store only;
 * clients get stored messages, which never carry it.
 */
export type AcceptedMessage = Omit<Message, "seq"> & { mediaSource?: string };

/** A friend request. */
export interface FriendRequest {
  id: string;
  from: User;
  to: User;
  note: string;
  createdAt: number;
}

/** One entry of `GET /api/conversations`. */
export interface ConversationSummary {
  id: string;
  type: "user" | "group";
  peer?: User;
  group?: Group;
  lastSeq: number;
  readSeq: number;
  unread: number;
  lastMessage: Message | null;
  /** While an unread message mentions the caller (directly or by `mentionAll`). */
  mentioned?: boolean;
  /** The caller's own settings (PROTOCOL.md, Conversations): pinned ones come first in the list. */
  pinned?: boolean;
  /** The caller wants no notification of it (the web client raises none). */
  muted?: boolean;
  /**
   * Only in the answer to `PATCH /api/conversations/<id>` and in `conversation_update`: the
   * caller hid it, and no user's message came since. A hidden conversation is not in the list.
   */
  hidden?: boolean;
}

/** The caller's settings of one conversation, as `PATCH /api/conversations/<id>` takes them. */
export interface ConversationSettingsPatch {
  pinned?: boolean;
  muted?: boolean;
  hidden?: boolean;
}

/** Stored media metadata. */
export interface MediaInfo {
  id: string;
  url: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  /** A file's name (`kind=file` uploads); absent for images. */
  name?: string;
}

/** The answer to a send. */
export interface SendResult {
  id: string;
  clientMsgId: string;
  conversationId: string;
}

/** A group member with role and presence. */
export interface GroupMember {
  user: User;
  role: GroupRole;
  /** Until when (ms) the member may not send; null when not muted. */
  mutedUntil: number | null;
  /** Only for the caller and the caller's friends: presence is for friends. */
  online?: boolean;
}

/** Frames the server sends over the WebSocket. */
export type ServerFrame =
  | { op: "ready"; user: User; serverId: string }
  | { op: "sent"; clientMsgId: string; id: string; conversationId: string }
  | { op: "message"; message: Message }
  | { op: "presence"; userId: string; online: boolean; lastSeenAt?: number }
  | { op: "group_online"; groupId: string; count: number }
  | { op: "friend_request"; request: FriendRequest }
  | { op: "friend_request_cancelled"; requestId: string }
  | { op: "friend_added"; user: User }
  | { op: "profile"; user: User }
  | { op: "group_update"; group: Group }
  /** To each device of a member who left or was removed, and of every member of a disbanded group. */
  | { op: "group_removed"; groupId: string; reason: "left" | "removed" | "disbanded" }
  /** To a group's owner and admins: a new join request. */
  | { op: "group_join_request"; request: JoinRequest }
  /** To a group's owner and admins: a join request was accepted, rejected or withdrawn by joining. */
  | { op: "group_join_request_closed"; groupId: string; requestId: string }
  | { op: "read"; conversationId: string; userId: string; seq: number }
  /** The caller changed a conversation's settings (on any of their connections). */
  | { op: "conversation_update"; conversation: ConversationSummary }
  | { op: "typing"; conversationId: string; userId: string }
  | { op: "pong" }
  | { op: "error"; code: string; message: string; ref?: string };

/** Conversation id of a private chat between two users. */
export function privateConversationId(a: string, b: string): string {
  const [x, y] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
  return `u:${x}:${y}`;
}

/** Conversation id of a group. */
export function groupConversationId(groupId: string): string {
  return `g:${groupId}`;
}
