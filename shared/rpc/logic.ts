/**
 * LogicService: every business rule, called by api and connect. In-process it
 * is the object `createLogic()` returns; in a cluster, a gRPC client.
 *
 * `userId` is always the authenticated caller. Inputs typed `unknown` are
 * validated by logic itself, so every transport gets the same checks and errors.
 * Failures are AppErrors with protocol codes.
 */
import type { ErrorCode } from "../errors.ts";
import type {
  ConversationSummary,
  FriendRequest,
  Group,
  GroupMember,
  JoinRequest,
  MediaInfo,
  Message,
  ReadMark,
  SendResult,
  Session,
  User,
} from "../types.ts";

/** A user and whether they are online (absent where the caller may not see presence). */
export interface UserPresence {
  user: User;
  online?: boolean;
}

/** The answer to one send of `sendMany()`: its result, or the error the client sees. */
export type SendOutcome =
  | { result: SendResult; error?: undefined }
  | { result?: undefined; error: { code: ErrorCode; message: string; retryAfter?: number } };

/** The logic service. */
export interface LogicService {
  /**
   * `address`: the client's network address, for the per-address limits;
   * `userAgent`: the User-Agent of the request, kept with the new session.
   */
  register(
    input: unknown,
    address?: string,
    userAgent?: string,
  ): Promise<{ user: User; token: string }>;
  login(
    input: unknown,
    address?: string,
    userAgent?: string,
  ): Promise<{ user: User; token: string }>;
  logout(token: string): Promise<void>;
  /** The user of a live token; `unauthenticated` otherwise. */
  authenticate(token: string): Promise<User>;
  me(userId: string): Promise<User>;
  updateMe(userId: string, input: unknown): Promise<User>;
  searchUsers(userId: string, query: string | null, limit: string | null): Promise<User[]>;
  user(userId: string, id: string): Promise<UserPresence>;

  // Account settings. `token` is the caller's own, which stays valid.
  /** Checks `current`, sets `password`, and signs out every other session of the account. */
  changePassword(userId: string, token: string, input: unknown): Promise<void>;
  /** The account's live sessions, the caller's marked `current`. */
  sessions(userId: string, token: string): Promise<Session[]>;
  /** Signs out one session of the caller's account; another account's is `not_found`. */
  endSession(userId: string, sessionId: string): Promise<void>;
  /** Checks the password and deletes the account (PROTOCOL.md, Accounts). */
  deleteAccount(userId: string, input: unknown): Promise<void>;

  requestFriend(
    userId: string,
    input: unknown,
  ): Promise<
    { request: FriendRequest; friend?: undefined } | { friend: User; request?: undefined }
  >;
  friendRequests(userId: string): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }>;
  acceptFriend(userId: string, requestId: string): Promise<User>;
  rejectFriend(userId: string, requestId: string): Promise<void>;
  /** The sender withdraws a pending request; the receiver is told (`friend_request_cancelled`). */
  cancelFriendRequest(userId: string, requestId: string): Promise<void>;
  friends(userId: string): Promise<{ user: User; online: boolean }[]>;
  removeFriend(userId: string, friendId: string): Promise<void>;

  createGroup(userId: string, input: unknown): Promise<Group>;
  groups(userId: string): Promise<{ group: Group; onlineCount: number }[]>;
  searchGroups(userId: string, query: string | null): Promise<Group[]>;
  group(
    userId: string,
    groupId: string,
  ): Promise<{ group: Group; members: GroupMember[]; onlineCount: number }>;
  /** `open`: joins (the group); `approval`: a join request (202); `invite`: `forbidden`. */
  joinGroup(
    userId: string,
    groupId: string,
  ): Promise<{ group: Group; request?: undefined } | { request: JoinRequest; group?: undefined }>;
  leaveGroup(userId: string, groupId: string): Promise<void>;
  addGroupMembers(userId: string, groupId: string, input: unknown): Promise<Group>;
  /** name, avatar, notice, joinPolicy, muted, history: the owner or an admin. */
  updateGroup(userId: string, groupId: string, input: unknown): Promise<Group>;

  // Version 2, Groups (PROTOCOL.md).
  /** `PATCH /api/groups/<id>/members/<userId>` `{role?, mutedUntil?}`: the member as now. */
  updateGroupMember(
    userId: string,
    groupId: string,
    memberId: string,
    input: unknown,
  ): Promise<GroupMember>;
  /** `DELETE /api/groups/<id>/members/<userId>`: the owner removes anyone, an admin plain members. */
  removeGroupMember(userId: string, groupId: string, memberId: string): Promise<void>;
  /** `POST /api/groups/<id>/transfer` `{userId}`: the owner hands the group to a member. */
  transferGroup(userId: string, groupId: string, input: unknown): Promise<Group>;
  /** `DELETE /api/groups/<id>`: the owner disbands the group. */
  disbandGroup(userId: string, groupId: string): Promise<void>;
  /** `GET /api/groups/<id>/requests`: pending join requests, for the owner and admins. */
  joinRequests(userId: string, groupId: string): Promise<JoinRequest[]>;
  /** `POST /api/groups/<id>/requests/<rid>/accept`: the group with its new member. */
  acceptJoinRequest(userId: string, groupId: string, requestId: string): Promise<Group>;
  /** `POST /api/groups/<id>/requests/<rid>/reject`. */
  rejectJoinRequest(userId: string, groupId: string, requestId: string): Promise<void>;

  // Version 2, Blocking (PROTOCOL.md).
  /** `PUT /api/blocks/<userId>`; blocking twice is fine. */
  block(userId: string, blockedId: string): Promise<void>;
  /** `DELETE /api/blocks/<userId>`; unblocking one not blocked is fine. */
  unblock(userId: string, blockedId: string): Promise<void>;
  /** `GET /api/blocks`: whom the caller blocked, latest first. */
  blocks(userId: string): Promise<User[]>;
  /** Group ids of a user, for connect's group nodes. */
  groupIdsOf(userId: string): Promise<string[]>;

  send(userId: string, input: unknown): Promise<SendResult>;
  /**
   * Several sends of one caller, accepted in order, each answered on its own:
   * one refused send does not refuse the others. What connect uses for the
   * consecutive `send` frames of a connection. `traceparents[i]`, when given, is the trace
   * context (W3C traceparent, shared/trace.ts) of `inputs[i]`: its record carries it on.
   */
  sendMany(
    userId: string,
    inputs: unknown,
    traceparents?: readonly (string | null)[],
  ): Promise<SendOutcome[]>;
  conversations(userId: string): Promise<ConversationSummary[]>;
  history(
    userId: string,
    conversationId: string,
    query: { after: string | null; before: string | null; limit: string | null },
  ): Promise<Message[]>;
  read(userId: string, input: unknown): Promise<void>;

  // Version 2, Conversations (PROTOCOL.md).
  /**
   * `PATCH /api/conversations/<id>` `{pinned?, muted?, hidden?}` (at least one, booleans):
   * the caller's settings of a conversation they take part in; the summary with `pinned`,
   * `muted` and `hidden`, also sent as `conversation_update` to all the caller's connections.
   */
  updateConversation(
    userId: string,
    conversationId: string,
    input: unknown,
  ): Promise<ConversationSummary>;
  /**
   * `GET /api/messages/search`: text messages the caller may read (one conversation, or all of
   * theirs) whose current text contains `q` (2–100 code points, trimmed) ignoring case, newest
   * first, before the message `before` when given; `limit` 1–50 (20 when absent).
   */
  searchMessages(
    userId: string,
    query: {
      q: string | null;
      conversationId: string | null;
      before: string | null;
      limit: string | null;
    },
  ): Promise<Message[]>;

  // Version 2, Messages (PROTOCOL.md).
  /** `PATCH /api/messages/<id>`: the sender edits a text within the edit window; the edited message. */
  editMessage(userId: string, messageId: string, input: unknown): Promise<Message>;
  /** `DELETE /api/messages/<id>`: its sender within the recall window, or a group's owner or admin. */
  recallMessage(userId: string, messageId: string): Promise<void>;
  /** `GET /api/conversations/<id>/reads`: every participant's read mark, for a participant. */
  reads(userId: string, conversationId: string): Promise<ReadMark[]>;
  /**
   * A `typing` frame: relayed at once to the other participants' online
   * connections, never stored; dropped silently past one per 2 s per
   * conversation per user, or in groups over 500 members.
   */
  typing(userId: string, conversationId: string): Promise<void>;

  /** `kind`: "image" (the default) or "file" with its name (`X-File-Name`, percent-encoded). */
  uploadMedia(
    userId: string,
    bytes: Uint8Array,
    options?: { kind?: string | null; name?: string | null },
  ): Promise<MediaInfo>;
  media(mediaId: string): Promise<{ info: MediaInfo; bytes: Uint8Array }>;

  /** Resolves when every dependency answers; rejects with `unavailable` otherwise. */
  ready(): Promise<void>;
}
