/**
 * The authorization matrix, generated from the route table (api/routes.ts) and
 * the WebSocket op list (connect/frames.ts): every route and op must have a case
 * here, so a new one cannot be forgotten. Each authenticated route is called
 * with no token, a forged token, a revoked token and the token of an account
 * an operator disabled (401 each), and every route
 * by a stranger: someone who is neither a friend nor a member, nor the owner of
 * what the path names. Answers to the stranger must hold none of the private
 * data set up here.
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import { ROUTES } from "../api/routes.ts";
import type { Content } from "../shared/types.ts";
import { CLIENT_OPS } from "../connect/frames.ts";
import { befriend, eventually, newUser, PNG_2x3, startServer, uniqueName } from "./harness.ts";
import { groupApi } from "./_groups.ts";
import { runAdmin } from "./_admin.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

// The world: Ann and Bob are friends with a private conversation; Ann owns a group with Bob in
// it; Dan has asked Ann to be friends; Sam, the stranger, is in none of it.
const SECRET = { private: "private words of ann and bob", group: "words only the group sees" };
const ann = await newUser(url);
const bob = await newUser(url);
const dan = await newUser(url, { connect: false });
const sam = await newUser(url);
await befriend(ann, bob);
const group = await ann.createGroup(uniqueName("grp"), [bob.self!.id]);
// Another of Ann's groups, for the one call that lets the stranger in (joining).
const open = await ann.createGroup(uniqueName("open"));
// A group joined by request, with Dan's request pending (version 2, Groups).
const gate = await ann.createGroup(uniqueName("gate"), [bob.self!.id]);
await groupApi(ann).patch(gate.id, { joinPolicy: "approval" });
const gateRequest = (await groupApi(dan).join(gate.id)).request!;
const sentPrivate = await ann.send({ type: "user", id: bob.self!.id }, {
  type: "text",
  text: SECRET.private,
});
const sentGroup = await ann.send({ type: "group", id: group.id }, {
  type: "text",
  text: SECRET.group,
});
const pending = (await dan.requestFriend(ann.self!.id)).request!;
const media = await ann.uploadMedia(PNG_2x3, "image/png");
// A token that was valid, then logged out.
const revoked =
  (await new ImClient({ baseUrl: url }).login((await ann.me()).username, "correct horse battery"))
    .token;
await new ImClient({ baseUrl: url, token: revoked }).logout();
// A token of an account an operator then disabled (`deno task admin disable`).
const dora = await newUser(url, { connect: false });
const disabledToken = dora.token!;
const disabling = await runAdmin(server, "disable", (await dora.me()).username);
if (disabling.code !== 0) throw new Error(`admin disable failed: ${disabling.out}${disabling.err}`);
// One of Ann's sessions, which the stranger must not see or end.
const annSession = (await ann.sessions())[0];

/** What a route does when the stranger calls it. */
interface Case {
  /** The path with its parameters filled in, and the body, for the stranger's call. */
  path: string;
  body?: unknown;
  raw?: Uint8Array<ArrayBuffer>;
  /** The expected status; an error status comes with its protocol code. */
  status: number;
  code?: string;
}

const ids = { ann: ann.self!.id, bob: bob.self!.id, group: group.id, dan: (await dan.me()).id };
const MATRIX: Record<string, () => Case> = {
  "POST /api/auth/register": () => ({
    path: "/api/auth/register",
    body: { username: uniqueName(), password: "correct horse battery" },
    status: 201,
  }),
  "POST /api/auth/login": () => ({
    path: "/api/auth/login",
    body: { username: "nobody-at-all", password: "correct horse battery" },
    status: 401,
    code: "invalid_credentials",
  }),
  // Own data only: these act on the caller's own account.
  "POST /api/auth/logout": () => ({ path: "/api/auth/logout", status: 204 }),
  "GET /api/me": () => ({ path: "/api/me", status: 200 }),
  "PATCH /api/me": () => ({ path: "/api/me", body: { nickname: "Sam" }, status: 200 }),
  // Account settings: the caller's own account only; another's session does not exist for them.
  "POST /api/me/password": () => ({
    path: "/api/me/password",
    body: { current: "not sam's password", password: "another password" },
    status: 401,
    code: "invalid_credentials",
  }),
  "GET /api/me/sessions": () => ({ path: "/api/me/sessions", status: 200 }),
  "DELETE /api/me/sessions/:id": () => ({
    path: `/api/me/sessions/${annSession.id}`,
    status: 404,
    code: "not_found",
  }),
  "DELETE /api/me": () => ({
    path: "/api/me",
    body: { password: "not sam's password" },
    status: 401,
    code: "invalid_credentials",
  }),
  // End of account settings.
  "GET /api/users/search": () => ({ path: "/api/users/search?q=ab", status: 200 }),
  // Profiles are public to signed-in users: the stranger sees Ann's name, nothing else.
  "GET /api/users/:id": () => ({ path: `/api/users/${ids.ann}`, status: 200 }),
  "POST /api/friends/requests": () => ({
    path: "/api/friends/requests",
    body: { userId: ids.bob },
    status: 201,
  }),
  "GET /api/friends/requests": () => ({ path: "/api/friends/requests", status: 200 }),
  // Someone else's request does not exist for the stranger.
  "POST /api/friends/requests/:id/accept": () => ({
    path: `/api/friends/requests/${pending.id}/accept`,
    status: 404,
    code: "not_found",
  }),
  "POST /api/friends/requests/:id/reject": () => ({
    path: `/api/friends/requests/${pending.id}/reject`,
    status: 404,
    code: "not_found",
  }),
  // Not the sender: a stranger cannot tell a pending request from an unknown id.
  "DELETE /api/friends/requests/:id": () => ({
    path: `/api/friends/requests/${pending.id}`,
    status: 404,
    code: "not_found",
  }),
  "GET /api/friends": () => ({ path: "/api/friends", status: 200 }),
  "DELETE /api/friends/:id": () => ({
    path: `/api/friends/${ids.ann}`,
    status: 404,
    code: "not_found",
  }),
  // Members must be the creator's friends.
  "POST /api/groups": () => ({
    path: "/api/groups",
    body: { name: "mine", memberIds: [ids.ann] },
    status: 403,
    code: "forbidden",
  }),
  "GET /api/groups": () => ({ path: "/api/groups", status: 200 }),
  "GET /api/groups/search": () => ({ path: "/api/groups/search?q=grp", status: 200 }),
  "GET /api/groups/:id": () => ({
    path: `/api/groups/${ids.group}`,
    status: 403,
    code: "forbidden",
  }),
  "POST /api/groups/:id/leave": () => ({
    path: `/api/groups/${ids.group}/leave`,
    status: 403,
    code: "forbidden",
  }),
  "POST /api/groups/:id/members": () => ({
    path: `/api/groups/${ids.group}/members`,
    body: { userIds: [ids.bob] },
    status: 403,
    code: "forbidden",
  }),
  "PATCH /api/groups/:id": () => ({
    path: `/api/groups/${ids.group}`,
    body: { name: "taken over" },
    status: 403,
    code: "forbidden",
  }),
  // Groups are open: joining is allowed (another group, so the stranger stays out of this one).
  "POST /api/groups/:id/join": () => ({
    path: `/api/groups/${open.id}/join`,
    status: 200,
  }),
  // Version 2, Groups: whatever a non-member asks of a group is forbidden (PROTOCOL.md).
  "DELETE /api/groups/:id": () => ({
    path: `/api/groups/${ids.group}`,
    status: 403,
    code: "forbidden",
  }),
  "PATCH /api/groups/:id/members/:userId": () => ({
    path: `/api/groups/${ids.group}/members/${ids.bob}`,
    body: { role: "admin" },
    status: 403,
    code: "forbidden",
  }),
  "DELETE /api/groups/:id/members/:userId": () => ({
    path: `/api/groups/${ids.group}/members/${ids.bob}`,
    status: 403,
    code: "forbidden",
  }),
  "POST /api/groups/:id/transfer": () => ({
    path: `/api/groups/${ids.group}/transfer`,
    body: { userId: ids.bob },
    status: 403,
    code: "forbidden",
  }),
  "GET /api/groups/:id/requests": () => ({
    path: `/api/groups/${gate.id}/requests`,
    status: 403,
    code: "forbidden",
  }),
  "POST /api/groups/:id/requests/:rid/accept": () => ({
    path: `/api/groups/${gate.id}/requests/${gateRequest.id}/accept`,
    status: 403,
    code: "forbidden",
  }),
  "POST /api/groups/:id/requests/:rid/reject": () => ({
    path: `/api/groups/${gate.id}/requests/${gateRequest.id}/reject`,
    status: 403,
    code: "forbidden",
  }),
  // Version 2, Blocking: one's own list; blocking anyone is one's own business.
  "GET /api/blocks": () => ({ path: "/api/blocks", status: 200 }),
  "PUT /api/blocks/:id": () => ({ path: `/api/blocks/${ids.dan}`, status: 204 }),
  "DELETE /api/blocks/:id": () => ({ path: `/api/blocks/${ids.dan}`, status: 204 }),
  "POST /api/messages": () => ({
    path: "/api/messages",
    body: {
      to: { type: "user", id: ids.ann },
      clientMsgId: "m1",
      content: { type: "text", text: "hi" },
    },
    status: 403,
    code: "forbidden",
  }),
  // Version 2, Messages: a message outside the stranger's conversations does not exist for them
  // (a participant who may not edit or recall it gets forbidden: the role table below).
  "PATCH /api/messages/:id": () => ({
    path: `/api/messages/${sentPrivate.id}`,
    body: { content: { type: "text", text: "words put in ann's mouth" } },
    status: 404,
    code: "not_found",
  }),
  "DELETE /api/messages/:id": () => ({
    path: `/api/messages/${sentGroup.id}`,
    status: 404,
    code: "not_found",
  }),
  "GET /api/conversations/:id/reads": () => ({
    path: `/api/conversations/${encodeURIComponent(sentPrivate.conversationId)}/reads`,
    status: 403,
    code: "forbidden",
  }),
  "GET /api/conversations": () => ({ path: "/api/conversations", status: 200 }),
  // Version 2, Conversations: search covers the caller's own conversations only (a word of both
  // secrets finds neither); another pair's conversation cannot be pinned, muted or hidden.
  "GET /api/messages/search": () => ({ path: "/api/messages/search?q=words", status: 200 }),
  "PATCH /api/conversations/:id": () => ({
    path: `/api/conversations/${encodeURIComponent(sentPrivate.conversationId)}`,
    body: { pinned: true },
    status: 403,
    code: "forbidden",
  }),
  "GET /api/conversations/:id/messages": () => ({
    path: `/api/conversations/${encodeURIComponent(sentPrivate.conversationId)}/messages`,
    status: 403,
    code: "forbidden",
  }),
  "POST /api/media": () => ({ path: "/api/media", raw: PNG_2x3, status: 201 }),
  // Media is served by unguessable id to anyone who has its URL (as <img> tags need).
  "GET /api/media/:id": () => ({ path: `/api/media/${media.id}`, status: 200 }),
  "GET /api/connect": () => ({ path: "/api/connect", status: 200 }),
};

/** The WebSocket ops, each refused to the stranger where it touches others' data. */
const OPS: Record<
  string,
  { frame: () => object; expect: "error" | "close" | "ok"; code?: string }
> = {
  auth: { frame: () => ({ op: "auth", token: revoked }), expect: "close" },
  send: {
    frame: () => ({
      op: "send",
      clientMsgId: "ws1",
      to: { type: "group", id: ids.group },
      content: { type: "text", text: "let me in" },
    }),
    expect: "error",
    code: "forbidden",
  },
  read: {
    frame: () => ({ op: "read", conversationId: sentGroup.conversationId, seq: 1 }),
    expect: "error",
    code: "forbidden",
  },
  // Acks only clear the caller's own pending pushes; pings touch nothing.
  ack: {
    frame: () => ({ op: "ack", conversationId: sentPrivate.conversationId, seq: 1 }),
    expect: "ok",
  },
  ping: { frame: () => ({ op: "ping" }), expect: "ok" },
  typing: {
    frame: () => ({ op: "typing", conversationId: sentPrivate.conversationId }),
    expect: "error",
    code: "forbidden",
  },
};

function key(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

async function call(c: Case, method: string, token?: string) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await fetch(`${url}${c.path}`, {
    method,
    headers,
    body: c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : null,
  };
}

Deno.test("authz: every route and op has a case in the matrix", opts, () => {
  assertEquals(ROUTES.map(key).filter((k) => !MATRIX[k]), [], "routes without a case");
  assertEquals(
    Object.keys(MATRIX).filter((k) => !ROUTES.some((r) => key(r) === k)),
    [],
    "cases without a route",
  );
  assertEquals(CLIENT_OPS.filter((op) => !OPS[op]), [], "ops without a case");
});

Deno.test(
  "authz: authenticated routes refuse no token, a forged token, a revoked token and a disabled account's",
  opts,
  async () => {
    let checked = 0;
    for (const route of ROUTES.filter((r) => r.auth)) {
      const c = MATRIX[key(route)]();
      for (const token of [undefined, "A".repeat(43), revoked, disabledToken]) {
        const answer = await call(c, route.method, token);
        assertEquals(
          [answer.status, answer.json?.error?.code],
          [401, "unauthenticated"],
          `${key(route)} with ${
            token === undefined
              ? "no"
              : token === revoked
              ? "a revoked"
              : token === disabledToken
              ? "a disabled account's"
              : "a forged"
          } token`,
        );
        assert(!answer.text.includes(SECRET.private) && !answer.text.includes(SECRET.group));
        checked++;
      }
    }
    console.log(`authz: ${checked} unauthenticated calls refused`);
  },
);

Deno.test(
  "authz: a stranger gets the protocol's answer on every route, and no one else's data",
  opts,
  async () => {
    // The stranger's own throwaway session for logout.
    const logoutToken = (await new ImClient({ baseUrl: url }).login(
      (await sam.me()).username,
      "correct horse battery",
    )).token;
    for (const route of ROUTES) {
      const c = MATRIX[key(route)]();
      const token = key(route) === "POST /api/auth/logout" ? logoutToken : sam.token!;
      const answer = await call(c, route.method, route.auth ? token : undefined);
      assertEquals(
        [answer.status, answer.json?.error?.code],
        [c.status, c.code],
        `${key(route)} by a stranger: ${answer.text.slice(0, 200)}`,
      );
      for (const secret of Object.values(SECRET)) {
        assert(!answer.text.includes(secret), `${key(route)} showed a stranger "${secret}"`);
      }
      assert(!answer.text.includes(ann.token!), `${key(route)} showed a token`);
    }
  },
);

Deno.test("authz: WebSocket ops by a stranger", opts, async () => {
  for (const [op, c] of Object.entries(OPS)) {
    const ws = new WebSocket(await sam.connectUrl());
    const frames: Record<string, unknown>[] = [];
    ws.onmessage = (e) => frames.push(JSON.parse(e.data));
    const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
    await new Promise((resolve) => ws.onopen = resolve);
    if (op !== "auth") {
      ws.send(JSON.stringify({ op: "auth", token: sam.token }));
      await eventually(() => frames.some((f) => f.op === "ready"));
    }
    ws.send(JSON.stringify(c.frame()));
    if (c.expect === "close") {
      assertEquals((await closed).code, 4401, `${op}: closes with 4401`);
      continue;
    }
    ws.send(JSON.stringify({ op: "ping" }));
    await eventually(() => frames.filter((f) => f.op === "pong").length >= 1);
    const errors = frames.filter((f) => f.op === "error");
    if (c.expect === "error") {
      await eventually(() => frames.some((f) => f.op === "error"));
      assertEquals(frames.find((f) => f.op === "error")!.code, c.code, `${op} by a stranger`);
    } else {
      assertEquals(errors, [], `${op} by a stranger`);
    }
    for (const frame of frames) {
      const text = JSON.stringify(frame);
      for (const secret of Object.values(SECRET)) assert(!text.includes(secret), `${op} leaked`);
    }
    ws.close();
    await closed;
  }
});

Deno.test("authz: presence and a group's past are not the stranger's", opts, async () => {
  const profile = await sam.request<Record<string, unknown>>("GET", `/api/users/${ids.ann}`);
  assert(!("online" in profile), "a stranger sees no presence");
  assertEquals((await bob.user(ids.ann)).online, true, "a friend does");
  // A plain member may not change who reads the past; the owner may.
  const plain = await fetch(`${url}/api/groups/${ids.group}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json" },
    body: JSON.stringify({ history: "all" }),
  });
  assertEquals([plain.status, (await plain.json()).error.code], [403, "forbidden"]);
  // Whoever joins the open group reads nothing sent before they joined.
  const early = await ann.send({ type: "group", id: open.id }, {
    type: "text",
    text: SECRET.group,
  });
  // Stored (in a cluster the log sits in between) before anyone joins.
  await eventually(async () => (await ann.history(early.conversationId)).length > 0);
  const joiner = await newUser(url, { connect: false });
  const joinerId = (await joiner.me()).id;
  await joiner.joinGroup(open.id);
  // Version 2: they read from their own `joined` line on, and nothing before it.
  const joined: Content = { type: "system", event: "joined", userId: joinerId, by: joinerId };
  const seen = await eventually(async () => {
    const history = await joiner.history(`g:${open.id}`);
    return history.length > 0 ? history : null;
  });
  assertEquals(seen.map((m) => m.content), [joined]);
  assert(
    !JSON.stringify(await joiner.history(`g:${open.id}`, { before: seen[0].seq })).includes(
      SECRET.group,
    ),
  );
  const summary = (await joiner.conversations()).find((c) => c.id === early.conversationId);
  assertEquals(summary?.lastMessage?.content ?? null, joined);
  assertEquals(summary?.unread ?? 0, 0);
});

Deno.test("authz: only the sender cancels a friend request", opts, async () => {
  const path = `${url}/api/friends/requests/${pending.id}`;
  const by = async (token: string) => {
    const answer = await fetch(path, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    return [answer.status, (await answer.json()).error.code];
  };
  // The receiver sees the request in their list: told why, and the request stays.
  assertEquals(await by(ann.token!), [403, "forbidden"], "the receiver");
  assertEquals(await by(sam.token!), [404, "not_found"], "a stranger");
  assertEquals((await ann.friendRequests()).incoming.map((r) => r.id), [pending.id]);
  const sender = await fetch(path, {
    method: "DELETE",
    headers: { authorization: `Bearer ${dan.token}` },
  });
  await sender.body?.cancel();
  assertEquals(sender.status, 204, "the sender");
  assertEquals((await ann.friendRequests()).incoming, []);
});

Deno.test("authz: account settings touch the caller's own account only", opts, async () => {
  const listed = await sam.request<{ sessions: { id: string }[] }>("GET", "/api/me/sessions");
  assert(listed.sessions.every((s) => s.id !== annSession.id), "the stranger sees only their own");
  assertEquals((await ann.sessions()).map((s) => s.id).includes(annSession.id), true);
  await ann.me();
});

/** `[status, error code]` of a call by the holder of `token` (the code null on success). */
async function answer(
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<[number, string | null]> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body instanceof Uint8Array
      ? body as Uint8Array<ArrayBuffer>
      : body === undefined
      ? undefined
      : JSON.stringify(body),
  });
  const text = await response.text();
  return [response.status, response.ok ? null : JSON.parse(text).error.code];
}

/**
 * The error code a `typing` frame gets on a fresh signed-in socket, or null when none. A refusal
 * may come after the pong (in a cluster logic answers it, connect the ping): an error is waited
 * for when `refusal` is expected, else the answer is what came by the pong and a moment after.
 */
async function typingAnswer(
  client: ImClient,
  conversationId: string,
  refusal: boolean,
): Promise<string | null> {
  const ws = new WebSocket(await client.connectUrl());
  const frames: Record<string, unknown>[] = [];
  ws.onmessage = (e) => frames.push(JSON.parse(e.data));
  const closed = new Promise((resolve) => ws.onclose = resolve);
  await new Promise((resolve) => ws.onopen = resolve);
  ws.send(JSON.stringify({ op: "auth", token: client.token }));
  await eventually(() => frames.some((f) => f.op === "ready"));
  ws.send(JSON.stringify({ op: "typing", conversationId }));
  ws.send(JSON.stringify({ op: "ping" }));
  await eventually(() => frames.some((f) => f.op === (refusal ? "error" : "pong")));
  if (!refusal) await new Promise((resolve) => setTimeout(resolve, 300));
  ws.close();
  await closed;
  return (frames.find((f) => f.op === "error")?.code as string | undefined) ?? null;
}

Deno.test(
  "authz v2: edit, recall, reads and typing by a stranger, a plain member and the owner",
  opts,
  async () => {
    // A group of its own: Olga owns it, Pat and Quin are plain members; Sam stays a stranger.
    // (Admins: "authz v2 groups" below.)
    const olga = await newUser(url);
    const pat = await newUser(url);
    const quin = await newUser(url);
    try {
      const club = await olga.createGroup(uniqueName("club"));
      await pat.joinGroup(club.id);
      await quin.joinGroup(club.id);
      const to = { type: "group" as const, id: club.id };
      const conversationId = `g:${club.id}`;
      const say = (c: ImClient, t: string) => c.send(to, { type: "text", text: t });
      const byPat = await say(pat, "pat's words");
      const byPat2 = await say(pat, "pat's other words");
      const byOlga = await say(olga, "olga's words");
      await eventually(async () => (await olga.history(conversationId)).length >= 3);
      const edit = (id: string) => ({ content: { type: "text", text: `rewritten ${id}` } });
      const who = { stranger: sam, member: quin, owner: olga } as const;

      // Editing Pat's message: only Pat, whoever else asks (for the stranger it does not exist).
      const refused = (role: string): [number, string] =>
        role === "stranger" ? [404, "not_found"] : [403, "forbidden"];
      for (const [role, client] of Object.entries(who)) {
        assertEquals(
          await answer(client.token, "PATCH", `/api/messages/${byPat.id}`, edit(byPat.id)),
          refused(role),
          `edit of a member's message by the ${role}`,
        );
      }
      assertEquals(
        await answer(pat.token, "PATCH", `/api/messages/${byPat.id}`, edit(byPat.id)),
        [200, null],
        "edit by its sender",
      );
      // Recalling: not by a stranger or another member; by the owner, and by the sender.
      for (const role of ["stranger", "member"] as const) {
        assertEquals(
          await answer(who[role].token, "DELETE", `/api/messages/${byPat.id}`),
          refused(role),
          `recall of a member's message by the ${role}`,
        );
        assertEquals(
          await answer(who[role].token, "DELETE", `/api/messages/${byOlga.id}`),
          refused(role),
          `recall of the owner's message by the ${role}`,
        );
      }
      assertEquals(
        await answer(pat.token, "DELETE", `/api/messages/${byOlga.id}`),
        [403, "forbidden"],
        "recall of the owner's message by a member who wrote in the group",
      );
      assertEquals(await answer(olga.token, "DELETE", `/api/messages/${byPat.id}`), [204, null]);
      assertEquals(await answer(pat.token, "DELETE", `/api/messages/${byPat2.id}`), [204, null]);
      assertEquals(await answer(olga.token, "DELETE", `/api/messages/${byOlga.id}`), [204, null]);

      // Reads: any participant, nobody else.
      const reads = `/api/conversations/${encodeURIComponent(conversationId)}/reads`;
      assertEquals(await answer(sam.token, "GET", reads), [403, "forbidden"], "reads, stranger");
      assertEquals(await answer(quin.token, "GET", reads), [200, null], "reads, member");
      assertEquals(await answer(olga.token, "GET", reads), [200, null], "reads, owner");
      const privateReads = `/api/conversations/${
        encodeURIComponent(sentPrivate.conversationId)
      }/reads`;
      assertEquals(await answer(bob.token, "GET", privateReads), [200, null], "reads, the peer");

      // Typing: participants only.
      assertEquals(await typingAnswer(sam, conversationId, true), "forbidden", "typing, stranger");
      assertEquals(await typingAnswer(quin, conversationId, false), null, "typing, member");
      assertEquals(await typingAnswer(olga, conversationId, false), null, "typing, owner");
      assertEquals(
        await typingAnswer(bob, sentPrivate.conversationId, false),
        null,
        "typing, peer",
      );

      // In a private chat the peer may neither edit nor recall.
      assertEquals(
        await answer(bob.token, "PATCH", `/api/messages/${sentPrivate.id}`, edit("x")),
        [403, "forbidden"],
      );
      assertEquals(
        await answer(bob.token, "DELETE", `/api/messages/${sentPrivate.id}`),
        [403, "forbidden"],
      );
      // Nothing a refused caller asked for was stored.
      const stored = await olga.history(conversationId);
      assert(
        !JSON.stringify(stored).includes("rewritten"),
        "no edited text left after the recalls",
      );
      assert(
        (await bob.history(sentPrivate.conversationId)).some((m) =>
          m.content.type === "text" && m.content.text === SECRET.private
        ),
        "the private message stands",
      );
    } finally {
      await Promise.all([olga.close(), pat.close(), quin.close()]);
    }
  },
);

Deno.test(
  "authz v2: file uploads need a token; any signed-in user uploads their own",
  opts,
  async () => {
    const headers = { "x-file-name": "notes.txt", "content-type": "application/octet-stream" };
    const bytes = new TextEncoder().encode("notes");
    for (const token of [undefined, "A".repeat(43), revoked]) {
      assertEquals(
        await answer(token, "POST", "/api/media?kind=file", bytes, headers),
        [401, "unauthenticated"],
      );
    }
    for (const client of [sam, bob, ann]) {
      assertEquals(
        (await answer(client.token, "POST", "/api/media?kind=file", bytes, headers))[0],
        201,
      );
    }
  },
);

Deno.test(
  "authz v2 conversations: search within and settings of a group by a stranger, a plain member, an admin and the owner; of a private chat by the peer and a stranger",
  opts,
  async () => {
    const [olga, adam, mia, sid] = await Promise.all(
      Array.from({ length: 4 }, () => newUser(url, { connect: false })),
    );
    const club = await olga.createGroup(uniqueName("conv"));
    for (const c of [adam, mia]) await c.joinGroup(club.id);
    await groupApi(olga).role(club.id, (await adam.me()).id, "admin");
    const said = await olga.postMessage(
      { type: "group", id: club.id },
      { type: "text", text: "treasure under the club house" },
      crypto.randomUUID(),
    );
    const conversationId = `g:${club.id}`;
    const by: Record<Role, ImClient> = { stranger: sid, member: mia, admin: adam, owner: olga };
    const search = (id: string) =>
      `/api/messages/search?${new URLSearchParams({ q: "treasure", conversationId: id })}`;
    const settings = (id: string) => `/api/conversations/${encodeURIComponent(id)}`;
    for (const role of ["stranger", "member", "admin", "owner"] as const) {
      const client = by[role];
      const expected: [number, string | null] = role === "stranger" ? refused : [200, null];
      assertEquals(
        await answer(client.token, "GET", search(conversationId)),
        expected,
        `search within the group by the ${role}`,
      );
      assertEquals(
        await answer(client.token, "PATCH", settings(conversationId), { muted: true }),
        expected,
        `settings of the group by the ${role}`,
      );
      // Across their conversations: every member finds the group's message, the stranger not.
      const found = await eventually(async () => {
        const ids = (await client.searchMessages("treasure")).map((m) => m.id);
        return role === "stranger" || ids.length > 0 ? ids : null;
      }, 10_000);
      assertEquals(found, role === "stranger" ? [] : [said.id], `search by the ${role}`);
    }
    // A private chat: the peer may, a stranger may not (as history: forbidden).
    const privateId = sentPrivate.conversationId;
    assertEquals(await answer(bob.token, "GET", search(privateId)), [200, null], "peer searches");
    assertEquals(await answer(sam.token, "GET", search(privateId)), refused, "stranger searches");
    assertEquals(
      await answer(bob.token, "PATCH", settings(privateId), { muted: true }),
      [200, null],
      "peer mutes",
    );
    assertEquals(
      await answer(sam.token, "PATCH", settings(privateId), { muted: true }),
      refused,
      "stranger mutes",
    );
    const peerFinds = await eventually(async () => {
      const messages = await bob.searchMessages("private words", { conversationId: privateId });
      return messages.length > 0 ? messages : null;
    }, 10_000);
    assertEquals(peerFinds.map((m) => m.id), [sentPrivate.id]);
    assertEquals(await sam.searchMessages("private words"), []);
    // Bob's mute is his own: Ann's summary of the chat is not muted.
    const annsView = (await ann.conversations()).find((c) => c.id === privateId);
    assertEquals(annsView?.muted, false);
    await bob.updateConversation(privateId, { muted: false });
  },
);

/** A role in a group, for the version 2 role table. */
type Role = "stranger" | "member" | "admin" | "owner";

/** A call of the role table: what to ask of a fresh group `g`, and the answer for each role. */
interface RoleCase {
  what: string;
  call: (g: RoleWorld) => { method: string; path: string; body?: unknown };
  expect: Record<Role, [number, string | null]>;
}

/** A fresh group for one call: owner, admin, a plain member, a target member, a pending request. */
interface RoleWorld {
  id: string;
  path: string;
  requestId: string;
}

const refused: [number, string] = [403, "forbidden"];

Deno.test(
  "authz v2 groups: every group route and op by a stranger, a plain member, an admin and the owner",
  opts,
  async () => {
    // Olga owns each group, Adam is its admin, Mia a plain member, Tom the member acted on, Rita
    // asks to join, Finn is everyone's friend (to be added), Sid stays a stranger.
    const [olga, adam, mia, tom, rita, finn, sid] = await Promise.all(
      Array.from({ length: 7 }, () => newUser(url, { connect: false })),
    );
    const id = async (c: ImClient) => (await c.me()).id;
    const [tomId, finnId] = [await id(tom), await id(finn)];
    for (const c of [olga, adam, mia, sid]) await befriend(c, finn);
    const by: Record<Role, ImClient> = { stranger: sid, member: mia, admin: adam, owner: olga };
    const world = async (): Promise<RoleWorld> => {
      const g = await olga.createGroup(uniqueName("roles"));
      for (const c of [adam, mia, tom]) await c.joinGroup(g.id);
      await groupApi(olga).role(g.id, await id(adam), "admin");
      await groupApi(olga).patch(g.id, { joinPolicy: "approval" });
      const request = (await groupApi(rita).join(g.id)).request!;
      return { id: g.id, path: `/api/groups/${g.id}`, requestId: request.id };
    };
    const cases: RoleCase[] = [
      {
        what: "GET the group",
        call: (g) => ({ method: "GET", path: g.path }),
        expect: { stranger: refused, member: [200, null], admin: [200, null], owner: [200, null] },
      },
      {
        what: "read its history",
        call: (g) => ({ method: "GET", path: `/api/conversations/g:${g.id}/messages` }),
        expect: { stranger: refused, member: [200, null], admin: [200, null], owner: [200, null] },
      },
      {
        what: "PATCH the group (notice)",
        call: (g) => ({ method: "PATCH", path: g.path, body: { notice: "new rules" } }),
        expect: { stranger: refused, member: refused, admin: [200, null], owner: [200, null] },
      },
      {
        what: "PATCH the group (name, joinPolicy, muted, history)",
        call: (g) => ({
          method: "PATCH",
          path: g.path,
          body: { name: "renamed", joinPolicy: "invite", muted: true, history: "all" },
        }),
        expect: { stranger: refused, member: refused, admin: [200, null], owner: [200, null] },
      },
      {
        what: "a member's role",
        call: (g) => ({
          method: "PATCH",
          path: `${g.path}/members/${tomId}`,
          body: { role: "admin" },
        }),
        expect: { stranger: refused, member: refused, admin: refused, owner: [200, null] },
      },
      {
        what: "mute a member",
        call: (g) => ({
          method: "PATCH",
          path: `${g.path}/members/${tomId}`,
          body: { mutedUntil: Date.now() + 60_000 },
        }),
        expect: { stranger: refused, member: refused, admin: [200, null], owner: [200, null] },
      },
      {
        what: "remove a member",
        call: (g) => ({ method: "DELETE", path: `${g.path}/members/${tomId}` }),
        expect: { stranger: refused, member: refused, admin: [204, null], owner: [204, null] },
      },
      {
        what: "transfer",
        call: (g) => ({ method: "POST", path: `${g.path}/transfer`, body: { userId: tomId } }),
        expect: { stranger: refused, member: refused, admin: refused, owner: [200, null] },
      },
      {
        what: "disband",
        call: (g) => ({ method: "DELETE", path: g.path }),
        expect: { stranger: refused, member: refused, admin: refused, owner: [204, null] },
      },
      {
        what: "list join requests",
        call: (g) => ({ method: "GET", path: `${g.path}/requests` }),
        expect: { stranger: refused, member: refused, admin: [200, null], owner: [200, null] },
      },
      {
        what: "accept a join request",
        call: (g) => ({ method: "POST", path: `${g.path}/requests/${g.requestId}/accept` }),
        expect: { stranger: refused, member: refused, admin: [200, null], owner: [200, null] },
      },
      {
        what: "reject a join request",
        call: (g) => ({ method: "POST", path: `${g.path}/requests/${g.requestId}/reject` }),
        expect: { stranger: refused, member: refused, admin: [204, null], owner: [204, null] },
      },
      {
        what: "join (approval)",
        call: (g) => ({ method: "POST", path: `${g.path}/join` }),
        expect: {
          stranger: [202, null],
          member: [409, "conflict"],
          admin: [409, "conflict"],
          owner: [409, "conflict"],
        },
      },
      {
        what: "add a friend",
        call: (g) => ({ method: "POST", path: `${g.path}/members`, body: { userIds: [finnId] } }),
        expect: { stranger: refused, member: [200, null], admin: [200, null], owner: [200, null] },
      },
      {
        what: "leave",
        call: (g) => ({ method: "POST", path: `${g.path}/leave` }),
        expect: { stranger: refused, member: [204, null], admin: [204, null], owner: [204, null] },
      },
    ];
    for (const c of cases) {
      for (const role of ["stranger", "member", "admin", "owner"] as const) {
        const g = await world();
        const { method, path, body } = c.call(g);
        assertEquals(
          await answer(by[role].token, method, path, body),
          c.expect[role],
          `${c.what} by the ${role}`,
        );
      }
    }
    // The send op in a muted group, over the WebSocket and HTTP: the owner and admins only.
    const g = await world();
    await groupApi(olga).patch(g.id, { muted: true });
    const sendAnswers: Record<Role, [string, string]> = {
      stranger: ["forbidden", "forbidden"],
      member: ["forbidden", "forbidden"],
      admin: ["sent", "sent"],
      owner: ["sent", "sent"],
    };
    for (const role of ["stranger", "member", "admin", "owner"] as const) {
      const client = new ImClient({ baseUrl: url, token: by[role].token });
      await client.connect();
      const to = { type: "group" as const, id: g.id };
      const outcome = (p: Promise<unknown>) =>
        p.then(() => "sent", (e) => (e as { code: string }).code);
      assertEquals(
        [
          await outcome(client.send(to, { type: "text", text: "ws" })),
          await outcome(
            client.postMessage(to, { type: "text", text: "http" }, crypto.randomUUID()),
          ),
        ],
        sendAnswers[role],
        `send to a muted group by the ${role}`,
      );
      await client.close();
    }
  },
);

Deno.test(
  "authz v2 groups: recall by an admin: a member's message yes; another admin's or the owner's no",
  opts,
  async () => {
    const [olga, adam, ada, mia] = await Promise.all(
      Array.from({ length: 4 }, () => newUser(url)),
    );
    try {
      const club = await olga.createGroup(uniqueName("recall"));
      for (const c of [adam, ada, mia]) await c.joinGroup(club.id);
      for (const c of [adam, ada]) await groupApi(olga).role(club.id, c.self!.id, "admin");
      const to = { type: "group" as const, id: club.id };
      const byMia = await mia.send(to, { type: "text", text: "mia" });
      const byAda = await ada.send(to, { type: "text", text: "ada" });
      const byOlga = await olga.send(to, { type: "text", text: "olga" });
      await eventually(async () =>
        (await olga.history(`g:${club.id}`)).some((m) => m.id === byOlga.id)
      );
      assertEquals(await answer(adam.token, "DELETE", `/api/messages/${byAda.id}`), refused);
      assertEquals(await answer(adam.token, "DELETE", `/api/messages/${byOlga.id}`), refused);
      assertEquals(await answer(adam.token, "DELETE", `/api/messages/${byMia.id}`), [204, null]);
      assertEquals(await answer(olga.token, "DELETE", `/api/messages/${byAda.id}`), [204, null]);
    } finally {
      await Promise.all([olga, adam, ada, mia].map((c) => c.close()));
    }
  },
);

Deno.test(
  "authz: the owner of each thing still gets it (the matrix is not refusing everyone)",
  opts,
  async () => {
    const history = await bob.history(sentPrivate.conversationId);
    assert(history.some((m) => m.content.type === "text" && m.content.text === SECRET.private));
    assertEquals((await bob.group(group.id)).group.id, group.id);
    await Promise.all([ann.close(), bob.close(), sam.close()]);
  },
);
