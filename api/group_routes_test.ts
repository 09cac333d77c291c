/** The routes of version 2 groups: members, ownership, disbanding and join requests, HTTP to logic and back. */
import { assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import type { Group, GroupMember, JoinRequest, User } from "../shared/types.ts";
import { createApi } from "./mod.ts";

const me: User = { id: "7", username: "me", nickname: "me", avatar: null };
const group: Group = {
  id: "50",
  name: "g",
  avatar: null,
  ownerId: "7",
  memberCount: 2,
  createdAt: 1,
  history: "since_join",
  notice: "",
  joinPolicy: "approval",
  muted: false,
};
const member: GroupMember = { user: me, role: "admin", mutedUntil: null };
const request: JoinRequest = { id: "60", groupId: "50", user: me, createdAt: 2 };

/** An api on a logic that records its calls and answers as the real one would. */
function api() {
  const calls: unknown[][] = [];
  const answer = (name: string, value?: unknown) => (...args: unknown[]) => (
    calls.push([name, ...args]), Promise.resolve(value)
  );
  const logic = {
    authenticate: (token: string) =>
      token === "t" ? Promise.resolve(me) : Promise.reject(new AppError("unauthenticated", "no")),
    updateGroupMember: answer("updateMember", member),
    removeGroupMember: answer("removeMember"),
    transferGroup: answer("transfer", group),
    disbandGroup: answer("disband"),
    joinRequests: answer("requests", [request]),
    acceptJoinRequest: answer("accept", group),
    rejectJoinRequest: answer("reject"),
    joinGroup: (userId: string, groupId: string) => {
      calls.push(["join", userId, groupId]);
      return groupId === "50" ? Promise.resolve({ request }) : Promise.resolve({ group });
    },
  } as unknown as LogicService;
  const { handle } = createApi({ logic, connectUrl: () => "/ws" });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await handle(
      new Request(`http://im.test${path}`, {
        method,
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };
  return { calls, call };
}

Deno.test("PATCH /api/groups/:id/members/:userId answers 200 {member}", async () => {
  const { calls, call } = api();
  const input = { role: "admin" };
  assertEquals(await call("PATCH", "/api/groups/50/members/8", input), {
    status: 200,
    body: { member },
  });
  assertEquals(calls, [["updateMember", "7", "50", "8", input]]);
});

Deno.test("DELETE /api/groups/:id/members/:userId removes and answers 204", async () => {
  const { calls, call } = api();
  assertEquals(await call("DELETE", "/api/groups/50/members/8"), { status: 204, body: null });
  assertEquals(calls, [["removeMember", "7", "50", "8"]]);
});

Deno.test("POST /api/groups/:id/transfer answers 200 {group}", async () => {
  const { calls, call } = api();
  assertEquals(await call("POST", "/api/groups/50/transfer", { userId: "8" }), {
    status: 200,
    body: { group },
  });
  assertEquals(calls, [["transfer", "7", "50", { userId: "8" }]]);
});

Deno.test("DELETE /api/groups/:id disbands and answers 204", async () => {
  const { calls, call } = api();
  assertEquals(await call("DELETE", "/api/groups/50"), { status: 204, body: null });
  assertEquals(calls, [["disband", "7", "50"]]);
});

Deno.test("POST /api/groups/:id/join answers 202 {request} under approval, 200 {group} otherwise", async () => {
  const { calls, call } = api();
  assertEquals(await call("POST", "/api/groups/50/join"), { status: 202, body: { request } });
  assertEquals(await call("POST", "/api/groups/51/join"), { status: 200, body: { group } });
  assertEquals(calls, [["join", "7", "50"], ["join", "7", "51"]]);
});

Deno.test("join requests: GET lists them, accept answers 200 {group}, reject 204", async () => {
  const { calls, call } = api();
  assertEquals(await call("GET", "/api/groups/50/requests"), {
    status: 200,
    body: { requests: [request] },
  });
  assertEquals(await call("POST", "/api/groups/50/requests/60/accept"), {
    status: 200,
    body: { group },
  });
  assertEquals(await call("POST", "/api/groups/50/requests/61/reject"), {
    status: 204,
    body: null,
  });
  assertEquals(calls, [
    ["requests", "7", "50"],
    ["accept", "7", "50", "60"],
    ["reject", "7", "50", "61"],
  ]);
});
