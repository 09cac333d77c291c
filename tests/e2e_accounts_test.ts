/** End-to-end: accounts, profiles, users, friends and presence, over real sockets. */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { ImClient, ImError } from "../client/mod.ts";
import { befriend, newUser, PNG_2x3, startServer, uniqueName, waitFor } from "./harness.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await assertRejects(() => promise, ImError);
  return (error as ImError).code;
}

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
      await code(
        new ImClient({ baseUrl: url }).register(name.toUpperCase(), "correct horse battery"),
      ),
      "conflict",
    );
    assertEquals(await code(http.register("ab", "correct horse battery")), "invalid_argument");
    assertEquals(
      await code(http.register("bad name!", "correct horse battery")),
      "invalid_argument",
    );
    assertEquals(await code(http.register(uniqueName(), "short")), "invalid_argument");
    assertEquals(
      await code(http.request("POST", "/api/auth/register", { username: 5, password: "x" })),
      "invalid_argument",
    );
    assertEquals(
      await code(
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
    assertEquals(await code(again.login(name, "wrong password!")), "invalid_credentials");
    assertEquals(
      await code(again.login(uniqueName(), "correct horse battery")),
      "invalid_credentials",
    );
  },
);

Deno.test("missing, malformed and unknown tokens get unauthenticated", opts, async () => {
  assertEquals(await code(new ImClient({ baseUrl: url }).me()), "unauthenticated");
  assertEquals(await code(new ImClient({ baseUrl: url, token: "nope" }).me()), "unauthenticated");
  assertEquals(
    await code(new ImClient({ baseUrl: url, token: "A".repeat(43) }).me()),
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
    assertEquals(await code(a.me()), "unauthenticated");
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
    assertEquals(await code(a.updateMe({ nickname: "" })), "invalid_argument");
    assertEquals(await code(a.updateMe({ avatar: "x".repeat(24) })), "not_found");
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
    assertEquals(await code(longer.user("999999999")), "not_found");
    assertEquals(await code(longer.searchUsers("")), "invalid_argument");
    assertEquals(
      await code(longer.request("GET", "/api/users/search?q=a&limit=51")),
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
    assertEquals(await code(a.requestFriend(b.self!.id)), "conflict");
    assertEquals(await code(a.acceptFriend(request!.id)), "forbidden");

    const addedA = waitFor(a, "friend_added");
    const addedB = waitFor(b, "friend_added");
    assertEquals((await b.acceptFriend(request!.id)).id, a.self!.id);
    assertEquals((await addedA).id, b.self!.id);
    assertEquals((await addedB).id, a.self!.id);
    assertEquals((await a.friends()).map((f) => [f.user.id, f.online]), [[b.self!.id, true]]);
    assertEquals(await code(b.requestFriend(a.self!.id)), "conflict");
    assertEquals(await code(a.requestFriend(a.self!.id)), "invalid_argument");
    assertEquals(await code(a.requestFriend("123456789")), "not_found");
    assertEquals(await code(a.acceptFriend("123456789")), "not_found");

    await a.removeFriend(b.self!.id);
    assertEquals(await a.friends(), []);
    assertEquals(await code(a.removeFriend(b.self!.id)), "not_found");
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
    assertEquals(await code(a.rejectFriend(request!.id)), "not_found");
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
    const offline = waitFor(a, "presence", (p) => p.userId === bId && !p.online);
    await second.close();
    await b.close();
    assertEquals((await offline).online, false);
    await a.close();
  },
);
