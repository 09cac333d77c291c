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
