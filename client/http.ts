/** The HTTP half of the SDK: one typed method per route of the protocol. */
import type {
  ContentInput,
  ConversationSettingsPatch,
  ConversationSummary,
  FriendRequest,
  Group,
  GroupHistory,
  GroupMember,
  JoinPolicy,
  JoinRequest,
  MediaInfo,
  Message,
  ReadMark,
  SendResult,
  Session,
  Target,
  User,
} from "../shared/types.ts";

/** An error answer from the server, with its protocol code and HTTP status. */
export class ImError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ImError";
  }
}

/** A friend and whether they are online. */
export interface FriendOnline {
  user: User;
  online: boolean;
}

/** A user, with presence when the caller may see it. */
export interface UserOnline {
  user: User;
  /** Only for friends and oneself: absent for anyone else. */
  online?: boolean;
}

/** The fields of a group its owner or an admin may change (`PATCH /api/groups/<id>`). */
export interface GroupPatch {
  name?: string;
  /** A media id from `uploadMedia()`, or null to remove the picture. */
  avatar?: string | null;
  /** 0–1000 code points; `""` removes it. */
  notice?: string;
  joinPolicy?: JoinPolicy;
  /** Only the owner and admins may send while true. */
  muted?: boolean;
  history?: GroupHistory;
}

/** A change of a member (`PATCH /api/groups/<id>/members/<userId>`): at least one field. */
export interface MemberPatch {
  /** By the owner only; the owner's own role changes by `transferGroup()`. */
  role?: "admin" | "member";
  /** Ms (after now, at most a year on) until which the member may not send; null unmutes. */
  mutedUntil?: number | null;
}

/**
 * What joining a group answers: the group (an `open` group), or the join request that waits for
 * an owner or admin (an `approval` group; joining again while it waits answers the same one).
 */
export type JoinAnswer =
  | { group: Group; request?: undefined }
  | { request: JoinRequest; group?: undefined };

/** Options of the HTTP client. */
export interface HttpOptions {
  /** Where the server is, e.g. `http://localhost:8080`. */
  baseUrl: string;
  token?: string;
  /** The fetch to call (default the global one; a fake in tests). */
  fetch?: typeof fetch;
}

/** The path of a group, its id escaped. */
function groupPath(id: string): string {
  return `/api/groups/${encodeURIComponent(id)}`;
}

/** Typed calls to the HTTP API. */
export class ImHttp {
  readonly baseUrl: string;
  token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(
    { baseUrl, token, fetch = (input, init) => globalThis.fetch(input, init) }: HttpOptions,
  ) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.token = token;
    this.#fetch = fetch;
  }

  /** Any call: JSON in and out; error answers throw ImError. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const init: RequestInit = { method, headers: { ...headers } };
    const h = init.headers as Record<string, string>;
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (body instanceof Uint8Array) {
      init.body = body as Uint8Array<ArrayBuffer>;
    } else if (body !== undefined) {
      h["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await this.#fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    if (!response.ok) {
      let code = "internal";
      let message = text;
      try {
        ({ code, message } = JSON.parse(text).error);
      } catch {
        // Not our error body: keep the raw text.
      }
      const retry = response.headers.get("retry-after");
      throw new ImError(code, message, response.status, retry ? Number(retry) : undefined);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async register(
    username: string,
    password: string,
    nickname?: string,
  ): Promise<{ user: User; token: string }> {
    const result = await this.request<{ user: User; token: string }>("POST", "/api/auth/register", {
      username,
      password,
      ...(nickname === undefined ? {} : { nickname }),
    });
    this.token = result.token;
    return result;
  }

  async login(username: string, password: string): Promise<{ user: User; token: string }> {
    const result = await this.request<{ user: User; token: string }>("POST", "/api/auth/login", {
      username,
      password,
    });
    this.token = result.token;
    return result;
  }

  async logout(): Promise<void> {
    await this.request("POST", "/api/auth/logout");
  }

  // Account settings.
  /** Changes the password; every other session of the account is signed out. */
  async changePassword(current: string, password: string): Promise<void> {
    await this.request("POST", "/api/me/password", { current, password });
  }

  /** The account's signed-in sessions, this one marked `current`. */
  async sessions(): Promise<Session[]> {
    return (await this.request<{ sessions: Session[] }>("GET", "/api/me/sessions")).sessions;
  }

  /** Signs out one session of the account (its sockets close with 4401). */
  async endSession(id: string): Promise<void> {
    await this.request("DELETE", `/api/me/sessions/${encodeURIComponent(id)}`);
  }

  /** Deletes the account for good; this client's token stops working. */
  async deleteAccount(password: string): Promise<void> {
    await this.request("DELETE", "/api/me", { password });
  }
  // End of account settings.

  async me(): Promise<User> {
    return (await this.request<{ user: User }>("GET", "/api/me")).user;
  }

  async updateMe(patch: { nickname?: string; avatar?: string | null }): Promise<User> {
    return (await this.request<{ user: User }>("PATCH", "/api/me", patch)).user;
  }

  async searchUsers(q: string, limit?: number): Promise<User[]> {
    const query = new URLSearchParams({ q, ...(limit ? { limit: String(limit) } : {}) });
    return (await this.request<{ users: User[] }>("GET", `/api/users/search?${query}`)).users;
  }

  user(id: string): Promise<UserOnline> {
    return this.request("GET", `/api/users/${encodeURIComponent(id)}`);
  }

  requestFriend(
    userId: string,
    note?: string,
  ): Promise<{ request?: FriendRequest; friend?: User }> {
    return this.request("POST", "/api/friends/requests", {
      userId,
      ...(note === undefined ? {} : { note }),
    });
  }

  friendRequests(): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    return this.request("GET", "/api/friends/requests");
  }

  async acceptFriend(requestId: string): Promise<User> {
    return (await this.request<{ friend: User }>(
      "POST",
      `/api/friends/requests/${requestId}/accept`,
    )).friend;
  }

  async rejectFriend(requestId: string): Promise<void> {
    await this.request("POST", `/api/friends/requests/${requestId}/reject`);
  }

  /** Withdraws a pending request this user sent. */
  async cancelFriendRequest(requestId: string): Promise<void> {
    await this.request("DELETE", `/api/friends/requests/${requestId}`);
  }

  async friends(): Promise<FriendOnline[]> {
    return (await this.request<{ friends: FriendOnline[] }>("GET", "/api/friends")).friends;
  }

  async removeFriend(userId: string): Promise<void> {
    await this.request("DELETE", `/api/friends/${userId}`);
  }

  async createGroup(name: string, memberIds: string[] = [], avatar?: string): Promise<Group> {
    const body = { name, memberIds, ...(avatar ? { avatar } : {}) };
    return (await this.request<{ group: Group }>("POST", "/api/groups", body)).group;
  }

  async groups(): Promise<{ group: Group; onlineCount: number }[]> {
    return (await this.request<{ groups: { group: Group; onlineCount: number }[] }>(
      "GET",
      "/api/groups",
    )).groups;
  }

  async searchGroups(q: string): Promise<Group[]> {
    return (await this.request<{ groups: Group[] }>(
      "GET",
      `/api/groups/search?${new URLSearchParams({ q })}`,
    )).groups;
  }

  group(id: string): Promise<{ group: Group; members: GroupMember[]; onlineCount: number }> {
    return this.request("GET", `/api/groups/${encodeURIComponent(id)}`);
  }

  /** Joins an `open` group (`{group}`), or asks to join an `approval` one (`{request}`, 202). */
  joinGroup(id: string): Promise<JoinAnswer> {
    return this.request("POST", `${groupPath(id)}/join`);
  }

  async leaveGroup(id: string): Promise<void> {
    await this.request("POST", `/api/groups/${id}/leave`);
  }

  async addGroupMembers(id: string, userIds: string[]): Promise<Group> {
    return (await this.request<{ group: Group }>("POST", `/api/groups/${id}/members`, { userIds }))
      .group;
  }

  /** Changes a group's settings, as its owner or an admin; each changed field is a system message. */
  async updateGroup(id: string, patch: GroupPatch): Promise<Group> {
    return (await this.request<{ group: Group }>("PATCH", groupPath(id), patch)).group;
  }

  // Version 2, Groups: roles, removal, mute, transfer, disband, join requests.
  /** Makes a member an admin or a plain member (the owner), or mutes or unmutes them. */
  async updateGroupMember(
    groupId: string,
    userId: string,
    patch: MemberPatch,
  ): Promise<GroupMember> {
    const path = `${groupPath(groupId)}/members/${encodeURIComponent(userId)}`;
    return (await this.request<{ member: GroupMember }>("PATCH", path, patch)).member;
  }

  /** Removes a member: the owner removes anyone, an admin plain members (oneself: `leaveGroup()`). */
  async removeGroupMember(groupId: string, userId: string): Promise<void> {
    await this.request("DELETE", `${groupPath(groupId)}/members/${encodeURIComponent(userId)}`);
  }

  /** Hands the group to another member; the caller, its owner, becomes an admin. */
  async transferGroup(groupId: string, userId: string): Promise<Group> {
    const path = `${groupPath(groupId)}/transfer`;
    return (await this.request<{ group: Group }>("POST", path, { userId })).group;
  }

  /** Disbands the group, as its owner: every member gets `group_removed` (`disbanded`). */
  async disbandGroup(groupId: string): Promise<void> {
    await this.request("DELETE", groupPath(groupId));
  }

  /** The pending join requests of an `approval` group, for its owner and admins. */
  async joinRequests(groupId: string): Promise<JoinRequest[]> {
    const path = `${groupPath(groupId)}/requests`;
    return (await this.request<{ requests: JoinRequest[] }>("GET", path)).requests;
  }

  /** Accepts a join request: the group with its new member. */
  async acceptJoinRequest(groupId: string, requestId: string): Promise<Group> {
    const path = `${groupPath(groupId)}/requests/${encodeURIComponent(requestId)}/accept`;
    return (await this.request<{ group: Group }>("POST", path)).group;
  }

  /** Rejects a join request (the requester is not told). */
  async rejectJoinRequest(groupId: string, requestId: string): Promise<void> {
    const path = `${groupPath(groupId)}/requests/${encodeURIComponent(requestId)}/reject`;
    await this.request("POST", path);
  }
  // End of version 2, Groups.

  // Version 2, Blocking.
  /**
   * Blocks a user: they can no longer send this user friend requests or private messages, nor
   * see their presence (they are not told). A friendship stays. Blocking twice is fine.
   */
  async block(userId: string): Promise<void> {
    await this.request("PUT", `/api/blocks/${encodeURIComponent(userId)}`);
  }

  /** Unblocks a user (one not blocked is fine): what the block took away comes back. */
  async unblock(userId: string): Promise<void> {
    await this.request("DELETE", `/api/blocks/${encodeURIComponent(userId)}`);
  }

  /** The users this user blocked, latest first. */
  async blocks(): Promise<User[]> {
    return (await this.request<{ users: User[] }>("GET", "/api/blocks")).users;
  }
  // End of version 2, Blocking.

  postMessage(to: Target, content: ContentInput, clientMsgId: string): Promise<SendResult> {
    return this.request("POST", "/api/messages", { to, content, clientMsgId });
  }

  async conversations(): Promise<ConversationSummary[]> {
    return (await this.request<{ conversations: ConversationSummary[] }>(
      "GET",
      "/api/conversations",
    )).conversations;
  }

  async history(
    conversationId: string,
    page: { after?: number; before?: number; limit?: number } = {},
  ): Promise<Message[]> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(page)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages?${query}`;
    return (await this.request<{ messages: Message[] }>("GET", path)).messages;
  }

  /** Edits the text of one's own text message (within the edit window); answers its new version. */
  async editMessage(messageId: string, text: string): Promise<Message> {
    const path = `/api/messages/${encodeURIComponent(messageId)}`;
    const body = { content: { type: "text", text } };
    return (await this.request<{ message: Message }>("PATCH", path, body)).message;
  }

  /** Recalls (deletes for everyone) a message: one's own within the window, or as a group's owner or admin. */
  async recallMessage(messageId: string): Promise<void> {
    await this.request("DELETE", `/api/messages/${encodeURIComponent(messageId)}`);
  }

  /** Every participant's read mark of a conversation (users who never read are absent). */
  /**
   * Pins, mutes or hides a conversation for the signed-in user (PROTOCOL.md, Conversations);
   * the summary as it is now, also sent to every connection as `conversation_update`.
   */
  async updateConversation(
    conversationId: string,
    patch: ConversationSettingsPatch,
  ): Promise<ConversationSummary> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}`;
    return (await this.request<{ conversation: ConversationSummary }>("PATCH", path, patch))
      .conversation;
  }

  /**
   * Text messages whose current text contains `q` (2–100 characters) ignoring case, newest
   * first: in one conversation, or across all of the user's. The next page: `before` = the
   * last message's id.
   */
  async searchMessages(
    q: string,
    options: { conversationId?: string; before?: string; limit?: number } = {},
  ): Promise<Message[]> {
    const params = new URLSearchParams({ q });
    if (options.conversationId !== undefined) params.set("conversationId", options.conversationId);
    if (options.before !== undefined) params.set("before", options.before);
    if (options.limit !== undefined) params.set("limit", String(options.limit));
    return (await this.request<{ messages: Message[] }>("GET", `/api/messages/search?${params}`))
      .messages;
  }

  async reads(conversationId: string): Promise<ReadMark[]> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/reads`;
    return (await this.request<{ reads: ReadMark[] }>("GET", path)).reads;
  }

  uploadMedia(bytes: Uint8Array, contentType: string): Promise<MediaInfo> {
    return this.request("POST", "/api/media", bytes, { "content-type": contentType });
  }

  /**
   * Uploads any bytes as a file (up to the server's `IM_MAX_FILE_BYTES`), to send
   * as `{type: "file", mediaId, name}`; the answer carries the name as checked.
   */
  uploadFile(bytes: Uint8Array, name: string): Promise<MediaInfo> {
    return this.request("POST", "/api/media?kind=file", bytes, {
      "content-type": "application/octet-stream",
      "x-file-name": encodeURIComponent(name),
    });
  }

  /** The absolute WebSocket URL to open. */
  async connectUrl(): Promise<string> {
    const { url } = await this.request<{ url: string }>("GET", "/api/connect");
    return new URL(url, this.baseUrl.replace(/^http/, "ws")).toString();
  }
}
