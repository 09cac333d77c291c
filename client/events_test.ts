import assert from "node:assert/strict";
import { setup } from "./_fakes.ts";
import type { ClientEvents } from "./mod.ts";

Deno.test("ImClient emits friend_request_cancelled, and presence with lastSeenAt when sent", async () => {
  const { client, accept } = setup();
  const cancelled: ClientEvents["friend_request_cancelled"][] = [];
  const presence: ClientEvents["presence"][] = [];
  client.on("friend_request_cancelled", (e) => cancelled.push(e));
  client.on("presence", (e) => presence.push(e));
  client.connect();
  const socket = await accept();
  socket.push({ op: "friend_request_cancelled", requestId: "77" });
  socket.push({ op: "presence", userId: "3", online: false, lastSeenAt: 1234 });
  socket.push({ op: "presence", userId: "3", online: true });
  socket.push({ op: "presence", userId: "4", online: false });
  assert.deepEqual(cancelled, [{ requestId: "77" }]);
  assert.deepEqual(presence, [
    { userId: "3", online: false, lastSeenAt: 1234 },
    { userId: "3", online: true },
    { userId: "4", online: false },
  ]);
  await client.close();
});

Deno.test("ImClient emits read events, and typing of others but not of this user", async () => {
  const { client, accept } = setup();
  const reads: ClientEvents["read"][] = [];
  const typing: ClientEvents["typing"][] = [];
  client.on("read", (e) => reads.push(e));
  client.on("typing", (e) => typing.push(e));
  client.connect();
  const socket = await accept();
  socket.push({ op: "read", conversationId: "u:1:2", userId: "1", seq: 9 });
  socket.push({ op: "typing", conversationId: "u:1:2", userId: "1" });
  // User 2 is this client's own user (READY): its other devices' typing is not news.
  socket.push({ op: "typing", conversationId: "g:5", userId: "2" });
  assert.deepEqual(reads, [{ conversationId: "u:1:2", userId: "1", seq: 9 }]);
  assert.deepEqual(typing, [{ conversationId: "u:1:2", userId: "1" }]);
  await client.close();
});

Deno.test("ImClient.typing() sends at most one frame per conversation every 2 s", async () => {
  const { client, accept, timers } = setup();
  client.connect();
  const socket = await accept();
  client.typing("u:1:2");
  client.typing("u:1:2");
  client.typing("g:5");
  timers.now += 1999;
  client.typing("u:1:2");
  assert.deepEqual(socket.sentOps("typing"), [
    { op: "typing", conversationId: "u:1:2" },
    { op: "typing", conversationId: "g:5" },
  ]);
  timers.now += 1;
  client.typing("u:1:2");
  client.typing("g:5");
  assert.equal(socket.sentOps("typing").length, 4);
  await client.close();
});

Deno.test("ImClient.typing() while disconnected sends nothing, later or on reconnect", async () => {
  const { client, accept, timers } = setup();
  client.typing("u:1:2");
  client.connect();
  const socket = await accept();
  assert.deepEqual(socket.sentOps("typing"), []);
  socket.drop(1006);
  client.typing("u:1:2");
  timers.runNext();
  const again = await accept();
  assert.deepEqual(again.sentOps("typing"), []);
  // Nothing was sent while down, so the throttle did not start: the first call now sends.
  client.typing("u:1:2");
  assert.deepEqual(again.sentOps("typing"), [{ op: "typing", conversationId: "u:1:2" }]);
  await client.close();
});
