import assert from "node:assert/strict";
import { once, READY, setup } from "./_fakes.ts";
import type { ClientEvents } from "./mod.ts";

Deno.test("ImClient.connect() sends auth with the token first and resolves with the user on ready", async () => {
  const { network, client, states } = setup();
  const connected = client.connect();
  const socket = await network.next();
  assert.equal(socket.url, "ws://im.test/ws");
  socket.accept();
  assert.deepEqual(socket.sent, [{ op: "auth", token: "token-1" }]);
  socket.push(READY);
  assert.equal((await connected).username, "bob");
  assert.equal(client.connected, true);
  assert.equal(client.serverId, "connect-1");
  assert.deepEqual(states, ["connecting", "open"]);
});

Deno.test("ImClient pings every pingMs while open", async () => {
  const { client, timers, accept } = setup({ pingMs: 1000 });
  client.connect();
  const socket = await accept();
  assert.equal(timers.runNext(), 1000);
  assert.equal(timers.runNext(), 1000);
  assert.equal(socket.sentOps("ping").length, 2);
});

Deno.test("ImClient reconnects after an unexpected close", async () => {
  const { client, timers, states, closes, accept } = setup();
  client.connect();
  const first = await accept();
  first.drop(1006, "network");
  assert.deepEqual(closes, [{ code: 1006, reason: "network" }]);
  assert.equal(client.connected, false);
  assert.deepEqual(timers.delays(), [250], "only the reconnect waits; the ping stopped");
  timers.runNext();
  const second = await accept();
  assert.notEqual(second, first);
  assert.equal(client.connected, true);
  assert.deepEqual(states, ["connecting", "open", "connecting", "open"]);
});

Deno.test("ImClient doubles the reconnect delay up to maxBackoffMs and starts again after ready", async () => {
  const { network, client, timers, accept } = setup({ backoffMs: 100, maxBackoffMs: 1000 });
  client.connect();
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const socket = await network.next();
    socket.accept();
    socket.drop(1006);
    delays.push(timers.runNext());
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  const socket = await accept();
  socket.drop(1006);
  assert.deepEqual(timers.delays(), [100]);
});

Deno.test("ImClient spreads each reconnect delay over the whole of its interval", async () => {
  for (const [random, delay] of [[0, 0], [0.25, 25], [0.999, 99.9]]) {
    const { network, client, timers } = setup({ backoffMs: 100, random: () => random });
    client.connect().catch(() => {});
    (await network.next()).drop(1006);
    assert.deepEqual(timers.delays(), [delay]);
    await client.close();
  }
});

Deno.test("ImClient retries with backoff while the connect URL cannot be fetched", async () => {
  const { server, network, client, timers, accept } = setup({ backoffMs: 100 });
  server.down = true;
  client.connect();
  assert.equal(await timers.nextSet(), 100);
  assert.equal(network.opened.length, 0);
  server.down = false;
  timers.runNext();
  await accept();
  assert.deepEqual(server.requests.filter((path) => path === "/api/connect").length, 2);
});

Deno.test("ImClient with reconnect: false ends on any close and rejects connect()", async () => {
  const { network, client, timers, states } = setup({ reconnect: false });
  const connected = client.connect();
  const socket = await network.next();
  socket.drop(1006);
  await assert.rejects(connected, { code: "unavailable" });
  assert.deepEqual(timers.delays(), []);
  assert.deepEqual(states, ["connecting", "closed"]);
});

Deno.test("ImClient.close() closes with 1000, ends the session and reconnects no more", async () => {
  const { client, timers, states, closes, accept } = setup();
  client.connect();
  await accept();
  await client.close();
  assert.deepEqual(closes, [{ code: 1000, reason: "bye" }]);
  assert.deepEqual(states, ["connecting", "open", "closed"]);
  assert.deepEqual(timers.delays(), []);
});

Deno.test("ImClient.drop() closes like a network failure and reconnects", async () => {
  const { client, timers, closes, accept } = setup();
  client.connect();
  await accept();
  const closed = once(client, "closed");
  client.drop();
  assert.equal((await closed).code, 4000);
  assert.deepEqual(timers.delays(), [250]);
  timers.runNext();
  await accept();
  assert.equal(closes.length, 1);
});

Deno.test("ImClient reconnects with backoff after 4408 (idle), 4400 (bad frames), 4429 (too many) and 1008 (did not keep up)", async () => {
  for (const code of [4408, 4400, 4429, 1008]) {
    const { client, timers, states, closes, accept } = setup();
    client.connect();
    const first = await accept();
    first.drop(code, "by the server");
    assert.deepEqual(closes, [{ code, reason: "by the server" }]);
    assert.deepEqual(timers.delays(), [250], `${code}: a reconnect waits`);
    timers.runNext();
    await accept();
    assert.equal(client.connected, true, `${code}: connected again`);
    assert.deepEqual(states, ["connecting", "open", "connecting", "open"]);
  }
});

Deno.test("ImClient reconnects after a 1000 close it did not ask for", async () => {
  const { client, timers, accept } = setup();
  client.connect();
  (await accept()).drop(1000, "proxy");
  timers.runNext();
  await accept();
  assert.equal(client.connected, true);
});

Deno.test("ImClient keeps backing off after 4429 even once the server said ready again", async () => {
  const { client, timers, accept } = setup({ backoffMs: 100 });
  client.connect();
  const delays: number[] = [];
  for (const code of [4429, 4429, 1006, 1006]) {
    (await accept()).drop(code);
    delays.push(timers.runNext());
  }
  assert.deepEqual(delays, [100, 200, 400, 100]);
});

Deno.test("ImClient stops for good on 4401: signed_out once, closed, pending sends rejected", async () => {
  const { client, timers, states, closes, accept } = setup();
  const signedOut: ClientEvents["signed_out"][] = [];
  client.on("signed_out", (event) => signedOut.push(event));
  client.connect();
  const socket = await accept();
  const sending = client.send({ type: "user", id: "1" }, { type: "text", text: "hi" });
  socket.drop(4401, "logged out");
  await assert.rejects(sending, { code: "unavailable" });
  assert.deepEqual(signedOut, [{ code: 4401, reason: "logged out" }]);
  assert.deepEqual(closes, [{ code: 4401, reason: "logged out" }]);
  assert.deepEqual(states, ["connecting", "open", "closed"]);
  assert.deepEqual(timers.delays(), [], "no reconnect, no ping");
  await client.close();
  assert.equal(signedOut.length, 1);
  assert.deepEqual(states, ["connecting", "open", "closed"]);
});

Deno.test("ImClient.connect() rejects when the token is refused (4401 before ready)", async () => {
  const { network, client, timers } = setup();
  const signedOut = once(client, "signed_out");
  const connected = client.connect();
  const socket = await network.next();
  socket.accept();
  socket.push({ op: "error", code: "unauthenticated", message: "Invalid token" });
  socket.drop(4401, "unauthenticated");
  await assert.rejects(connected, { code: "unavailable" });
  assert.equal((await signedOut).code, 4401);
  assert.deepEqual(timers.delays(), []);
});
