/** Coming and going on a real store: create, join, add, leave and remove, with their lines and events. */
import { assert, assertEquals } from "../tests/assert.ts";
import { groupConversationId } from "../shared/types.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { cast, code, since, sorted } from "./_test_groups.ts";
import { world } from "./_test_world.ts";

const test = stepsOnOneStore("group membership");

test("createGroup(): one `created` line bringing every first member in, then the events", async (store) => {
  const t = world(store);
  await using _ = t;
  const [owner, a, b] = [await t.user(), await t.user(), await t.user()];
  await t.friends(owner, a);
  await t.friends(owner, b);
  const log = since(t.log.records);
  const group = await t.logic.createGroup(owner, { name: "Trip", memberIds: [a, b] });
  assertEquals(
    [group.notice, group.joinPolicy, group.muted, group.history],
    ["", "open", false, "since_join"],
  );
  const [first, ...rest] = log.records();
  assert(first.type === "message");
  assertEquals(first.message.content, { type: "system", event: "created", by: owner });
  assertEquals(first.membership, { groupId: group.id, added: [owner, a, b], removed: [] });
  assertEquals(
    rest.map((r) => r.type === "event" || r.type === "group_event" ? [r.type, r.frame.op] : r.type),
    [["group_event", "group_update"]],
  );
  // The group is in every member's conversation list at once, with nothing unread.
  for (const id of [owner, a, b]) {
    const [summary] = await t.logic.conversations(id);
    assertEquals(
      [summary.id, summary.unread, summary.lastMessage?.content.type],
      [groupConversationId(group.id), 0, "system"],
    );
  }
});

test("joinGroup(): open joins with a `joined` line carrying the joiner; twice is conflict", async (store) => {
  const { t, owner, stranger, group, since: log } = await cast(store);
  await using _ = t;
  const joined = await t.logic.joinGroup(stranger, group);
  assertEquals(joined.group?.memberCount, 5);
  const [line] = log.records();
  assert(line.type === "message");
  assertEquals(line.message.content, {
    type: "system",
    event: "joined",
    userId: stranger,
    by: stranger,
  });
  assertEquals(line.membership, { groupId: group, added: [stranger], removed: [] });
  // To the members, the joiner now one of them (the line's membership came first).
  assertEquals(log.events("group_update").map((e) => e.groupId), [group]);
  assertEquals(await code(() => t.logic.joinGroup(stranger, group)), "conflict");
  assertEquals(await code(() => t.logic.joinGroup(owner, group)), "conflict");
  assertEquals(await code(() => t.logic.joinGroup(stranger, "99999999")), "not_found");
});

test("joinGroup(): invite-only and full groups are forbidden", async (store) => {
  const { t, owner, stranger, group } = await cast(store, { limits: { groupSize: 5 } });
  await using _ = t;
  await t.logic.updateGroup(owner, group, { joinPolicy: "invite" });
  assertEquals(await code(() => t.logic.joinGroup(stranger, group)), "forbidden");
  await t.logic.updateGroup(owner, group, { joinPolicy: "open" });
  const late = await t.user();
  await t.logic.joinGroup(stranger, group);
  assertEquals(await code(() => t.logic.joinGroup(late, group)), "forbidden", "full");
});

test("addGroupMembers(): any member adds friends, under every policy; one line per member added", async (store) => {
  const { t, alice, group, owner } = await cast(store);
  await using _ = t;
  await t.logic.updateGroup(owner, group, { joinPolicy: "invite" });
  const [x, y] = [await t.user(), await t.user()];
  await t.friends(alice, x);
  await t.friends(alice, y);
  const after = since(t.log.records);
  const updated = await t.logic.addGroupMembers(alice, group, { userIds: [x, y] });
  assertEquals(updated.memberCount, 6);
  const lines = after.records().filter((r) => r.type === "message");
  assertEquals(
    lines.map((r) => r.type === "message" && [r.message.content, r.membership]),
    [
      [{ type: "system", event: "joined", userId: x, by: alice }, {
        groupId: group,
        added: [x],
        removed: [],
      }],
      [{ type: "system", event: "joined", userId: y, by: alice }, {
        groupId: group,
        added: [y],
        removed: [],
      }],
    ],
  );
  assertEquals(
    await code(() => t.logic.addGroupMembers(alice, group, { userIds: [x] })),
    "conflict",
  );
});

test("leaveGroup(): a `left` line carrying the leaver, then group_update and group_removed to them", async (store) => {
  const { t, bob, group, since: log } = await cast(store);
  await using _ = t;
  await t.logic.leaveGroup(bob, group);
  const [line] = log.records();
  assert(line.type === "message");
  assertEquals(line.message.content, { type: "system", event: "left", userId: bob, by: bob });
  assertEquals(line.membership, { groupId: group, added: [], removed: [bob] });
  // To the members through the group, and to the leaver, no longer one of them, by name.
  assertEquals(
    log.events("group_update").map((e) => [e.groupId, e.userIds]),
    [[group, []], [undefined, [bob]]],
  );
  const [removed] = log.events("group_removed");
  assertEquals(removed.userIds, [bob]);
  assertEquals(removed.frame.reason, "left");
  assertEquals(await code(() => t.logic.leaveGroup(bob, group)), "forbidden");
  assertEquals(await code(() => t.logic.group(bob, group)), "forbidden");
});

test("leaveGroup(): the owner leaving hands over: `left`, then `transferred` to the new owner", async (store) => {
  const { t, owner, admin, group, since: log } = await cast(store);
  await using _ = t;
  await t.logic.leaveGroup(owner, group);
  assertEquals(log.lines(), [
    { type: "system", event: "left", userId: owner, by: owner },
    { type: "system", event: "transferred", userId: admin, by: owner },
  ]);
  assertEquals(log.events("group_update")[0].frame.group.ownerId, admin);
});

test("leaveGroup(): the last member leaving disbands: group_removed `left` with the membership", async (store) => {
  const t = world(store);
  await using _ = t;
  const owner = await t.user();
  const group = await t.group(owner, []);
  const log = since(t.log.records);
  await t.logic.leaveGroup(owner, group);
  assertEquals(log.lines(), []);
  assertEquals(log.records(), [{
    type: "event",
    userIds: [owner],
    frame: { op: "group_removed", groupId: group, reason: "left" },
    membership: { groupId: group, added: [], removed: [owner] },
  }]);
  assertEquals(await store.groups.get(group), null);
});

test("removeGroupMember(): the owner removes anyone, an admin plain members", async (store) => {
  const { t, owner, admin, alice, bob, group, since: log } = await cast(store);
  await using _ = t;
  await t.logic.removeGroupMember(admin, group, alice);
  await t.logic.removeGroupMember(owner, group, admin);
  assertEquals(log.lines(), [
    { type: "system", event: "removed", userId: alice, by: admin },
    { type: "system", event: "removed", userId: admin, by: owner },
  ]);
  const removed = log.events("group_removed");
  assertEquals(removed.map((e) => [e.userIds, e.frame.reason]), [
    [[alice], "removed"],
    [[admin], "removed"],
  ]);
  const first = log.records()[0];
  assert(first.type === "message");
  assertEquals(first.membership, { groupId: group, added: [], removed: [alice] });
  assertEquals(sorted(await store.groups.memberIds(group)), sorted([owner, bob]));
});

test("removeGroupMember(): who may not remove whom", async (store) => {
  const { t, owner, admin, alice, bob, stranger, group } = await cast(store);
  await using _ = t;
  await t.logic.updateGroupMember(owner, group, bob, { role: "admin" });
  assertEquals(await code(() => t.logic.removeGroupMember(admin, group, bob)), "forbidden");
  assertEquals(await code(() => t.logic.removeGroupMember(admin, group, owner)), "forbidden");
  assertEquals(await code(() => t.logic.removeGroupMember(alice, group, admin)), "forbidden");
  assertEquals(await code(() => t.logic.removeGroupMember(stranger, group, alice)), "forbidden");
  assertEquals(
    await code(() => t.logic.removeGroupMember(admin, group, admin)),
    "invalid_argument",
    "yourself: use leave",
  );
  assertEquals(
    await code(() => t.logic.removeGroupMember(owner, group, owner)),
    "invalid_argument",
  );
  assertEquals(await code(() => t.logic.removeGroupMember(owner, group, stranger)), "not_found");
  assertEquals(await code(() => t.logic.removeGroupMember(owner, "123456", alice)), "not_found");
});

test("group(): `online` for the caller and friends only, not for a friend who blocked the caller", async (store) => {
  const { t, owner, admin, alice, bob, group } = await cast(store);
  await using _ = t;
  const shown = async (viewer: string) =>
    (await t.logic.group(viewer, group)).members.flatMap((m) => "online" in m ? [m.user.id] : []);
  assertEquals(sorted(await shown(owner)), sorted([owner, admin, alice, bob]));
  assertEquals(sorted(await shown(alice)), sorted([owner, alice]), "her only friend and herself");
  await store.blocks.block(alice, owner, t.clock.now);
  assertEquals(sorted(await shown(owner)), sorted([owner, admin, bob]), "the blocker is hidden");
  const listed = (await t.logic.group(owner, group)).members.map((m) => m.user.id);
  assertEquals(sorted(listed), sorted([owner, admin, alice, bob]), "and still listed");
});
