/**
 * The store ports: durable state, one small port per aggregate (accounts,
 * friends, groups, media, messages), opened together over one engine as a `Store`.
 *
 * Contract, for every port:
 * - Every method is atomic. Driver failures surface as `AppError("unavailable")`;
 *   broken invariants (a taken username, a missing row) as the matching protocol code.
 * - Each port has its contract suite (`_contract/<port>.ts`), run against every
 *   engine and every decorator of the port.
 * - Rows carry media ids, never URLs: the URL of a media id is logic's business.
 */
import type {
  AcceptedMessage,
  Group,
  GroupHistory,
  GroupRole,
  JoinPolicy,
  MediaInfo,
  Message,
  SendResult,
  User,
} from "../types.ts";

/** A user as stored: the avatar is a media id, which logic turns into its URL. */
export interface UserRow extends Omit<User, "avatar"> {
  avatarMediaId: string | null;
}

/** A user row with its password hash, for login. */
export interface UserCredentials {
  user: UserRow;
  passwordHash: string;
  /** An operator disabled the account (`AdminStore.disableUser`): it may not sign in. */
  disabled: boolean;
}

/** A new user as stored. */
export interface NewUser {
  id: string;
  username: string;
  passwordHash: string;
  nickname: string;
  createdAt: number;
}

/**
 * Users with their credentials and sessions; usernames are unique ignoring case
 * and by their confusable skeleton (TR 39: `aIice`, `a1ice` and `ALICE` are all `alice`).
 */
export interface AccountStore {
  /** Fails `conflict` when the username, or one with the same skeleton, is taken. */
  createUser(row: NewUser): Promise<UserRow>;
  credentials(username: string): Promise<UserCredentials | null>;
  /** The users of `ids` that exist, in the order asked. */
  users(ids: readonly string[]): Promise<UserRow[]>;
  /** Those of `ids` an operator disabled (`AdminStore.disableUser`); one lookup by primary key. */
  disabledUsers(ids: readonly string[]): Promise<Set<string>>;
  /** Fails `not_found` for an unknown id; `avatarMediaId: null` clears the avatar. */
  updateUser(
    id: string,
    patch: { nickname?: string; avatarMediaId?: string | null },
  ): Promise<UserRow>;
  /** Users whose username or nickname contains `query`: the exact username first, then prefixes. */
  search(query: string, limit: number): Promise<UserRow[]>;

  /**
   * Stores a new session; false (and no session) when its user is disabled or
   * deleted by the time it is written, so a sign-in racing a disable leaves none.
   */
  createSession(row: NewSession): Promise<boolean>;
  /**
   * The session of a token hash that is neither revoked nor expired at `now`, with its
   * user; null as well when the user is deleted or disabled.
   */
  session(tokenHash: string, now: number): Promise<LiveSession | null>;
  /** Sets a session's `lastSeenAt` to `at`, unless it is already within `minGapMs` of it. */
  touchSession(id: string, at: number, minGapMs: number): Promise<void>;
  /** A user's sessions that are neither revoked nor expired at `now`, oldest first. */
  sessions(userId: string, now: number): Promise<SessionRow[]>;
  revokeSession(tokenHash: string): Promise<void>;
  /** Revokes a live session of this user; its token hash, or null when the user has no such session. */
  endSession(userId: string, sessionId: string, now: number): Promise<string | null>;
  /** The password hash of an account; null for an unknown or deleted one. */
  passwordHash(userId: string): Promise<string | null>;
  /** Replaces the password and revokes every other session; returns their token hashes. */
  setPassword(userId: string, passwordHash: string, keepTokenHash: string): Promise<string[]>;
  /**
   * Deletes an account at `at`: its sessions, friend requests, join requests,
   * blocks (made and suffered), read marks and conversation settings go;
   * the row stays (its messages name it) as `{"username": "", "nickname":
   * "Deleted account"}` with no avatar or password, and it no longer signs in
   * nor is found. Its username stays taken until `releaseUsername()`. Returns
   * the token hashes of the sessions that were not revoked. (Friendships,
   * memberships and media have their own ports.)
   */
  deleteUser(userId: string, at: number): Promise<string[]>;
  /** Frees a username (and its look-alikes) held by accounts deleted at or before `deletedBefore`; whether any was. */
  releaseUsername(username: string, deletedBefore: number): Promise<boolean>;
  /** Records that a user's last connection closed at `at`; an earlier time than the recorded one changes nothing. */
  recordLastSeen(userId: string, at: number): Promise<void>;
  /** When each user's last connection closed (their registration when never); deleted and unknown users are absent. */
  lastSeen(ids: readonly string[]): Promise<Map<string, number>>;
}

/** A new session: `id` is its own, for clients to name it by; the token hash never leaves the server. */
export interface NewSession {
  id: string;
  tokenHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  userAgent: string;
}

/** A live session as the authentication of a request finds it. */
export interface LiveSession {
  id: string;
  lastSeenAt: number;
  user: UserRow;
}

/** A live session of a user, as listed. */
export interface SessionRow {
  id: string;
  tokenHash: string;
  createdAt: number;
  lastSeenAt: number;
  userAgent: string;
}

/** A stored friend request with ids only. */
export interface FriendRequestRow {
  id: string;
  fromId: string;
  toId: string;
  note: string;
  createdAt: number;
}

/** Pending friend requests and mutual friendships. */
export interface FriendStore {
  createRequest(row: FriendRequestRow): Promise<void>;
  request(id: string): Promise<FriendRequestRow | null>;
  requestBetween(fromId: string, toId: string): Promise<FriendRequestRow | null>;
  /** A user's requests, newest first. */
  requests(userId: string): Promise<{ incoming: FriendRequestRow[]; outgoing: FriendRequestRow[] }>;
  deleteRequest(id: string): Promise<void>;
  /** Deletes the pending request `id` if `fromId` sent it, in one step; the deleted row, or null. */
  cancelRequest(id: string, fromId: string): Promise<FriendRequestRow | null>;
  /** Makes two users friends and deletes pending requests between them; false if they already were. */
  add(a: string, b: string, createdAt: number): Promise<boolean>;
  /** Ends a friendship; false if there was none. */
  remove(a: string, b: string): Promise<boolean>;
  areFriends(a: string, b: string): Promise<boolean>;
  /**
   * Of (user, friend) pairs, those that are friends and where the friend has not
   * blocked the user, as `user:friend`. One query for a batch of sends.
   */
  pairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>>;
  /** A user's friends, oldest friendship first. */
  idsOf(userId: string): Promise<string[]>;
}

export type { GroupRole } from "../types.ts";

/** A new group as stored. */
export interface NewGroup {
  id: string;
  name: string;
  avatarMediaId: string | null;
  ownerId: string;
  createdAt: number;
  /** `since_join` when absent. */
  history?: GroupHistory;
  /** `open` when absent. */
  joinPolicy?: JoinPolicy;
}

/** A group patch: only the fields given change; `avatarMediaId: null` clears the avatar. */
export interface GroupPatch {
  name?: string;
  avatarMediaId?: string | null;
  history?: GroupHistory;
  notice?: string;
  joinPolicy?: JoinPolicy;
  muted?: boolean;
}

/** A member as stored. */
export interface MemberRow {
  userId: string;
  role: GroupRole;
  /** Null when not muted; a time already past is as good as null. */
  mutedUntil: number | null;
}

/** A pending join request as stored (logic adds the user). */
export interface JoinRequestRow {
  id: string;
  groupId: string;
  userId: string;
  createdAt: number;
}

/** What may stop a member's send (`GroupStore.senders`). */
export interface SenderState {
  role: GroupRole;
  mutedUntil: number | null;
  groupMuted: boolean;
}

/** What `removeMember` did. */
export interface Removal {
  /** False when the user was not a member (nothing changed). */
  removed: boolean;
  /** The owner left: who owns the group now (the longest-standing admin, else member). */
  newOwner?: string;
  /** The last member left: the group is disbanded (as `disband`). */
  disbanded?: boolean;
}

/** A group as stored: the avatar is a media id, which logic turns into its URL. */
export interface GroupRow extends Omit<Group, "avatar"> {
  avatarMediaId: string | null;
}

/** Groups and their members. */
export interface GroupStore {
  /** Creates a group with its owner and the other members, in that order of joining. */
  create(row: NewGroup, memberIds: readonly string[]): Promise<GroupRow>;
  get(id: string): Promise<GroupRow | null>;
  role(groupId: string, userId: string): Promise<GroupRole | null>;
  /**
   * The seq above which a member may read the group's conversation: 0 when the
   * group's history is `all`, else the conversation's last seq when they joined
   * (0 for the creator and the first members). Null for a non-member.
   */
  historyFloor(groupId: string, userId: string): Promise<number | null>;
  /** Of (group, user) pairs, those where the user is a member, as `group:user`. */
  memberPairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>>;
  /**
   * Of (group, user) pairs, those where the user is a member, as `group:user`,
   * with what logic needs to tell whether they may send now. One query for a
   * batch of sends (the embedded store remembers them until a change of role,
   * mute, membership or the group's `muted`).
   */
  senders(pairs: readonly (readonly [string, string])[]): Promise<Map<string, SenderState>>;
  /** Members in order of joining. */
  members(groupId: string): Promise<MemberRow[]>;
  /** One member; null for a non-member. */
  member(groupId: string, userId: string): Promise<MemberRow | null>;
  memberIds(groupId: string): Promise<string[]>;
  /** Each member's history floor (see `historyFloor`), by user id. */
  floors(groupId: string): Promise<Map<string, number>>;
  /**
   * Adds members, skipping present ones, each with the conversation's last seq as
   * their join seq; returns the ids actually added. Fails `forbidden` past maxSize,
   * `not_found` for an unknown (or disbanded) group.
   */
  addMembers(
    groupId: string,
    userIds: readonly string[],
    maxSize: number,
    joinedAt: number,
  ): Promise<string[]>;
  /**
   * Removes a member, in one transaction: an owner hands ownership to the
   * longest-standing admin, else member (who becomes `owner`, the group's
   * `ownerId` too); the last member's leaving disbands the group.
   */
  removeMember(groupId: string, userId: string): Promise<Removal>;
  /** Sets a member's role to `admin` or `member`. False for a non-member or the owner. */
  setRole(groupId: string, userId: string, role: "admin" | "member"): Promise<boolean>;
  /** Mutes a member until `until` (null: unmutes). False for a non-member. */
  setMutedUntil(groupId: string, userId: string, until: number | null): Promise<boolean>;
  /**
   * Makes member `toId` the owner and the current owner `fromId` an admin, in one
   * transaction; false (nothing changed) unless `fromId` owns it and `toId` is a member.
   */
  transfer(groupId: string, fromId: string, toId: string): Promise<boolean>;
  /**
   * Deletes the group, its members, join requests and its conversation's messages,
   * read marks and the members' settings of it; the ids of those who were members
   * (empty for an unknown group).
   */
  disband(groupId: string): Promise<string[]>;
  /** Fails `not_found` for an unknown id. */
  update(id: string, patch: GroupPatch): Promise<GroupRow>;

  // Join requests (joinPolicy `approval`).
  /** Adds a pending request, or returns the user's pending one for this group. */
  addRequest(row: JoinRequestRow): Promise<JoinRequestRow>;
  /** A group's pending requests, oldest first. */
  requests(groupId: string): Promise<JoinRequestRow[]>;
  /**
   * Decides a pending request in one transaction: deletes it and, when `accept`,
   * adds its user as `addMembers` does (failing `forbidden` past `maxSize`, when
   * the request stays). Null when there is no such pending request of the group
   * (unknown, or decided already: of two decisions at once, one gets null).
   */
  decideRequest(
    groupId: string,
    requestId: string,
    accept: boolean,
    maxSize: number,
    at: number,
  ): Promise<JoinRequestRow | null>;
  /** A user's groups, in order of joining. */
  of(userId: string): Promise<GroupRow[]>;
  idsOf(userId: string): Promise<string[]>;
  /** Groups whose name contains `query`, the exact name first. */
  search(query: string, limit: number): Promise<GroupRow[]>;
}

/** Media metadata and owner, as stored (logic makes the URL); `name` only for files. */
export interface MediaRow extends Omit<MediaInfo, "url"> {
  sha256: string;
  ownerId: string;
  createdAt: number;
}

/** Media metadata by id, and bytes stored once per content (by sha256). */
export interface MediaStore {
  put(row: MediaRow, bytes: Uint8Array): Promise<void>;
  info(id: string): Promise<MediaRow | null>;
  withBytes(id: string): Promise<{ info: MediaRow; bytes: Uint8Array } | null>;
  /**
   * Deletes every media of an owner, and the bytes no other media shares;
   * avatars of users and groups that were one of them are cleared. Returns how many.
   */
  removeOwnedBy(ownerId: string): Promise<number>;
}

/** A stored conversation from one user's point of view. */
export interface ConversationRow {
  id: string;
  type: "user" | "group";
  peerId: string | null;
  groupId: string | null;
  lastSeq: number;
  readSeq: number;
  unread: number;
  lastMessage: Message | null;
  mentioned: boolean;
  /** The user's history floor in a group (`GroupStore.historyFloor`); 0 in a private conversation. */
  floor: number;
  /** The user's settings (`MessageStore.updateSettings`); false when never set. */
  pinned: boolean;
  muted: boolean;
  /** Hidden by the user and no user's message since (never true in `conversations()`). */
  hidden: boolean;
}

/** A user's settings of one conversation; absent fields stay as they were. */
export interface SettingsPatch {
  pinned?: boolean;
  muted?: boolean;
  hidden?: boolean;
}

/**
 * One page of a message search (PROTOCOL.md, Conversations: "Search"; what
 * matches: `shared/search_text.ts`).
 */
export interface MessageSearch {
  userId: string;
  /** The query as the client gave it, trimmed, 2–100 code points (logic checked); the store folds it. */
  text: string;
  /**
   * One conversation (logic checked the user takes part in it), or null for all of the
   * user's: their private conversations and the groups they are a member of now.
   */
  conversationId: string | null;
  /** Only messages with a smaller id (the previous page's last); null for the first page. */
  beforeId: string | null;
  limit: number;
}

/** A page request of history. */
export interface HistoryQuery {
  after?: number;
  before?: number;
  limit: number;
}

/**
 * Messages numbered per conversation, and read marks.
 *
 * `save()` is idempotent on message id: saving a batch again returns the stored
 * messages with the seqs they already had and changes nothing. New messages get
 * their conversation's next seqs, contiguous from 1, in batch order. A new
 * image or file message with a `mediaSource` gets, in the same transaction, its
 * own media `content.mediaId`: a copy of the source's metadata (none when the
 * source is gone by then), owned by the sender, sharing its bytes.
 *
 * Version 2 (PROTOCOL.md, Messages): an `update` entry (content `{type:"update",
 * action, target}` where `target` is the updated message as logic made it) is
 * saved like any message and, in the same transaction and only when it is new,
 * applied to its target: an edit replaces the target's text (mentions kept) and
 * sets `editedAt` to the entry's `sentAt`, unless the target is recalled by then
 * or has an edit sent later (the later `editedAt` wins, as clients apply them);
 * a recall replaces the content by `{type:"recalled","recalledBy"}`, deletes a
 * recalled image's or file's own media (and its bytes when no other media
 * shares them; the upload it copied, avatars and other messages stay served)
 * and its mentions. The entry is stored with `target` as `{id, seq}` only.
 * Every read (save's answer, `get`, `history`, `lastMessage`) gives messages
 * resolved: `replyTo` with the quoted message's current preview, an update's
 * `target` as the target's current version. Update entries never count in
 * `unread`, nor become `lastMessage`.
 *
 * Version 2 (PROTOCOL.md, Groups): a `system` message is saved like any message
 * (it may be `lastMessage`, and makes the group's conversation appear in its
 * members' lists) but never counts in `unread`. A new `joined` system message
 * sets, in the same transaction, its `userId`'s join seq to the message's seq − 1
 * when that member's is lower (so under `since_join` they read from it on: they
 * see that they joined, and nothing stored before it).
 */
export interface MessageStore {
  save(messages: readonly AcceptedMessage[]): Promise<Message[]>;
  /** Messages of one conversation by id, resolved; unknown ids are absent. */
  get(conversationId: string, ids: readonly string[]): Promise<Message[]>;
  /** A message by id alone (edit and recall name only the id), resolved; null when unknown. */
  byId(id: string): Promise<Message | null>;
  /**
   * The first answers to (sender, clientMsgId) keys stored since `since`, keyed
   * `sender:clientMsgId`; keys with no stored message are absent. One query for a batch of sends.
   */
  byClientIds(
    keys: readonly { senderId: string; clientMsgId: string }[],
    since: number,
  ): Promise<Map<string, SendResult>>;
  /** When the newest stored message was sent; null when there is none. */
  newestAt(): Promise<number | null>;
  /** A page of one conversation, ascending by seq. */
  history(conversationId: string, query: HistoryQuery): Promise<Message[]>;
  /**
   * Every conversation of a user that has a message, newest activity first. In a
   * group the user reads from their history floor (`GroupStore.historyFloor`):
   * `readSeq` is at least the floor, `unread` counts only later messages, and
   * `lastMessage` is null while every message is at or below it. `mentioned`:
   * an unread message (not the user's own, not recalled) mentions the user or everyone.
   */
  conversations(userId: string): Promise<ConversationRow[]>;
  /**
   * Sets a user's read mark, never moving it back nor past the conversation's
   * last seq; the new mark when it advanced, else null.
   */
  markRead(userId: string, conversationId: string, seq: number): Promise<number | null>;
  /**
   * The read marks of a conversation's participants (users who never read are
   * absent): a group's current members only, not those who left or were removed.
   */
  reads(conversationId: string): Promise<{ userId: string; seq: number }[]>;
  /** One user's read mark in a conversation; 0 when they never read it. */
  readMark(userId: string, conversationId: string): Promise<number>;

  // Version 2, Conversations (PROTOCOL.md).
  /**
   * One conversation from a user's point of view, as `conversations()` gives it but also
   * when hidden (`hidden: true`) or without any message (`lastSeq` 0, `lastMessage` null).
   * The caller checked the user takes part in it.
   */
  conversation(userId: string, conversationId: string): Promise<ConversationRow>;
  /**
   * Changes a user's settings of a conversation. `hidden: true` hides it from
   * `conversations()` until a user's message (kind `message`, not an update or
   * system message) is stored after the hide; `hidden: false` shows it again.
   * `conversations()` lists pinned conversations first, each part newest activity first.
   */
  updateSettings(userId: string, conversationId: string, patch: SettingsPatch): Promise<void>;
  /**
   * Text messages the user may read whose current text contains the query
   * (`foldForSearch` of both, substring), newest (largest id) first: in a group
   * only those above the user's history floor, and only groups they are a member
   * of now; never a recalled message, an edited one by its latest text only.
   * Answered from the search index (`shared/search_text.ts`: bigrams in the
   * engine's full-text index), never by reading every message, and every
   * candidate checked against the message's current text (so an entry an edit or
   * recall left behind finds nothing). Resolved like `get()`.
   *
   * The index is written off the send path: `save()` only queues each new text
   * message (one small row, in its transaction), an edit queues its target again,
   * and `indexPending()` indexes what is queued, in larger batches, when a
   * background runner calls it; so a message is found shortly after it is
   * stored (a recall and a disband delete their entries at once).
   */
  search(query: MessageSearch): Promise<Message[]>;
  /**
   * Indexes up to `limit` queued messages (saved or edited since the index was
   * last brought up to date) by their current text, oldest queued first; how many
   * it took from the queue, 0 once it is empty. Safe to run from several
   * processes at once (they take different rows).
   */
  indexPending(limit: number): Promise<number>;
  /**
   * Indexes up to `limit` of the text messages stored before the search index
   * existed (newest first, so recent ones are found first), resumable across
   * restarts and safe to run from several processes at once; how many it indexed,
   * 0 once none is left. Until then search does not find those older messages.
   */
  indexBacklog(limit: number): Promise<number>;
}

/**
 * Blocks (PROTOCOL.md, Version 2, Blocking): who blocked whom. A block keeps a
 * friendship; `FriendStore.pairs` no longer finds a pair whose second user
 * blocked the first (so the send path's one query refuses it, and the embedded
 * store forgets such pairs when a block is made).
 */
export interface BlockStore {
  /** False when already blocked. */
  block(userId: string, blockedId: string, at: number): Promise<boolean>;
  /** False when not blocked. */
  unblock(userId: string, blockedId: string): Promise<boolean>;
  /** Whom `userId` blocked, latest first. */
  blockedBy(userId: string): Promise<string[]>;
  /** Whether `userId` blocked `otherId`. */
  blocks(userId: string, otherId: string): Promise<boolean>;
}

/** What an operator may ask of the admin tool (`deno task admin`). */
export type AdminActionName = "disable" | "enable" | "signout" | "recall" | "counts";

/** An action of the admin tool as it is recorded, before a server applies it. */
export interface NewAdminAction {
  at: number;
  /** Who asked: the operator's name (`--by`, else `user@host`). */
  actor: string;
  action: AdminActionName;
  /** The user id or message id it is about; "" when none (`counts`). */
  target: string;
  /** What else the operator gave (`reason`). */
  args: Record<string, unknown>;
}

/** An action of the audit log, pending or applied. */
export interface AdminActionRow extends NewAdminAction {
  /** Ascending in the order actions were recorded. */
  id: string;
  status: "pending" | "done" | "failed";
  /** What applying it gave (done), or `{code, message}` (failed); null while pending. */
  result: unknown;
  /** When it was applied; while pending, when a server claimed it (null: none has). */
  appliedAt: number | null;
  /** The process that applied (or, while pending, claimed) it. */
  appliedBy: string | null;
}

/** A user as the admin tool shows one. */
export interface AdminUserRow extends UserRow {
  createdAt: number;
  /** When their last connection closed; null when never. */
  lastSeenAt: number | null;
  disabledAt: number | null;
  disabledReason: string | null;
  /** Sessions neither revoked nor expired. */
  sessions: number;
}

/** Totals for `deno task admin counts`. */
export interface AdminCounts {
  /** Accounts not deleted, disabled ones included. */
  users: number;
  disabled: number;
  groups: number;
  /** Users' messages (not edits, recalls or system lines), recalled ones included. */
  messages: number;
}

/**
 * The admin tool's port: its audit log, which is also the queue of actions a
 * running server applies (`logic/admin.ts`), and what those actions need of
 * the store beyond the other ports.
 */
export interface AdminStore {
  /** Writes an action to the audit log, pending; its row. */
  record(action: NewAdminAction): Promise<AdminActionRow>;
  /**
   * Takes the oldest pending action nobody claimed since `staleBefore` (a claim
   * older than that was a process that died), writing `by` and `at` as its
   * claim; null when there is none. Two processes claiming at once take
   * different actions.
   */
  claim(by: string, at: number, staleBefore: number): Promise<AdminActionRow | null>;
  /** Writes an action's outcome; false (nothing changed) when it is not pending any more. */
  finish(
    id: string,
    outcome: { status: "done" | "failed"; result: unknown; at: number; by: string },
  ): Promise<boolean>;
  /** One action; null for an unknown id. */
  action(id: string): Promise<AdminActionRow | null>;
  /** The latest actions, newest first. */
  actions(limit: number): Promise<AdminActionRow[]>;
  /**
   * Users by exact id, username (ignoring case) or username prefix, the exact
   * matches first; deleted accounts are not found.
   */
  findUsers(query: string, limit: number, now: number): Promise<AdminUserRow[]>;
  /**
   * Disables an account at `at` (kept as it was when already disabled) and
   * deletes every session of it, in one transaction; the token hashes of the
   * sessions that were not revoked, or null for an unknown or deleted user.
   */
  disableUser(userId: string, at: number, reason: string | null): Promise<string[] | null>;
  /** Lets a disabled account sign in again; false for an unknown or deleted user. */
  enableUser(userId: string): Promise<boolean>;
  /**
   * Deletes every session of a user; the token hashes of those not revoked, or
   * null for an unknown or deleted user.
   */
  endSessions(userId: string): Promise<string[] | null>;
  counts(): Promise<AdminCounts>;
}

/** The opened store: the seven ports over one engine. */
export interface Store {
  readonly accounts: AccountStore;
  readonly admin: AdminStore;
  readonly blocks: BlockStore;
  readonly friends: FriendStore;
  readonly groups: GroupStore;
  readonly media: MediaStore;
  readonly messages: MessageStore;
  /** Resolves when the engine answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  /** Waits for running statements and closes the engine cleanly. */
  close(): Promise<void>;
}
