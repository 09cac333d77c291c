import assert from "node:assert/strict";
import type { Group, GroupMember, JoinRequest, Message, User } from "../shared/types.ts";
import { message, once, setup } from "./_fakes.ts";
import { type ClientEvents, isSystem } from "./mod.ts";

const ANN: User = { id: "1", username: "ann", nickname: "Ann", avatar: null };
const GROUP: Group = {
  id: "g/7",
  name: "Climbers",
  avatar: null,
  ownerId: "1",
  memberCount: 3,
  createdAt: 1_700_000_000_000,
  history: "since_join",
  notice: "Ropes on Friday",
  joinPolicy: "approval",
  muted: false,
};
const REQUEST: JoinRequest = { id: "r/1", groupId: "g/7", user: ANN, createdAt: 1 };

Deno.test("ImClient.updateGroup() patches the new group fields and answers the group", async () => {
  const { client, server } = setup();
  server.route("PATCH", "/api/groups/g%2F7", () => ({ group: GROUP }));
  const patch = { notice: "Ropes on Friday", joinPolicy: "approval", muted: true, history: "all" };
  assert.deepEqual(await client.updateGroup("g/7", patch as never), GROUP);
  assert.equal(server.calls[0].method, "PATCH");
  assert.deepEqual(server.calls[0].body, patch);
});

Deno.test("ImClient.updateGroupMember() patches role and mutedUntil and answers the member", async () => {
  const { client, server } = setup();
  const member: GroupMember = { user: ANN, role: "admin", mutedUntil: 1_700_000_360_000 };
  server.route("PATCH", "/api/groups/g%2F7/members/u%2F1", () => ({ member }));
  assert.deepEqual(
    await client.updateGroupMember("g/7", "u/1", { role: "admin", mutedUntil: 1_700_000_360_000 }),
    member,
  );
  assert.deepEqual(server.calls[0].body, { role: "admin", mutedUntil: 1_700_000_360_000 });
  // Unmuting sends null, not an absent field.
  await client.updateGroupMember("g/7", "u/1", { mutedUntil: null });
  assert.deepEqual(server.calls[1].body, { mutedUntil: null });
});

Deno.test("ImClient removes a member, transfers and disbands a group on their routes", async () => {
  const { client, server } = setup();
  server.route("DELETE", "/api/groups/g%2F7/members/3", () => undefined);
  server.route("POST", "/api/groups/g%2F7/transfer", () => ({ group: { ...GROUP, ownerId: "3" } }));
  server.route("DELETE", "/api/groups/g%2F7", () => undefined);
  assert.equal(await client.removeGroupMember("g/7", "3"), undefined);
  assert.equal((await client.transferGroup("g/7", "3")).ownerId, "3");
  assert.equal(await client.disbandGroup("g/7"), undefined);
  assert.deepEqual(
    server.calls.map((c) => [c.method, c.path, c.body]),
    [
      ["DELETE", "/api/groups/g%2F7/members/3", undefined],
      ["POST", "/api/groups/g%2F7/transfer", { userId: "3" }],
      ["DELETE", "/api/groups/g%2F7", undefined],
    ],
  );
});

Deno.test("ImClient.joinGroup() answers the group of an open group, the request of an approval one", async () => {
  const { client, server } = setup();
  server.route("POST", "/api/groups/open/join", () => ({ group: GROUP }));
  server.route(
    "POST",
    "/api/groups/g%2F7/join",
    () => Response.json({ request: REQUEST }, { status: 202 }),
  );
  assert.deepEqual(await client.joinGroup("open"), { group: GROUP });
  const asked = await client.joinGroup("g/7");
  assert.deepEqual(asked, { request: REQUEST });
  assert.equal(asked.group, undefined);
});

Deno.test("ImClient lists, accepts and rejects join requests; a refusal keeps its code", async () => {
  const { client, server } = setup();
  server.route("GET", "/api/groups/g%2F7/requests", () => ({ requests: [REQUEST] }));
  server.route("POST", "/api/groups/g%2F7/requests/r%2F1/accept", () => ({ group: GROUP }));
  server.route("POST", "/api/groups/g%2F7/requests/r%2F1/reject", () => undefined);
  server.route(
    "POST",
    "/api/groups/g%2F7/requests/r2/accept",
    () =>
      Response.json({ error: { code: "not_found", message: "No such request" } }, { status: 404 }),
  );
  assert.deepEqual(await client.joinRequests("g/7"), [REQUEST]);
  assert.deepEqual(await client.acceptJoinRequest("g/7", "r/1"), GROUP);
  assert.equal(await client.rejectJoinRequest("g/7", "r/1"), undefined);
  await assert.rejects(client.acceptJoinRequest("g/7", "r2"), { code: "not_found", status: 404 });
});

Deno.test("ImClient blocks, unblocks and lists blocked users", async () => {
  const { client, server } = setup();
  server.route("PUT", "/api/blocks/u%2F1", () => undefined);
  server.route("DELETE", "/api/blocks/u%2F1", () => undefined);
  server.route("GET", "/api/blocks", () => ({ users: [ANN] }));
  assert.equal(await client.block("u/1"), undefined);
  assert.deepEqual(await client.blocks(), [ANN]);
  assert.equal(await client.unblock("u/1"), undefined);
  assert.deepEqual(server.calls.map((c) => `${c.method} ${c.path}`), [
    "PUT /api/blocks/u%2F1",
    "GET /api/blocks",
    "DELETE /api/blocks/u%2F1",
  ]);
});

Deno.test("ImClient emits group_removed, group_join_request and group_join_request_closed", async () => {
  const { client, accept } = setup();
  const removed: ClientEvents["group_removed"][] = [];
  const requests: ClientEvents["group_join_request"][] = [];
  const closed: ClientEvents["group_join_request_closed"][] = [];
  client.on("group_removed", (e) => removed.push(e));
  client.on("group_join_request", (e) => requests.push(e));
  client.on("group_join_request_closed", (e) => closed.push(e));
  client.connect();
  const socket = await accept();
  socket.push({ op: "group_join_request", request: REQUEST });
  socket.push({ op: "group_join_request_closed", groupId: "g/7", requestId: "r/1" });
  socket.push({ op: "group_removed", groupId: "g/7", reason: "removed" });
  socket.push({ op: "group_removed", groupId: "g/8", reason: "disbanded" });
  assert.deepEqual(requests, [REQUEST]);
  assert.deepEqual(closed, [{ groupId: "g/7", requestId: "r/1" }]);
  assert.deepEqual(removed, [
    { groupId: "g/7", reason: "removed" },
    { groupId: "g/8", reason: "disbanded" },
  ]);
  await client.close();
});

Deno.test("ImClient delivers system messages in seq order like any message, and isSystem() names them", async () => {
  const { client, accept, server } = setup();
  const got: Message[] = [];
  client.on("message", (m) => got.push(m));
  client.connect();
  const socket = await accept();
  const system: Message = {
    ...message(1, "g:7"),
    to: { type: "group", id: "7" },
    content: { type: "system", event: "role", userId: "3", by: "1", value: "admin" },
    clientMsgId: null,
  };
  const text: Message = { ...message(2, "g:7"), to: { type: "group", id: "7" } };
  server.store(system, text);
  const delivered = once(client, "message", (m) => m.seq === 2);
  socket.push({ op: "message", message: system });
  socket.push({ op: "message", message: text });
  await delivered;
  assert.deepEqual(got.map((m) => m.seq), [1, 2]);
  assert.equal(isSystem(got[0]), true);
  assert.equal(isSystem(got[1]), false);
  if (isSystem(got[0])) assert.equal(got[0].content.value, "admin");
  await client.close();
});
