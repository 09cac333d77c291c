import assert from "node:assert/strict";
import type { Message } from "../shared/types.ts";
import { message, once, setup } from "./_fakes.ts";

/** A client open on a server whose conversation `u:1:2` holds seqs 1 to 3, and what it delivers. */
async function openAtSeq3(options: Parameters<typeof setup>[0] = {}) {
  const fakes = setup(options);
  fakes.server.store(message(1), message(2), message(3));
  const got: Message[] = [];
  fakes.client.on("message", (m) => got.push(m));
  fakes.client.connect();
  const socket = await fakes.accept();
  return { ...fakes, socket, got };
}

Deno.test("ImClient takes the server's positions on the first sync and delivers nothing old", async () => {
  const { client, got } = await openAtSeq3();
  assert.equal(client.lastSeq("u:1:2"), 3);
  assert.equal(client.lastSeq("u:other"), 0);
  assert.equal(got.length, 0);
});

Deno.test("ImClient delivers and acks a push that follows the last seq", async () => {
  const { client, socket, got, server } = await openAtSeq3();
  const acked = socket.nextSent("ack");
  socket.push({ op: "message", message: message(4) });
  assert.deepEqual(await acked, { op: "ack", conversationId: "u:1:2", seq: 4 });
  assert.deepEqual(got.map((m) => m.seq), [4]);
  assert.equal(client.lastSeq("u:1:2"), 4);
  assert.equal(server.requests.some((path) => path.includes("/messages")), false);
});

Deno.test("ImClient fetches the missing seqs through history when a push skips them", async () => {
  const { client, socket, got, server } = await openAtSeq3();
  server.store(message(4), message(5));
  const delivered = once(client, "message", (m) => m.seq === 6);
  socket.push({ op: "message", message: message(6) });
  await delivered;
  assert.deepEqual(got.map((m) => m.seq), [4, 5, 6]);
  assert.equal(server.requests.at(-1), "/api/conversations/u%3A1%3A2/messages?after=3&limit=200");
});

Deno.test("ImClient acks a repaired gap once, at the push that revealed it, and a catch-up not at all", async () => {
  const { client, socket, server, timers, accept } = await openAtSeq3();
  server.store(...Array.from({ length: 400 }, (_, i) => message(4 + i)));
  const delivered = once(client, "message", (m) => m.seq === 404);
  socket.push({ op: "message", message: message(404) });
  await delivered;
  assert.deepEqual(socket.sentOps("ack"), [{ op: "ack", conversationId: "u:1:2", seq: 404 }]);
  socket.drop(1006);
  server.store(...Array.from({ length: 300 }, (_, i) => message(405 + i)));
  timers.runNext();
  const again = await accept();
  assert.equal(client.lastSeq("u:1:2"), 704);
  assert.deepEqual(again.sentOps("ack"), []);
});

Deno.test("ImClient drops a repeated push by id, and acks it again", async () => {
  const { socket, got } = await openAtSeq3();
  const first = socket.nextSent("ack");
  socket.push({ op: "message", message: message(4) });
  await first;
  const again = socket.nextSent("ack");
  socket.push({ op: "message", message: message(4) });
  assert.deepEqual(await again, { op: "ack", conversationId: "u:1:2", seq: 4 });
  assert.deepEqual(got.map((m) => m.id), ["u:1:2#4"]);
});

Deno.test("ImClient with autoAck: false delivers without acking", async () => {
  const { socket, got, client } = await openAtSeq3({ autoAck: false });
  const delivered = once(client, "message");
  socket.push({ op: "message", message: message(4) });
  await delivered;
  assert.deepEqual(got.map((m) => m.seq), [4]);
  assert.deepEqual(socket.sentOps("ack"), []);
});

Deno.test("ImClient catches up through history after a reconnect", async () => {
  const { socket, got, server, timers, accept } = await openAtSeq3();
  socket.drop(1006);
  server.store(message(4), message(5));
  timers.runNext();
  await accept();
  assert.deepEqual(got.map((m) => m.seq), [4, 5]);
});

Deno.test("ImClient reports a failed gap repair and retries the catch-up with backoff", async () => {
  const { client, socket, got, server, timers } = await openAtSeq3({ backoffMs: 100 });
  server.store(message(4), message(5));
  server.down = true;
  const failed = once(client, "error");
  socket.push({ op: "message", message: message(5) });
  assert.match((await failed).message, /^Gap repair failed: /);
  assert.equal(got.length, 0, "seq 5 waits for seq 4");
  server.down = false;
  const delivered = once(client, "message", (m) => m.seq === 5);
  assert.equal(timers.runNext(), 100);
  await delivered;
  assert.deepEqual(got.map((m) => m.seq), [4, 5]);
});

Deno.test("ImClient cancels a pending catch-up retry when the socket closes", async () => {
  const { client, socket, server, timers } = await openAtSeq3({ backoffMs: 100, pingMs: 1000 });
  server.store(message(4), message(5));
  server.down = true;
  const failed = once(client, "error");
  socket.push({ op: "message", message: message(5) });
  await failed;
  assert.deepEqual(timers.delays(), [100, 1000], "the retry and the ping");
  socket.drop(1006);
  assert.deepEqual(timers.delays(), [100], "only the reconnect");
});

Deno.test("ImClient delivers nothing past a gap that history cannot fill yet, and catches up later", async () => {
  const { client, socket, got, server, timers } = await openAtSeq3({ backoffMs: 100 });
  // Seq 4 is not readable yet (history lags the push), seq 5 is pushed.
  const failed = once(client, "error");
  socket.push({ op: "message", message: message(5) });
  assert.match((await failed).message, /seqs 4 to 4 of u:1:2 are not in the history yet/);
  assert.equal(got.length, 0, "seq 5 waits for seq 4");
  assert.equal(client.lastSeq("u:1:2"), 3);
  server.store(message(4), message(5));
  const delivered = once(client, "message", (m) => m.seq === 5);
  assert.equal(timers.runNext(), 100);
  await delivered;
  assert.deepEqual(got.map((m) => m.seq), [4, 5]);
});

Deno.test("ImClient skips a group's seqs from before joining, which history never shows", async () => {
  const { client, socket, got, server } = await openAtSeq3();
  // Joined a group at its seq 4 (since_join): history of g:9 starts at seq 5, the first push.
  server.store(message(5, "g:9"));
  const delivered = once(client, "message", (m) => m.seq === 5);
  socket.push({ op: "message", message: message(5, "g:9") });
  await delivered;
  assert.deepEqual(got.map((m) => m.seq), [5]);
  assert.equal(client.lastSeq("g:9"), 5);
});
