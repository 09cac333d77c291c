/** End-to-end: accounts, profiles, users, friends and presence, over real sockets. */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import {
  befriend,
  errorCode,
  eventually,
  newUser,
  PASSWORD,
  PNG_2x3,
  startServer,
  uniqueName,
  waitFor,
} from "./harness.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "register and login issue working tokens; bad input gets invalid_argument",
  opts,
  async () => {
    const http = new ImClient({ baseUrl: url });
    const name = uniqueName("Alice");
    const { user, token } = await http.register(name, "correct horse battery", "Alice");
    assertEquals(user.username, name);
    assertEquals(user.nickname, "Alice");
    assertEquals(user.avatar, null);
    assert(/^\d+$/.test(user.id), "ids are decimal strings");
    assert(token.length >= 40);
    assertEquals((await http.me()).id, user.id);

    assertEquals(
      await errorCode(
        new ImClient({ baseUrl: url }).register(name.toUpperCase(), "correct horse battery"),
      ),
      "conflict",
    );
    assertEquals(await errorCode(http.register("ab", "correct horse battery")), "invalid_argument");
    assertEquals(
      await errorCode(http.register("bad name!", "correct horse battery")),
      "invalid_argument",
    );
    assertEquals(await errorCode(http.register(uniqueName(), "short")), "invalid_argument");
    assertEquals(
      await errorCode(http.request("POST", "/api/auth/register", { username: 5, password: "x" })),
      "invalid_argument",
    );
    assertEquals(
      await errorCode(
        http.request("POST", "/api/auth/register", {
          username: uniqueName(),
          password: "correct horse battery",
          admin: true,
        }),
      ),
      "invalid_argument",
    );

    const again = new ImClient({ baseUrl: url });
    assertEquals((await again.login(name, "correct horse battery")).user.id, user.id);
    assertEquals(await errorCode(again.login(name, "wrong password!")), "invalid_credentials");
    assertEquals(
      await errorCode(again.login(uniqueName(), "correct horse battery")),
      "invalid_credentials",
    );
  },
);

Deno.test("missing, malformed and unknown tokens get unauthenticated", opts, async () => {
  assertEquals(await errorCode(new ImClient({ baseUrl: url }).me()), "unauthenticated");
  assertEquals(
    await errorCode(new ImClient({ baseUrl: url, token: "nope" }).me()),
    "unauthenticated",
  );
  assertEquals(
    await errorCode(new ImClient({ baseUrl: url, token: "A".repeat(43) }).me()),
    "unauthenticated",
  );
});

Deno.test(
  "logout revokes the token everywhere and closes its sockets with 4401",
  opts,
  async () => {
    const a = await newUser(url);
    const other = new ImClient({ baseUrl: url });
    await other.login((await a.me()).username, "correct horse battery");
    await other.connect();
    const closed = waitFor(a, "closed");
    await a.logout();
    assertEquals((await closed).code, 4401);
    assertEquals(await errorCode(a.me()), "unauthenticated");
    assert(other.connected, "a session of another token stays open");
    await other.me();
    await other.close();
  },
);

Deno.test(
  "PATCH /api/me updates the profile and online friends get a profile event",
  opts,
  async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    await befriend(a, b);
    const media = await a.uploadMedia(PNG_2x3, "image/png");
    const event = waitFor(b, "profile", (u) => u.nickname === "New Name");
    const user = await a.updateMe({ nickname: "New Name", avatar: media.id });
    assertEquals(user.avatar, `/api/media/${media.id}`);
    assertEquals((await event).avatar, user.avatar);
    assertEquals(await errorCode(a.updateMe({ nickname: "" })), "invalid_argument");
    assertEquals(await errorCode(a.updateMe({ avatar: "x".repeat(24) })), "not_found");
    await Promise.all([a.close(), b.close()]);
  },
);

Deno.test(
  "user search finds by username or nickname, exact username first; user lookup shows presence to friends",
  opts,
  async () => {
    const base = uniqueName("srch");
    const exact = await newUser(url, { name: base });
    const longer = await newUser(url, { name: `${base}x`, connect: false });
    const found = await longer.searchUsers(base.toUpperCase());
    assertEquals(found[0].id, exact.self!.id);
    assert(found.some((u) => u.username === `${base}x`));
    // Presence is for friends and oneself: strangers get none.
    assertEquals((await longer.user(exact.self!.id)).online, undefined);
    assertEquals((await exact.user(exact.self!.id)).online, true);
    await befriend(exact, longer);
    assertEquals((await exact.user((await longer.me()).id)).online, false);
    assertEquals(await errorCode(longer.user("999999999")), "not_found");
    assertEquals(await errorCode(longer.searchUsers("")), "invalid_argument");
    assertEquals(
      await errorCode(longer.request("GET", "/api/users/search?q=a&limit=51")),
      "invalid_argument",
    );
    await exact.close();
  },
);

Deno.test(
  "friend requests: event, lists, accept with friend_added on both sides, conflicts",
  opts,
  async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    const incoming = waitFor(b, "friend_request");
    const { request } = await a.requestFriend(b.self!.id, "hi there");
    assertEquals((await incoming).id, request!.id);
    assertEquals(request!.note, "hi there");
    assertEquals((await b.friendRequests()).incoming.map((r) => r.id), [request!.id]);
    assertEquals((await a.friendRequests()).outgoing.map((r) => r.id), [request!.id]);
    assertEquals(await errorCode(a.requestFriend(b.self!.id)), "conflict");
    assertEquals(await errorCode(a.acceptFriend(request!.id)), "forbidden");

    const addedA = waitFor(a, "friend_added");
    const addedB = waitFor(b, "friend_added");
    assertEquals((await b.acceptFriend(request!.id)).id, a.self!.id);
    assertEquals((await addedA).id, b.self!.id);
    assertEquals((await addedB).id, a.self!.id);
    assertEquals((await a.friends()).map((f) => [f.user.id, f.online]), [[b.self!.id, true]]);
    assertEquals(await errorCode(b.requestFriend(a.self!.id)), "conflict");
    assertEquals(await errorCode(a.requestFriend(a.self!.id)), "invalid_argument");
    assertEquals(await errorCode(a.requestFriend("123456789")), "not_found");
    assertEquals(await errorCode(a.acceptFriend("123456789")), "not_found");

    await a.removeFriend(b.self!.id);
    assertEquals(await a.friends(), []);
    assertEquals(await errorCode(a.removeFriend(b.self!.id)), "not_found");
    await Promise.all([a.close(), b.close()]);
  },
);

Deno.test(
  "a request to someone who already asked accepts instead; reject deletes",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const b = await newUser(url, { connect: false });
    const c = await newUser(url, { connect: false });
    const aId = (await a.me()).id;
    const bId = (await b.me()).id;
    await a.requestFriend(bId);
    const answer = await b.request<{ friend?: { id: string } }>("POST", "/api/friends/requests", {
      userId: aId,
    });
    assertEquals(answer.friend?.id, aId);
    assertEquals((await a.friends()).length, 1);

    const { request } = await c.requestFriend(aId);
    await a.rejectFriend(request!.id);
    assertEquals((await a.friendRequests()).incoming, []);
    assertEquals(await errorCode(a.rejectFriend(request!.id)), "not_found");
  },
);

Deno.test(
  "presence: friends see online on first connection and offline after the last",
  opts,
  async () => {
    const a = await newUser(url);
    const b = await newUser(url, { connect: false });
    await befriend(a, b);
    const bId = (await b.me()).id;
    const online = waitFor(a, "presence", (p) => p.userId === bId && p.online);
    await b.connect();
    assertEquals(await online, { userId: bId, online: true });
    const second = new ImClient({ baseUrl: url, token: b.token });
    await second.connect();
    // Told after IM_PRESENCE_GRACE_MS (3 s by default), if b is not back by then.
    const offline = waitFor(a, "presence", (p) => p.userId === bId && !p.online, 10_000);
    await second.close();
    await b.close();
    assertEquals((await offline).online, false);
    await a.close();
  },
);

// Account settings (PROTOCOL.md, Version 2, Accounts).

/** Another session of `client`'s account, signed in with `password` under `agent`, its socket open. */
async function signedInAgain(client: ImClient, agent: string, password = PASSWORD) {
  const other = new ImClient({
    baseUrl: url,
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, "user-agent": agent } }),
  });
  await other.login((await client.me()).username, password);
  await other.connect();
  return other;
}

Deno.test(
  "changing the password signs out every other session and keeps the caller's",
  opts,
  async () => {
    const a = await newUser(url);
    const other = await signedInAgain(a, "Other device");
    assertEquals(
      await errorCode(a.changePassword("wrong password", "a brand new password")),
      "invalid_credentials",
    );
    assertEquals(await errorCode(a.changePassword(PASSWORD, "short")), "invalid_argument");
    assert(other.connected, "a wrong current password changes nothing");
    const closed = waitFor(other, "closed");
    await a.changePassword(PASSWORD, "a brand new password");
    assertEquals((await closed).code, 4401);
    assertEquals(await errorCode(other.me()), "unauthenticated");
    assert(a.connected, "the caller's socket stays open");
    await a.me();
    const username = (await a.me()).username;
    const fresh = new ImClient({ baseUrl: url });
    assertEquals(await errorCode(fresh.login(username, PASSWORD)), "invalid_credentials");
    await fresh.login(username, "a brand new password");
    await a.close();
  },
);

Deno.test(
  "sessions: listed with their own ids, and one signed out closes its sockets",
  opts,
  async () => {
    const a = await newUser(url);
    const phone = await signedInAgain(a, "Phone browser");
    const stranger = await newUser(url, { connect: false });
    const sessions = await a.sessions();
    assertEquals(sessions.map((s) => s.current), [true, false]);
    assertEquals(sessions[1].userAgent, "Phone browser");
    for (const s of sessions) {
      assert(/^\d+$/.test(s.id), "a session id is its own decimal id");
      assert(s.createdAt > 0 && s.lastSeenAt >= s.createdAt, "created and last seen");
    }
    assert(
      !JSON.stringify(sessions).includes(a.token!) &&
        !JSON.stringify(sessions).includes(phone.token!),
    );
    const theirs = (await stranger.sessions())[0];
    assertEquals(await errorCode(a.endSession(theirs.id)), "not_found");
    assertEquals(await errorCode(stranger.endSession(sessions[1].id)), "not_found");
    assertEquals(await errorCode(a.endSession("no-such-session")), "not_found");
    const closed = waitFor(phone, "closed");
    await a.endSession(sessions[1].id);
    assertEquals((await closed).code, 4401);
    assertEquals(await errorCode(phone.me()), "unauthenticated");
    assertEquals((await a.sessions()).map((s) => s.id), [sessions[0].id]);
    await stranger.me();
    await a.close();
  },
);

Deno.test(
  "deleting the account: history keeps its messages under Deleted account",
  opts,
  async () => {
    const gone = await newUser(url);
    const friend = await newUser(url);
    await befriend(gone, friend);
    const group = await gone.createGroup(uniqueName("del"), [friend.self!.id]);
    const sent = await gone.send({ type: "user", id: friend.self!.id }, {
      type: "text",
      text: "bye",
    });
    await eventually(async () => (await friend.history(sent.conversationId)).length === 1);
    const username = (await gone.me()).username;
    assertEquals(await errorCode(gone.deleteAccount("wrong password")), "invalid_credentials");
    await gone.me();

    const renamed = waitFor(friend, "profile", (u) => u.id === gone.self!.id);
    const closed = waitFor(gone, "closed");
    await gone.deleteAccount(PASSWORD);
    assertEquals((await closed).code, 4401);
    const deleted = { id: gone.self!.id, username: "", nickname: "Deleted account", avatar: null };
    assertEquals(await renamed, deleted);
    assertEquals(await errorCode(gone.me()), "unauthenticated");
    assertEquals(
      await errorCode(new ImClient({ baseUrl: url }).login(username, PASSWORD)),
      "invalid_credentials",
    );
    assertEquals(
      await errorCode(new ImClient({ baseUrl: url }).register(username, PASSWORD)),
      "conflict",
    );
    // The message stays; its sender reads as a deleted account.
    const history = await friend.history(sent.conversationId);
    assertEquals(history.map((m) => [m.from, m.content]), [[gone.self!.id, {
      type: "text",
      text: "bye",
    }]]);
    assertEquals((await friend.user(gone.self!.id)).user, deleted);
    const summary = (await friend.conversations()).find((c) => c.id === sent.conversationId);
    assertEquals(summary?.peer, deleted);
    assertEquals(await friend.friends(), []);
    assertEquals(await friend.searchUsers(username), []);
    const details = await friend.group(group.id);
    assertEquals([details.group.ownerId, details.members.map((m) => m.user.id)], [friend.self!.id, [
      friend.self!.id,
    ]]);
    await friend.close();
  },
);

Deno.test(
  "lastSeenAt: a friend's is null while online, then when the last connection closed",
  opts,
  async () => {
    const a = await newUser(url);
    const b = await newUser(url, { connect: false });
    const stranger = await newUser(url, { connect: false });
    await befriend(a, b);
    const bId = (await b.me()).id;
    const registered = (await a.user(bId)).user.lastSeenAt;
    assert(
      typeof registered === "number" && registered > 0,
      "registration time before any connection",
    );
    assertEquals("lastSeenAt" in (await stranger.user(bId)).user, false);
    await b.connect();
    await eventually(async () => (await a.user(bId)).online === true);
    assertEquals((await a.user(bId)).user.lastSeenAt, null);
    const before = Date.now();
    // Told after IM_PRESENCE_GRACE_MS (3 s by default), with when b left.
    const offline = waitFor(a, "presence", (p) => p.userId === bId && !p.online, 10_000);
    await b.close();
    const event = await offline;
    assert(
      event.lastSeenAt! >= before - 5000 && event.lastSeenAt! <= Date.now() + 5000,
      "the close time",
    );
    await eventually(async () => (await a.user(bId)).user.lastSeenAt === event.lastSeenAt);
    assertEquals(
      (await a.friends()).find((f) => f.user.id === bId)?.user.lastSeenAt,
      event.lastSeenAt,
    );
    await a.close();
  },
);
