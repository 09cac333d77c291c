/**
 * The store port: durable state of accounts, friends, groups, media and messages.
 *
 * Contract:
 * - Every method is atomic. Driver failures surface as `AppError("unavailable")`;
 *   broken invariants (a taken username, a missing row) as the matching protocol code.
 * - `saveMessages()` is idempotent on message id: saving a batch again returns the
 *   stored messages with the seqs they already had and changes nothing. New
 *   messages get their conversation's next seqs, contiguous from 1, in batch order.
 * - `close()` waits for running statements and closes the engine cleanly.
 */
import type { AcceptedMessage, Group, MediaInfo, Message, SendResult, User } from "../types.ts";

/** A user row with its password hash, for login. */
export interface UserCredentials {
  user: User;
  passwordHash: string;
}

/** A stored friend request with ids only. */
export interface FriendRequestRow {
  id: string;
  fromId: string;
  toId: string;
  note: string;
  createdAt: number;
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
}

/** Media metadata and owner, as stored. */
export interface MediaRow extends MediaInfo {
  sha256: string;
  ownerId: string;
  createdAt: number;
}

/** A page request of history. */
export interface HistoryQuery {
  after?: number;
  before?: number;
  limit: number;
}

/** The store port. */
export interface Store {
  ping(): Promise<void>;

  createUser(
    row: {
      id: string;
      username: string;
      passwordHash: string;
      nickname: string;
      createdAt: number;
    },
  ): Promise<User>;
  userCredentials(username: string): Promise<UserCredentials | null>;
  users(ids: readonly string[]): Promise<User[]>;
  updateUser(
    id: string,
    patch: { nickname?: string; avatarMediaId?: string | null },
  ): Promise<User>;
  searchUsers(query: string, limit: number): Promise<User[]>;

  createSession(tokenHash: string, userId: string, expiresAt: number): Promise<void>;
  sessionUser(tokenHash: string, now: number): Promise<User | null>;
  revokeSession(tokenHash: string): Promise<void>;

  createFriendRequest(row: FriendRequestRow): Promise<void>;
  friendRequest(id: string): Promise<FriendRequestRow | null>;
  friendRequestBetween(fromId: string, toId: string): Promise<FriendRequestRow | null>;
  friendRequests(
    userId: string,
  ): Promise<{ incoming: FriendRequestRow[]; outgoing: FriendRequestRow[] }>;
  deleteFriendRequest(id: string): Promise<void>;
  /** Makes two users friends and deletes pending requests between them; false if they already were. */
  addFriendship(a: string, b: string, createdAt: number): Promise<boolean>;
  /** Ends a friendship; false if there was none. */
  removeFriendship(a: string, b: string): Promise<boolean>;
  areFriends(a: string, b: string): Promise<boolean>;
  /** Of (user, friend) pairs, those that are friends, as `user:friend`. One query for a batch of sends. */
  friendPairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>>;
  friendIds(userId: string): Promise<string[]>;

  createGroup(
    row: {
      id: string;
      name: string;
      avatarMediaId: string | null;
      ownerId: string;
      createdAt: number;
    },
    memberIds: readonly string[],
  ): Promise<Group>;
  group(id: string): Promise<Group | null>;
  groupRole(groupId: string, userId: string): Promise<"owner" | "member" | null>;
  /** Of (group, user) pairs, those where the user is a member, as `group:user`. */
  memberPairs(pairs: readonly (readonly [string, string])[]): Promise<Set<string>>;
  groupMembers(groupId: string): Promise<{ userId: string; role: "owner" | "member" }[]>;
  groupMemberIds(groupId: string): Promise<string[]>;
  /** Adds members, skipping present ones; returns the ids actually added. Fails `forbidden` past maxSize. */
  addGroupMembers(
    groupId: string,
    userIds: readonly string[],
    maxSize: number,
    joinedAt: number,
  ): Promise<string[]>;
  /** Removes a member; an owner hands ownership to the longest-standing member (none left: the group stays, ownerless). */
  removeGroupMember(groupId: string, userId: string): Promise<boolean>;
  updateGroup(id: string, patch: { name?: string; avatarMediaId?: string | null }): Promise<Group>;
  groupsOf(userId: string): Promise<Group[]>;
  groupIdsOf(userId: string): Promise<string[]>;
  searchGroups(query: string, limit: number): Promise<Group[]>;

  putMedia(row: MediaRow, bytes: Uint8Array): Promise<void>;
  mediaInfo(id: string): Promise<MediaRow | null>;
  mediaBytes(id: string): Promise<{ info: MediaRow; bytes: Uint8Array } | null>;

  saveMessages(messages: readonly AcceptedMessage[]): Promise<Message[]>;
  /**
   * The first answers to (sender, clientMsgId) keys stored since `since`, keyed
   * `sender:clientMsgId`; keys with no stored message are absent. One query for a batch of sends.
   */
  messagesByClientIds(
    keys: readonly { senderId: string; clientMsgId: string }[],
    since: number,
  ): Promise<Map<string, SendResult>>;
  /** When the newest stored message was sent; null when there is none. */
  newestMessageAt(): Promise<number | null>;
  history(conversationId: string, query: HistoryQuery): Promise<Message[]>;
  conversations(userId: string): Promise<ConversationRow[]>;
  /** Sets a user's read mark, never moving it back nor past the conversation's last seq. */
  markRead(userId: string, conversationId: string, seq: number): Promise<void>;

  close(): Promise<void>;
}
