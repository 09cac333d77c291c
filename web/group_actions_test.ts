/// <reference lib="deno.ns" />
import { assert, assertEquals } from "../tests/assert.ts";
import type { Group, GroupMember, JoinRequest, User } from "../shared/types.ts";
import { setup } from "../client/_fakes.ts";
import { GroupActions } from "./group_actions.ts";
import { type Event, initialState, reduce, type State } from "./state.ts";

// READY's user 2 is the signed-in user.
const me: User = { id: "2", username: "bob", nickname: "Bob", avatar: null };
const ann: User = { id: "1", username: "ann", nickname: "Ann", avatar: null };
const group: Group = {
  id: "g9",
  name: "Weekend",
  avatar: null,
  ownerId: "1",
  memberCount: 2,
  createdAt: 0,
  history: "since_join",
  notice: "",
  joinPolicy: "approval",
  muted: false,
};

/** GroupActions on the SDK's fakes, with the web state they change, the group's chat open. */
async function world() {
  const fakes = setup();
  let state: State = reduce(initialState(me), {
    type: "groups",
    list: [{ group, onlineCount: 1 }],
  });
  state = reduce(state, { type: "open", conversationId: "g:g9", who: { type: "group", group } });
  const members: GroupMember[] = [
    { user: ann, role: "owner", mutedUntil: null },
    { user: me, role: "member", mutedUntil: null },
  ];
  state = reduce(state, { type: "members", groupId: group.id, members });
  let groups = [{ group, onlineCount: 1 }];
  const opened: string[] = [];
  const actions = new GroupActions({
    client: fakes.client,
    state: () => state,
    dispatch: (event: Event) => void (state = reduce(state, event)),
    loadGroups: () => {
      state = reduce(state, { type: "groups", list: groups });
      return Promise.resolve();
    },
    loadMembers: () => Promise.resolve(),
    openWithGroup: (g) => void opened.push(g.id),
  });
  const off = actions.watch();
  fakes.client.connect();
  const socket = await fakes.accept();
  return {
    ...fakes,
    socket,
    actions,
    opened,
    state: () => state,
    setGroups: (list: typeof groups) => void (groups = list),
    close: async () => {
      for (const f of off) f();
      await fakes.client.close();
    },
  };
}

Deno.test("GroupActions.leave() closes the chat without a notice, also when group_removed follows", async () => {
  const w = await world();
  w.server.route("POST", "/api/groups/g9/leave", () => undefined);
  w.setGroups([]);
  await w.actions.leave(group.id);
  assertEquals(w.state().active, null);
  assertEquals(w.state().groups.size, 0);
  w.socket.push({ op: "group_removed", groupId: group.id, reason: "left" });
  assertEquals(w.state().notice, "");
  await w.close();
});

Deno.test("a group_removed this page did not ask for closes the chat with a notice", async () => {
  const w = await world();
  w.socket.push({ op: "group_removed", groupId: group.id, reason: "removed" });
  assertEquals(w.state().active, null);
  assertEquals(w.state().notice, "You were removed from “Weekend”.");
  await w.close();
});

Deno.test("GroupActions.join(): an approval group waits (Request sent), an open one opens", async () => {
  const w = await world();
  const request: JoinRequest = { id: "r1", groupId: "g5", user: me, createdAt: 1 };
  w.server.route("POST", "/api/groups/g5/join", () => Response.json({ request }, { status: 202 }));
  w.server.route("POST", "/api/groups/g6/join", () => ({ group: { ...group, id: "g6" } }));
  assertEquals(await w.actions.join({ ...group, id: "g5" }), "requested");
  assert(w.state().joinAsked.has("g5"));
  assertEquals(w.opened, []);
  assertEquals(await w.actions.join({ ...group, id: "g6", joinPolicy: "open" }), "joined");
  assertEquals(w.opened, ["g6"]);
  await w.close();
});

Deno.test("join requests come and go live; a mute answer replaces the member", async () => {
  const w = await world();
  const request: JoinRequest = { id: "r1", groupId: group.id, user: ann, createdAt: 1 };
  w.socket.push({ op: "group_join_request", request });
  assertEquals(w.state().joinRequests.get(group.id), [request]);
  w.socket.push({ op: "group_join_request_closed", groupId: group.id, requestId: "r1" });
  assertEquals(w.state().joinRequests.get(group.id), []);
  const muted = { user: me, role: "member" as const, mutedUntil: 99_000 };
  w.server.route("PATCH", "/api/groups/g9/members/2", () => ({ member: muted }));
  await w.actions.mute(group.id, me.id, 99_000);
  assertEquals(w.server.calls.at(-1)?.body, { mutedUntil: 99_000 });
  assertEquals(w.state().members[1], muted);
  await w.close();
});

Deno.test("after a reconnect the join requests shown are listed again", async () => {
  const w = await world();
  const request: JoinRequest = { id: "r1", groupId: group.id, user: ann, createdAt: 1 };
  w.socket.push({ op: "group_join_request", request });
  // Decided elsewhere while this page was offline: no event came.
  w.server.route("GET", "/api/groups/g9/requests", () => ({ requests: [] }));
  const listed = w.server.nextRequest("/api/groups/g9/requests");
  w.socket.drop(1006);
  w.timers.runNext();
  await w.accept();
  await listed;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(w.state().joinRequests.get(group.id), []);
  await w.close();
});
