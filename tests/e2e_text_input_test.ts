/** End-to-end: text fields refuse NUL and lone surrogates before any limit, names are normalized, search needs 2 characters, presence is for friends. */
import { assert, assertEquals } from "./assert.ts";
import { befriend, newUser, PASSWORD, startServer, uniqueName } from "./harness.ts";

// Tight limits: a refused field must not spend them.
const server = await startServer({
  env: {
    IM_RATE_SEARCH: "4/3600",
    IM_RATE_FRIEND_REQUEST: "2/3600",
    IM_RATE_LOGIN_USERNAME: "2/3600",
    IM_RATE_LOGIN_ADDRESS: "4/3600",
  },
});
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

Deno.test(
  "every text field refuses NUL and lone surrogates with 400, spending no limit",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const b = await newUser(url, { connect: false });
    const [me, other] = [await a.me(), await b.me()];
    const group = await a.createGroup("plain");
    const bads = ["x\u0000y", "x\ud800y", "\udc00"];
    const cases: [string, string, (bad: string) => unknown][] = [
      [
        "POST",
        "/api/auth/register",
        (bad) => ({ username: uniqueName(), password: PASSWORD, nickname: bad }),
      ],
      ["POST", "/api/auth/login", (bad) => ({ username: bad, password: PASSWORD })],
      ["POST", "/api/auth/login", (bad) => ({ username: me.username, password: bad })],
      ["PATCH", "/api/me", (bad) => ({ nickname: bad })],
      ["POST", "/api/friends/requests", (bad) => ({ userId: other.id, note: bad })],
      ["POST", "/api/groups", (bad) => ({ name: bad })],
      ["PATCH", `/api/groups/${group.id}`, (bad) => ({ name: bad })],
      [
        "POST",
        "/api/messages",
        (bad) => ({
          to: { type: "group", id: group.id },
          clientMsgId: crypto.randomUUID(),
          content: { type: "text", text: bad },
        }),
      ],
    ];
    for (const [method, path, body] of cases) {
      for (const bad of bads) {
        const answer = await call(method, path, a.token, body(bad));
        assertEquals(answer.status, 400, `${method} ${path} ${JSON.stringify(bad)}`);
        assertEquals(answer.body.error.code, "invalid_argument");
      }
    }
    for (const path of ["/api/users/search?q=ab%00cd", "/api/groups/search?q=ab%00cd"]) {
      for (let i = 0; i < 3; i++) {
        const answer = await call("GET", path, a.token);
        assertEquals([answer.status, answer.body.error.code], [400, "invalid_argument"], path);
      }
    }
    // None of the refusals above spent a token: the real calls still pass their tight limits.
    assertEquals((await call("GET", "/api/users/search?q=zz", a.token)).status, 200);
    assertEquals((await call("GET", "/api/groups/search?q=zz", a.token)).status, 200);
    assertEquals(
      (await call("POST", "/api/friends/requests", a.token, { userId: other.id })).status,
      201,
    );
    const login = await call("POST", "/api/auth/login", undefined, {
      username: me.username,
      password: PASSWORD,
    });
    assertEquals(login.status, 200);
    // Nothing stored holds a NUL.
    assertEquals((await a.me()).nickname, me.nickname);
  },
);

Deno.test(
  "nicknames and group names are normalized and refuse invisible and bidi characters",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    for (
      const bad of [
        "alice\u202e\u200b",
        "\u2066evil\u2069",
        "a\u200bb",
        "\ufeffx",
        "a\u00adb",
        "x\ny",
        "\u3164",
      ]
    ) {
      const me = await call("PATCH", "/api/me", a.token, { nickname: bad });
      assertEquals([me.status, me.body.error.code], [400, "invalid_argument"], JSON.stringify(bad));
      const group = await call("POST", "/api/groups", a.token, { name: bad });
      assertEquals(
        [group.status, group.body.error.code],
        [400, "invalid_argument"],
        JSON.stringify(bad),
      );
    }
    const spaces = await call("PATCH", "/api/me", a.token, {
      nickname: " \u00a0Cafe\u0301\u3000\u2003 bar ",
    });
    assertEquals(spaces.body.user.nickname, "Caf\u00e9 bar");
    const emoji = await call("PATCH", "/api/me", a.token, { nickname: "👩\u200d💻 dev ❤\ufe0f" });
    assertEquals(emoji.body.user.nickname, "👩\u200d💻 dev ❤\ufe0f");
    assertEquals((await call("PATCH", "/api/me", a.token, { nickname: "\u2003 " })).status, 400);
    const group = await call("POST", "/api/groups", a.token, { name: "  Te\u0301am\u00a0one " });
    assertEquals(group.body.group.name, "T\u00e9am one");
    const renamed = await call("PATCH", `/api/groups/${group.body.group.id}`, a.token, {
      name: "x\u202ey",
    });
    assertEquals(renamed.status, 400);
    const registered = await call("POST", "/api/auth/register", undefined, {
      username: uniqueName(),
      password: PASSWORD,
      nickname: "bob\u200f",
    });
    assertEquals(registered.status, 400);
  },
);

Deno.test("user and group search need at least 2 characters", opts, async () => {
  const a = await newUser(url, { connect: false });
  for (const path of ["/api/users/search?q=a", "/api/groups/search?q=a", "/api/users/search?q="]) {
    const answer = await call("GET", path, a.token);
    assertEquals([answer.status, answer.body.error.code], [400, "invalid_argument"], path);
  }
  assertEquals((await call("GET", "/api/users/search?q=ab", a.token)).status, 200);
});

Deno.test(
  "GET /api/users/<id> and group member lists show presence to friends and oneself only",
  opts,
  async () => {
    const [a, b, stranger] = [await newUser(url), await newUser(url), await newUser(url)];
    try {
      await befriend(a, b);
      const me = await a.me();
      const seen = await call("GET", `/api/users/${me.id}`, stranger.token);
      assertEquals(seen.status, 200);
      assertEquals(seen.body.user.id, me.id);
      assert(!("online" in seen.body), JSON.stringify(seen.body));
      assertEquals((await call("GET", `/api/users/${me.id}`, b.token)).body.online, true);
      assertEquals((await call("GET", `/api/users/${me.id}`, a.token)).body.online, true);
      // A fellow member of an open group is no friend: the member list hides their presence too.
      const group = await a.createGroup(uniqueName("grp"), [(await b.me()).id]);
      await stranger.joinGroup(group.id);
      const seenIn = await stranger.group(group.id);
      assertEquals(seenIn.onlineCount, 3);
      const strangerId = (await stranger.me()).id;
      for (const m of seenIn.members) {
        assertEquals("online" in m, m.user.id === strangerId, m.user.username);
      }
      const byFriend = await b.group(group.id);
      assertEquals(
        byFriend.members.map((m) => [m.user.id, m.online]).sort(),
        [[me.id, true], [(await b.me()).id, true], [strangerId, undefined]].sort(),
      );
    } finally {
      for (const c of [a, b, stranger]) c.close();
    }
  },
);

Deno.test(
  "a username whose confusable skeleton is taken is refused with conflict",
  opts,
  async () => {
    const base = uniqueName("al").replace(/[iI1lmwd0oO]/g, "x");
    const register = (username: string) =>
      call("POST", "/api/auth/register", undefined, { username, password: PASSWORD });
    assertEquals((await register(`${base}lice`)).status, 201);
    for (const twin of [`${base}Iice`, `${base}1ice`, `${base.toUpperCase()}LICE`]) {
      const answer = await register(twin);
      assertEquals([answer.status, answer.body.error.code], [409, "conflict"], twin);
    }
    assertEquals((await register(`${base}lice2`)).status, 201);
    assertEquals((await register(`${base}rnap`)).status, 201);
    assertEquals((await register(`${base}map`)).status, 409);
  },
);
