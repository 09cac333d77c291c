/** End-to-end: send rate limits over HTTP and WebSocket, on a server with a tight limit. */
import { assertEquals, assertRejects } from "./assert.ts";
import { ImClient, ImError } from "../client/mod.ts";
import {
  befriend,
  eventually,
  newUser,
  startServer,
  uniqueName,
  upgradeRequest,
  waitFor,
} from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "sends over the rate get rate_limited with Retry-After; persisting closes with 4429",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-limits-" });
    const server = await startServer({ dataDir, env: { IM_SEND_RATE: "1", IM_SEND_BURST: "3" } });
    try {
      const a = await newUser(server.url);
      const b = await newUser(server.url);
      await befriend(a, b);
      const to = { type: "user" as const, id: b.self!.id };
      const text = { type: "text" as const, text: "spam" };
      for (let i = 0; i < 3; i++) await a.send(to, text);
      const error = await assertRejects(
        () => a.postMessage(to, text, "over-1"),
        ImError,
      ) as ImError;
      assertEquals([error.status, error.code], [429, "rate_limited"]);
      assertEquals(error.retryAfter! >= 1, true);
      const wsError = await assertRejects(() => a.send(to, text, "over-2"), ImError) as ImError;
      assertEquals(wsError.code, "rate_limited");

      const closed = waitFor(a, "closed");
      for (let i = 0; i < 25; i++) a.send(to, text, `flood-${i}`).catch(() => {});
      assertEquals((await closed).code, 4429);
      // 4429 is not final: the SDK would reconnect with backoff.
      await Promise.all([a.close(), b.close()]);
    } finally {
      await server.stop("SIGKILL");
    }
  },
);

Deno.test(
  "reads and acks over their rates get rate_limited; persisting closes with 4429",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-limits-" });
    const server = await startServer({
      dataDir,
      env: { IM_READ_RATE: "1", IM_READ_BURST: "3", IM_ACK_RATE: "1", IM_ACK_BURST: "3" },
    });
    try {
      const a = await newUser(server.url);
      const b = await newUser(server.url);
      await befriend(a, b);
      const { conversationId } = await a.send({ type: "user", id: b.self!.id }, {
        type: "text",
        text: "read me",
      });
      for (const [op, client] of [["read", a], ["ack", b]] as const) {
        const refused = waitFor(client, "error", (e) => e.code === "rate_limited");
        for (let i = 0; i < 4; i++) client.rawSend(JSON.stringify({ op, conversationId, seq: 1 }));
        assertEquals((await refused).message, `Too many ${op}s; try again later`);
        const closed = waitFor(client, "closed");
        for (let i = 0; i < 25; i++) {
          client.rawSend(JSON.stringify({ op, conversationId, seq: 1 }));
        }
        assertEquals((await closed).code, 4429);
      }
      await Promise.all([a.close(), b.close()]);
    } finally {
      await server.stop("SIGKILL");
    }
  },
);

Deno.test(
  "a client silent past the idle timeout is dropped with 4408 and its friends see it offline",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-idle-" });
    // The offline is told at once: the time measured is the idle timeout's alone.
    const server = await startServer({
      dataDir,
      env: { IM_IDLE_TIMEOUT_MS: "1500", IM_PRESENCE_GRACE_MS: "0" },
    });
    try {
      // A pinging SDK client stays; a raw socket that says nothing after auth is dropped.
      const watcher = new ImClient({ baseUrl: server.url, pingMs: 300 });
      await watcher.register(uniqueName(), "correct horse battery");
      await watcher.connect();
      const silent = new ImClient({ baseUrl: server.url, pingMs: 60_000 });
      await silent.register(uniqueName(), "correct horse battery");
      await befriend(watcher, silent);
      const closed = waitFor(silent, "closed", () => true, 5000);
      const offline = waitFor(
        watcher,
        "presence",
        (p) => p.userId === silent.self?.id && !p.online,
        6000,
      );
      await silent.connect();
      const started = Date.now();
      assertEquals((await closed).code, 4408);
      await offline;
      const elapsed = Date.now() - started;
      assertEquals(elapsed >= 1400 && elapsed < 4000, true, `dropped after ${elapsed} ms`);
      assertEquals(watcher.connected, true, "the pinging client is still there");
      // 4408 is not final: the SDK would reconnect (and be dropped again).
      await Promise.all([watcher.close(), silent.close()]);
    } finally {
      await server.stop("SIGKILL");
    }
  },
);

Deno.test(
  "abuse limits: sign-in attempts per account and per address, registrations, searches, uploads, friend requests",
  opts,
  async () => {
    const server = await startServer({
      env: {
        IM_RATE_LOGIN_USERNAME: "3/60",
        IM_RATE_LOGIN_ADDRESS: "8/60",
        IM_RATE_REGISTER_ADDRESS: "6/60",
        IM_RATE_SEARCH: "2/60",
        IM_RATE_UPLOAD: "1/60",
        IM_RATE_FRIEND_REQUEST: "1/60",
      },
    });
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const expectLimited = async (response: Response) => {
      const body = await response.json();
      assertEquals([response.status, body.error.code], [429, "rate_limited"]);
      assertEquals(Number(response.headers.get("retry-after")) >= 1, true);
    };
    try {
      const [a, b, c] = [
        await newUser(server.url),
        await newUser(server.url),
        await newUser(server.url),
      ];
      const name = (await a.me()).username;
      // Three wrong passwords for one account, then even the right one waits.
      for (let i = 0; i < 3; i++) {
        const wrong = await post("/api/auth/login", { username: name, password: "wrong password" });
        assertEquals(wrong.status, 401);
        await wrong.body?.cancel();
      }
      await expectLimited(
        await post("/api/auth/login", { username: name, password: "correct horse battery" }),
      );
      // Other accounts from the same address, until its eight tries are used up (the address
      // pays first, so the attempt the account refused counted too).
      for (let i = 0; i < 4; i++) {
        const other = await post("/api/auth/login", {
          username: `nobody${i}`,
          password: "whatever1",
        });
        assertEquals(other.status, 401);
        await other.body?.cancel();
      }
      await expectLimited(
        await post("/api/auth/login", { username: "nobody9", password: "whatever1" }),
      );
      // Three registrations made above; three more, then the address waits.
      for (let i = 0; i < 3; i++) await newUser(server.url, { connect: false });
      await expectLimited(
        await post("/api/auth/register", {
          username: uniqueName(),
          password: "correct horse battery",
        }),
      );
      // Searches, uploads and friend requests, per user.
      for (let i = 0; i < 2; i++) await a.searchUsers("someone");
      const search = await fetch(`${server.url}/api/users/search?q=xy`, {
        headers: { authorization: `Bearer ${a.token}` },
      });
      await expectLimited(search);
      await b.requestFriend(a.self!.id);
      await expectLimited(await post("/api/friends/requests", { userId: c.self!.id }, b.token!));
      const png = Uint8Array.from(
        atob(
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==",
        ),
        (ch) => ch.charCodeAt(0),
      );
      await c.uploadMedia(png, "image/png");
      await assertRejects(() => c.uploadMedia(png, "image/png"), ImError);
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await server.stop();
    }
  },
);

Deno.test(
  "connections: past the limit per account a session is closed with 4429; past the limit per address the upgrade gets 429",
  opts,
  async () => {
    const server = await startServer({
      env: { IM_MAX_CONNECTIONS_PER_USER: "2", IM_MAX_CONNECTIONS_PER_ADDRESS: "4" },
    });
    try {
      const a = await newUser(server.url);
      const wsUrl = await a.connectUrl();
      const open = async (token: string) => {
        const ws = new WebSocket(wsUrl);
        const frames: Record<string, unknown>[] = [];
        ws.onmessage = (e) => frames.push(JSON.parse(e.data));
        const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
        await new Promise((resolve) => ws.onopen = resolve);
        ws.send(JSON.stringify({ op: "auth", token }));
        return { ws, frames, closed };
      };
      const second = await open(a.token!);
      await eventually(() => second.frames.some((f) => f.op === "ready"));
      const third = await open(a.token!);
      assertEquals((await third.closed).code, 4429);
      assertEquals(third.frames.find((f) => f.op === "error")?.code, "rate_limited");
      // Two sockets from this address are open (a's client and `second`): two more, then 429.
      const b = await newUser(server.url, { connect: false });
      const more = [await open(b.token!), await open(b.token!)];
      await eventually(() => more.every((m) => m.frames.some((f) => f.op === "ready")));
      const refused = await upgradeRequest(wsUrl);
      assertEquals([refused.status, (await refused.json()).error.code], [429, "rate_limited"]);
      for (const s of [second, ...more]) s.ws.close();
      await a.close();
    } finally {
      await server.stop();
    }
  },
);
