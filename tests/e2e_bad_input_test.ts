/** End-to-end: hostile and broken input gets the protocol's errors and the server keeps serving. */
import { assert, assertEquals } from "./assert.ts";
import {
  befriend,
  collect,
  eventually,
  newUser,
  PNG_2x3,
  startServer,
  upgradeRequest,
} from "./harness.ts";

const server = await startServer({ env: { IM_BODY_TIMEOUT_MS: "1500" } });
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

async function call(
  method: string,
  path: string,
  body?: BodyInit,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${path}`, { method, body, headers });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

Deno.test(
  "HTTP: malformed JSON, wrong types, unknown fields, oversize bodies, unknown routes and ids",
  opts,
  async () => {
    const user = await newUser(url, { connect: false });
    const auth = { authorization: `Bearer ${user.token}`, "content-type": "application/json" };
    const cases: [string, string, BodyInit | undefined, number, string][] = [
      ["POST", "/api/auth/register", "{not json", 400, "invalid_argument"],
      ["POST", "/api/auth/register", "[]", 400, "invalid_argument"],
      [
        "POST",
        "/api/auth/register",
        '{"username":["x"],"password":"12345678"}',
        400,
        "invalid_argument",
      ],
      [
        "POST",
        "/api/auth/login",
        '{"username":"abc","password":"12345678","extra":1}',
        400,
        "invalid_argument",
      ],
      [
        "POST",
        "/api/auth/register",
        JSON.stringify({ username: "abc", password: "x".repeat(70_000) }),
        413,
        "payload_too_large",
      ],
      [
        "POST",
        "/api/messages",
        '{"to":{"type":"user","id":"1"},"clientMsgId":"a","content":{"type":"text","text":"x"},"x":1}',
        400,
        "invalid_argument",
      ],
      [
        "POST",
        "/api/messages",
        '{"to":{"type":"user","id":"1"},"clientMsgId":"has space","content":{"type":"text","text":"x"}}',
        400,
        "invalid_argument",
      ],
      ["GET", "/api/nope", undefined, 404, "not_found"],
      ["DELETE", "/api/conversations", undefined, 404, "not_found"],
      // Deleting the account needs the password.
      ["DELETE", "/api/me", undefined, 400, "invalid_argument"],
      ["POST", "/api/me/password", '{"current":"x"}', 400, "invalid_argument"],
      ["GET", "/api/users/abc", undefined, 404, "not_found"],
      ["GET", "/api/users/99999999999999999999999", undefined, 404, "not_found"],
      ["GET", "/api/groups/123", undefined, 404, "not_found"],
      ["POST", "/api/groups/123/join", undefined, 404, "not_found"],
      ["POST", "/api/friends/requests/5/accept", undefined, 404, "not_found"],
      ["GET", "/api/conversations/u:1:2/messages?after=-1", undefined, 400, "invalid_argument"],
      ["GET", "/api/conversations/%E0%A4%A/messages", undefined, 404, "not_found"],
      ["PATCH", "/api/me", '{"nickname":5}', 400, "invalid_argument"],
      // Version 2, Conversations: a search needs q of 2–100 characters, a message id as before
      // and a limit of 1–50; settings take booleans of a conversation that exists.
      ["GET", "/api/messages/search", undefined, 400, "invalid_argument"],
      ["GET", "/api/messages/search?q=%20x%20", undefined, 400, "invalid_argument"],
      ["GET", `/api/messages/search?q=${"x".repeat(10_000)}`, undefined, 400, "invalid_argument"],
      ["GET", "/api/messages/search?q=ab&before=-1", undefined, 400, "invalid_argument"],
      ["GET", "/api/messages/search?q=ab&limit=51", undefined, 400, "invalid_argument"],
      ["GET", "/api/messages/search?q=ab&conversationId=g:123", undefined, 404, "not_found"],
      ["PATCH", "/api/conversations/g:123", '{"pinned":true}', 404, "not_found"],
      ["PATCH", "/api/conversations/%E0%A4%A", '{"pinned":true}', 404, "not_found"],
      ["POST", "/api/groups", '{"name":"x","memberIds":"1"}', 400, "invalid_argument"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await call(method, path, body, auth);
      assertEquals([answer.status, answer.body?.error?.code], [status, code], `${method} ${path}`);
      assert(typeof answer.body.error.message === "string" && answer.body.error.message.length > 0);
    }
    const bigUpload = await call("POST", "/api/media", new Uint8Array(200_000), {
      authorization: auth.authorization,
    });
    assertEquals(bigUpload.status, 413);
    assertEquals((await call("GET", "/api/me", undefined, auth)).status, 200, "still serving");
    assertEquals((await call("GET", "/healthz")).status, 200);
    assertEquals((await call("GET", "/readyz")).status, 200);
    const plain = await fetch((await wsUrl()).replace(/^ws/, "http"));
    assertEquals([plain.status, (await plain.json()).error.code], [400, "invalid_argument"]);
  },
);

/** The WebSocket URL the server tells clients to open. */
async function wsUrl(): Promise<string> {
  const { url: target } = await (await fetch(`${url}/api/connect`)).json();
  return new URL(target, url.replace(/^http/, "ws")).toString();
}

async function rawSocket(): Promise<
  { ws: WebSocket; frames: Record<string, unknown>[]; closed: Promise<CloseEvent> }
> {
  const ws = new WebSocket(await wsUrl());
  const frames: Record<string, unknown>[] = [];
  ws.onmessage = (event) => frames.push(JSON.parse(event.data));
  const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve({ ws, frames, closed });
    ws.onerror = reject;
  });
}

Deno.test(
  "WS: a frame before auth gets an error; three bad frames in a row close with 4400",
  opts,
  async () => {
    const { ws, frames, closed } = await rawSocket();
    ws.send(JSON.stringify({ op: "ping" }));
    ws.send(
      JSON.stringify({
        op: "send",
        clientMsgId: "x",
        to: { type: "user", id: "1" },
        content: { type: "text", text: "hi" },
      }),
    );
    await eventually(() => frames.length === 2);
    assertEquals(frames[0], { op: "pong" });
    assertEquals(frames[1].code, "unauthenticated");
    ws.send("{garbage");
    ws.send(JSON.stringify({ op: "fly" }));
    assertEquals((await closed).code, 4400);
  },
);

Deno.test("WS: a bad token closes with 4401; no auth in time closes with 4408", opts, async () => {
  const bad = await rawSocket();
  bad.ws.send(JSON.stringify({ op: "auth", token: "forged" }));
  assertEquals((await bad.closed).code, 4401);
  const silent = await rawSocket();
  assertEquals((await silent.closed).code, 4408);
});

Deno.test(
  "WS: an oversize frame closes with 1009; garbage after auth gets errors and others keep chatting",
  opts,
  async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    await befriend(a, b);
    const { ws, frames, closed } = await rawSocket();
    ws.send(JSON.stringify({ op: "auth", token: a.token }));
    await eventually(() => frames.some((f) => f.op === "ready"));
    ws.send(JSON.stringify({ op: "ack", conversationId: "x", seq: "1" }));
    ws.send(
      JSON.stringify({
        op: "send",
        clientMsgId: "c1",
        to: { type: "user", id: b.self!.id },
        content: "nope",
      }),
    );
    await eventually(() => frames.filter((f) => f.op === "error").length === 2);
    const errors = frames.filter((f) => f.op === "error");
    assertEquals(errors.map((f) => f.code), ["invalid_argument", "invalid_argument"]);
    assertEquals(errors[1].ref, "c1");
    ws.send("x".repeat(70 * 1024));
    assertEquals((await closed).code, 1009);

    const got = collect(b, "message");
    await a.send({ type: "user", id: b.self!.id }, { type: "text", text: "still fine" });
    await eventually(() => got.length === 1);
    await Promise.all([a.close(), b.close()]);
  },
);

Deno.test(
  "WS: sends written back to back are answered one by one, in order; a refused one refuses no other",
  opts,
  async () => {
    const [a, b, stranger] = [await newUser(url), await newUser(url), await newUser(url)];
    await befriend(a, b);
    const got = collect(b, "message");
    const { ws, frames } = await rawSocket();
    ws.send(JSON.stringify({ op: "auth", token: a.token }));
    await eventually(() => frames.some((f) => f.op === "ready"));
    const send = (clientMsgId: string, to: string, text: unknown) =>
      JSON.stringify({
        op: "send",
        clientMsgId,
        to: { type: "user", id: to },
        content: { type: "text", text },
      });
    const burst = [
      send("b1", b.self!.id, "one"),
      send("b2", stranger.self!.id, "not a friend"),
      send("b3", b.self!.id, ""),
      send("b4", b.self!.id, "two"),
      send("b1", b.self!.id, "one, again"),
      send("b5", "999999999", "nobody"),
      send("b6", b.self!.id, "three"),
    ];
    // One write, so the frames arrive together and are handled as one batch.
    for (const frame of burst) ws.send(frame);
    await eventually(() => frames.filter((f) => f.op === "sent" || f.op === "error").length === 7);
    const answers = frames.filter((f) => f.op === "sent" || f.op === "error");
    assertEquals(
      answers.map((f) => f.op === "sent" ? `sent ${f.clientMsgId}` : `${f.code} ${f.ref}`),
      [
        "sent b1",
        "forbidden b2",
        "invalid_argument b3",
        "sent b4",
        "sent b1",
        "not_found b5",
        "sent b6",
      ],
    );
    assertEquals(answers[4].id, answers[0].id, "a repeated clientMsgId gets the first answer");
    await eventually(() => got.length === 3);
    assertEquals(got.map((m) => [m.seq, (m.content as { text: string }).text]), [
      [1, "one"],
      [2, "two"],
      [3, "three"],
    ]);
    ws.close();
    await Promise.all([a.close(), b.close(), stranger.close()]);
  },
);

Deno.test(
  "HTTP and WS: JSON nested too deep is refused before it is parsed; a body that trickles times out",
  opts,
  async () => {
    const a = await newUser(url);
    const auth = { authorization: `Bearer ${a.token}`, "content-type": "application/json" };
    const deep = `{"nickname":${"[".repeat(40)}${"]".repeat(40)}}`;
    const answer = await call("PATCH", "/api/me", deep, auth);
    assertEquals(answer.status, 400);
    assertEquals(answer.body.error.code, "invalid_argument");
    assert(/nested deeper than 16/.test(answer.body.error.message), answer.body.error.message);

    const { ws, frames } = await rawSocket();
    ws.send(JSON.stringify({ op: "auth", token: a.token }));
    await eventually(() => frames.some((f) => f.op === "ready"));
    ws.send(`{"op":"send","content":${"[".repeat(1000)}`);
    await eventually(() => frames.some((f) => f.op === "error"));
    assert(/nested deeper/.test(String(frames.find((f) => f.op === "error")!.message)));
    ws.close();

    // A body whose first bytes come and the rest never does.
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"nickname":"slo'));
        stop = () => controller.close();
      },
    });
    const started = Date.now();
    const slow = await fetch(`${url}/api/me`, {
      method: "PATCH",
      headers: auth,
      body,
      // @ts-ignore: Deno's fetch streams request bodies half-duplex.
      duplex: "half",
    });
    const slowBody = await slow.json();
    stop();
    assertEquals([slow.status, slowBody.error.code], [400, "invalid_argument"]);
    assert(/within 1500 ms/.test(slowBody.error.message), slowBody.error.message);
    assert(Date.now() - started < 10_000);
    assertEquals((await call("GET", "/api/me", undefined, auth)).status, 200, "still serving");
    await a.close();
  },
);

Deno.test(
  "WS: a page of another site cannot open a session (Origin checked); the API sends no CORS grants",
  opts,
  async () => {
    const evil = await upgradeRequest(await wsUrl(), { origin: "https://evil.example" });
    assertEquals([evil.status, (await evil.json()).error.code], [403, "forbidden"]);
    const api = await fetch(`${url}/api/connect`, { headers: { origin: "https://evil.example" } });
    await api.body?.cancel();
    assertEquals(api.headers.get("access-control-allow-origin"), null);
    const preflight = await fetch(`${url}/api/me`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    await preflight.body?.cancel();
    assertEquals(preflight.headers.get("access-control-allow-origin"), null);
  },
);

Deno.test(
  "media: an image whose header claims a huge picture (a decompression bomb) is refused",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const bomb = PNG_2x3.slice();
    new DataView(bomb.buffer).setUint32(16, 100_000);
    new DataView(bomb.buffer).setUint32(20, 100_000);
    const error = await a.uploadMedia(bomb, "image/png").catch((e) => e);
    assertEquals([error.status, error.code], [400, "invalid_argument"]);
    assert(/100000×100000 is too large/.test(error.message), error.message);
    const fine = await a.uploadMedia(PNG_2x3, "image/png");
    assertEquals([fine.width, fine.height], [2, 3]);
  },
);
