import assert from "node:assert/strict";
import { READY, setup } from "./_fakes.ts";

const to = { type: "user" as const, id: "1" };
const hello = { type: "text" as const, text: "hello" };

Deno.test("ImClient.send() resolves with the answer of the sent frame", async () => {
  const { client, accept } = setup();
  client.connect();
  const socket = await accept();
  const sending = socket.nextSent("send");
  const result = client.send(to, hello, "m-1");
  assert.deepEqual(await sending, { op: "send", clientMsgId: "m-1", to, content: hello });
  socket.push({ op: "sent", clientMsgId: "m-1", id: "900", conversationId: "u:1:2" });
  assert.deepEqual(await result, { id: "900", clientMsgId: "m-1", conversationId: "u:1:2" });
});

Deno.test("ImClient.send() puts the caller's traceparent on the frame when it has one", async () => {
  const { client, accept } = setup();
  client.connect();
  const socket = await accept();
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const sending = socket.nextSent("send");
  const result = client.send(to, hello, "m-1", { traceparent });
  assert.deepEqual(await sending, {
    op: "send",
    clientMsgId: "m-1",
    to,
    content: hello,
    traceparent,
  });
  socket.push({ op: "sent", clientMsgId: "m-1", id: "900", conversationId: "u:1:2" });
  assert.equal((await result).id, "900");
});

Deno.test("ImClient.send() rejects with the code of an error frame that refers to it", async () => {
  const { client, accept } = setup();
  const errors: unknown[] = [];
  client.on("error", (error) => errors.push(error));
  client.connect();
  const socket = await accept();
  const result = client.send(to, hello, "m-1");
  socket.push({ op: "error", ref: "m-1", code: "forbidden", message: "Not friends" });
  await assert.rejects(result, { name: "ImError", code: "forbidden", message: "Not friends" });
  socket.push({ op: "error", ref: "m-unknown", code: "internal", message: "?" });
  assert.deepEqual(errors, [{ op: "error", ref: "m-unknown", code: "internal", message: "?" }]);
});

Deno.test("ImClient.send() of a clientMsgId still in flight is a conflict, sent once", async () => {
  const { client, accept } = setup();
  client.connect();
  const socket = await accept();
  const first = client.send(to, hello, "m-1");
  await assert.rejects(client.send(to, hello, "m-1"), { code: "conflict" });
  assert.equal(socket.sentOps("send").length, 1);
  socket.push({ op: "sent", clientMsgId: "m-1", id: "900", conversationId: "u:1:2" });
  await first;
});

Deno.test("ImClient sends what was sent while disconnected once ready, and again after a reconnect", async () => {
  const { client, network, timers, accept } = setup();
  client.connect();
  const result = client.send(to, hello, "m-1");
  const first = await network.next();
  first.accept();
  const resent = first.nextSent("send");
  first.push(READY);
  assert.equal((await resent).clientMsgId, "m-1");
  first.drop(1006);
  timers.runNext();
  const second = await accept();
  assert.deepEqual(second.sentOps("send").map((frame) => frame.clientMsgId), ["m-1"]);
  second.push({ op: "sent", clientMsgId: "m-1", id: "900", conversationId: "u:1:2" });
  assert.equal((await result).id, "900");
});

Deno.test("ImClient rejects pending sends when the session ends for good", async () => {
  const { client, accept } = setup({ reconnect: false });
  client.connect();
  const socket = await accept();
  const result = client.send(to, hello, "m-1");
  socket.drop(1006);
  await assert.rejects(result, { code: "unavailable", message: "Connection closed" });
});

Deno.test("ImClient.close() rejects pending sends", async () => {
  const { client, accept } = setup();
  client.connect();
  await accept();
  const result = client.send(to, hello, "m-1");
  await client.close();
  await assert.rejects(result, { code: "unavailable" });
});

Deno.test("ImClient.close() while waiting to reconnect rejects pending sends and ends once", async () => {
  const { client, timers, states, accept } = setup();
  client.connect();
  const socket = await accept();
  const result = client.send(to, hello, "m-1");
  socket.drop(1006);
  assert.deepEqual(timers.delays(), [250]);
  await client.close();
  await assert.rejects(result, { code: "unavailable" });
  assert.deepEqual(timers.delays(), []);
  await client.close();
  assert.deepEqual(states, ["connecting", "open", "closed"]);
});

Deno.test("ImClient.send() of an uploaded file as a reply is kept and sent again after a reconnect", async () => {
  const { client, accept, server, timers } = setup();
  server.route("POST", "/api/media", () => ({
    id: "f1",
    url: "/media/f1",
    contentType: "application/pdf",
    size: 3,
    width: null,
    height: null,
    name: "a.pdf",
  }));
  client.connect();
  const socket = await accept();
  const file = await client.uploadFile(new Uint8Array([1, 2, 3]), "a.pdf");
  const content = { type: "file" as const, mediaId: file.id, name: file.name!, replyTo: "55" };
  const result = client.send(to, content, "m-1");
  socket.drop(1006);
  timers.runNext();
  const again = await accept();
  assert.deepEqual(again.sentOps("send"), [{ op: "send", clientMsgId: "m-1", to, content }]);
  again.push({ op: "sent", clientMsgId: "m-1", id: "901", conversationId: "u:1:2" });
  assert.equal((await result).id, "901");
  await client.close();
});
