/** The route table of the HTTP API: every route of the protocol, in one place. */
import type { LogicService } from "../shared/rpc/logic.ts";
import { json, noContent } from "./http.ts";
import { mediaResponse } from "./media.ts";

/** What a route handler gets. */
export interface RouteContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** The caller's id (empty for public routes). */
  userId: string;
  token: string;
  /** The client's network address (empty when unknown), for per-address limits. */
  address: string;
  logic: LogicService;
  body(): Promise<unknown>;
  bytes(limit: number): Promise<Uint8Array>;
  connectUrl(): string;
  imageBytes: number;
  /** Bytes of a file upload (`POST /api/media?kind=file`). */
  fileBytes: number;
}

/** One route. */
export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  auth: boolean;
  handle(ctx: RouteContext): Promise<Response>;
}

const q = (ctx: RouteContext, name: string) => ctx.url.searchParams.get(name);
const userAgent = (ctx: RouteContext) => ctx.request.headers.get("user-agent") ?? undefined;

/** Every route. */
export const ROUTES: readonly Route[] = [
  {
    method: "POST",
    path: "/api/auth/register",
    auth: false,
    handle: async (c) => json(await c.logic.register(await c.body(), c.address, userAgent(c)), 201),
  },
  {
    method: "POST",
    path: "/api/auth/login",
    auth: false,
    handle: async (c) => json(await c.logic.login(await c.body(), c.address, userAgent(c))),
  },
  {
    method: "POST",
    path: "/api/auth/logout",
    auth: true,
    handle: async (c) => (await c.logic.logout(c.token), noContent()),
  },
  {
    method: "GET",
    path: "/api/me",
    auth: true,
    handle: async (c) => json({ user: await c.logic.me(c.userId) }),
  },
  {
    method: "PATCH",
    path: "/api/me",
    auth: true,
    handle: async (c) => json({ user: await c.logic.updateMe(c.userId, await c.body()) }),
  },
  // Account settings (PROTOCOL.md, Version 2, Accounts).
  {
    method: "POST",
    path: "/api/me/password",
    auth: true,
    handle: async (c) => (
      await c.logic.changePassword(c.userId, c.token, await c.body()), noContent()
    ),
  },
  {
    method: "GET",
    path: "/api/me/sessions",
    auth: true,
    handle: async (c) => json({ sessions: await c.logic.sessions(c.userId, c.token) }),
  },
  {
    method: "DELETE",
    path: "/api/me/sessions/:id",
    auth: true,
    handle: async (c) => (await c.logic.endSession(c.userId, c.params.id), noContent()),
  },
  {
    method: "DELETE",
    path: "/api/me",
    auth: true,
    handle: async (c) => (await c.logic.deleteAccount(c.userId, await c.body()), noContent()),
  },
  // End of account settings.
  {
    method: "GET",
    path: "/api/users/search",
    auth: true,
    handle: async (c) =>
      json({ users: await c.logic.searchUsers(c.userId, q(c, "q"), q(c, "limit")) }),
  },
  {
    method: "GET",
    path: "/api/users/:id",
    auth: true,
    handle: async (c) => json(await c.logic.user(c.userId, c.params.id)),
  },
  {
    method: "POST",
    path: "/api/friends/requests",
    auth: true,
    handle: async (c) => {
      const result = await c.logic.requestFriend(c.userId, await c.body());
      return result.friend
        ? json({ friend: result.friend })
        : json({ request: result.request }, 201);
    },
  },
  {
    method: "GET",
    path: "/api/friends/requests",
    auth: true,
    handle: async (c) => json(await c.logic.friendRequests(c.userId)),
  },
  {
    method: "POST",
    path: "/api/friends/requests/:id/accept",
    auth: true,
    handle: async (c) => json({ friend: await c.logic.acceptFriend(c.userId, c.params.id) }),
  },
  {
    method: "POST",
    path: "/api/friends/requests/:id/reject",
    auth: true,
    handle: async (c) => (await c.logic.rejectFriend(c.userId, c.params.id), noContent()),
  },
  {
    method: "DELETE",
    path: "/api/friends/requests/:id",
    auth: true,
    handle: async (c) => (await c.logic.cancelFriendRequest(c.userId, c.params.id), noContent()),
  },
  {
    method: "GET",
    path: "/api/friends",
    auth: true,
    handle: async (c) => json({ friends: await c.logic.friends(c.userId) }),
  },
  {
    method: "DELETE",
    path: "/api/friends/:id",
    auth: true,
    handle: async (c) => (await c.logic.removeFriend(c.userId, c.params.id), noContent()),
  },
  {
    method: "POST",
    path: "/api/groups",
    auth: true,
    handle: async (c) => json({ group: await c.logic.createGroup(c.userId, await c.body()) }, 201),
  },
  {
    method: "GET",
    path: "/api/groups",
    auth: true,
    handle: async (c) => json({ groups: await c.logic.groups(c.userId) }),
  },
  {
    method: "GET",
    path: "/api/groups/search",
    auth: true,
    handle: async (c) => json({ groups: await c.logic.searchGroups(c.userId, q(c, "q")) }),
  },
  {
    method: "GET",
    path: "/api/groups/:id",
    auth: true,
    handle: async (c) => json(await c.logic.group(c.userId, c.params.id)),
  },
  {
    method: "POST",
    path: "/api/groups/:id/join",
    auth: true,
    handle: async (c) => {
      // Under the approval policy a join is a request, accepted later (202).
      const joined = await c.logic.joinGroup(c.userId, c.params.id);
      return joined.group ? json({ group: joined.group }) : json({ request: joined.request }, 202);
    },
  },
  {
    method: "POST",
    path: "/api/groups/:id/leave",
    auth: true,
    handle: async (c) => (await c.logic.leaveGroup(c.userId, c.params.id), noContent()),
  },
  {
    method: "POST",
    path: "/api/groups/:id/members",
    auth: true,
    handle: async (c) =>
      json({ group: await c.logic.addGroupMembers(c.userId, c.params.id, await c.body()) }),
  },
  {
    method: "PATCH",
    path: "/api/groups/:id",
    auth: true,
    handle: async (c) =>
      json({ group: await c.logic.updateGroup(c.userId, c.params.id, await c.body()) }),
  },
  // Version 2, Groups (PROTOCOL.md): members, ownership, disbanding, join requests.
  {
    method: "PATCH",
    path: "/api/groups/:id/members/:userId",
    auth: true,
    handle: async (c) =>
      json({
        member: await c.logic.updateGroupMember(
          c.userId,
          c.params.id,
          c.params.userId,
          await c.body(),
        ),
      }),
  },
  {
    method: "DELETE",
    path: "/api/groups/:id/members/:userId",
    auth: true,
    handle: async (c) => (
      await c.logic.removeGroupMember(c.userId, c.params.id, c.params.userId), noContent()
    ),
  },
  {
    method: "POST",
    path: "/api/groups/:id/transfer",
    auth: true,
    handle: async (c) =>
      json({ group: await c.logic.transferGroup(c.userId, c.params.id, await c.body()) }),
  },
  {
    method: "DELETE",
    path: "/api/groups/:id",
    auth: true,
    handle: async (c) => (await c.logic.disbandGroup(c.userId, c.params.id), noContent()),
  },
  {
    method: "GET",
    path: "/api/groups/:id/requests",
    auth: true,
    handle: async (c) => json({ requests: await c.logic.joinRequests(c.userId, c.params.id) }),
  },
  {
    method: "POST",
    path: "/api/groups/:id/requests/:rid/accept",
    auth: true,
    handle: async (c) =>
      json({ group: await c.logic.acceptJoinRequest(c.userId, c.params.id, c.params.rid) }),
  },
  {
    method: "POST",
    path: "/api/groups/:id/requests/:rid/reject",
    auth: true,
    handle: async (c) => (
      await c.logic.rejectJoinRequest(c.userId, c.params.id, c.params.rid), noContent()
    ),
  },
  // End of version 2 groups.
  {
    method: "POST",
    path: "/api/messages",
    auth: true,
    handle: async (c) => json(await c.logic.send(c.userId, await c.body()), 202),
  },
  // Version 2, Conversations (PROTOCOL.md): search. Before `/api/messages/:id`, whose
  // methods (PATCH, DELETE) a GET never matches, so that a reader of the table sees it first.
  {
    method: "GET",
    path: "/api/messages/search",
    auth: true,
    handle: async (c) =>
      json({
        messages: await c.logic.searchMessages(c.userId, {
          q: q(c, "q"),
          conversationId: q(c, "conversationId"),
          before: q(c, "before"),
          limit: q(c, "limit"),
        }),
      }),
  },
  // Version 2, Messages (PROTOCOL.md): edit, recall, read marks.
  {
    method: "PATCH",
    path: "/api/messages/:id",
    auth: true,
    handle: async (c) =>
      json({ message: await c.logic.editMessage(c.userId, c.params.id, await c.body()) }),
  },
  {
    method: "DELETE",
    path: "/api/messages/:id",
    auth: true,
    handle: async (c) => (await c.logic.recallMessage(c.userId, c.params.id), noContent()),
  },
  {
    method: "GET",
    path: "/api/conversations/:id/reads",
    auth: true,
    handle: async (c) => json({ reads: await c.logic.reads(c.userId, c.params.id) }),
  },
  {
    method: "GET",
    path: "/api/conversations",
    auth: true,
    handle: async (c) => json({ conversations: await c.logic.conversations(c.userId) }),
  },
  {
    method: "PATCH",
    path: "/api/conversations/:id",
    auth: true,
    handle: async (c) =>
      json({
        conversation: await c.logic.updateConversation(c.userId, c.params.id, await c.body()),
      }),
  },
  {
    method: "GET",
    path: "/api/conversations/:id/messages",
    auth: true,
    handle: async (c) =>
      json({
        messages: await c.logic.history(c.userId, c.params.id, {
          after: q(c, "after"),
          before: q(c, "before"),
          limit: q(c, "limit"),
        }),
      }),
  },
  {
    method: "POST",
    path: "/api/media",
    auth: true,
    handle: async (c) => {
      // A file may be larger than an image; logic checks the kind, the name and the bytes.
      const kind = q(c, "kind");
      const bytes = await c.bytes(kind === "file" ? c.fileBytes : c.imageBytes);
      const name = c.request.headers.get("x-file-name");
      return json(await c.logic.uploadMedia(c.userId, bytes, { kind, name }), 201);
    },
  },
  {
    method: "GET",
    path: "/api/media/:id",
    auth: false,
    handle: async (c) => mediaResponse(c.request, await c.logic.media(c.params.id)),
  },
  {
    method: "GET",
    path: "/api/connect",
    auth: false,
    handle: (c) => Promise.resolve(json({ url: c.connectUrl() })),
  },
  {
    method: "PUT",
    path: "/api/blocks/:id",
    auth: true,
    handle: async (c) => (await c.logic.block(c.userId, c.params.id), noContent()),
  },
  {
    method: "DELETE",
    path: "/api/blocks/:id",
    auth: true,
    handle: async (c) => (await c.logic.unblock(c.userId, c.params.id), noContent()),
  },
  {
    method: "GET",
    path: "/api/blocks",
    auth: true,
    handle: async (c) => json({ users: await c.logic.blocks(c.userId) }),
  },
];
