/** Running a group on a real store: settings, roles, mutes, transfer and disband, each rule and error. */
import { assert, assertEquals } from "../tests/assert.ts";
import { LIMITS, stepsOnOneStore } from "./_test_logic.ts";
import { cast, code, since, sorted } from "./_test_groups.ts";

const test = stepsOnOneStore("group administration");

test("updateGroup(): owner or admin; one system message per field changed, then group_update", async (store) => {
  const { t, admin, bob, group, since: log } = await cast(store);
  await using _ = t;
  const updated = await t.logic.updateGroup(admin, group, {
    name: "Hikers",
    notice: "Meet at 9\nBring water",
    joinPolicy: "approval",
    history: "all",
    muted: true,
  });
  assertEquals(
    [updated.name, updated.notice, updated.joinPolicy, updated.history, updated.muted],
    ["Hikers", "Meet at 9\nBring water", "approval", "all", true],
  );
  assertEquals(log.lines(), [
    { type: "system", event: "renamed", by: admin, value: "Hikers" },
    { type: "system", event: "notice", by: admin, value: "Meet at 9\nBring water" },
    { type: "system", event: "policy", by: admin, value: "approval" },
    { type: "system", event: "policy", by: admin, value: "all" },
    { type: "system", event: "muted", by: admin, value: "on" },
  ]);
  const [update] = log.events("group_update");
  assertEquals(update.groupId, group, "to the group's members, fanned out by connect");
  assertEquals(update.frame.group, updated);
  assertEquals(log.records().at(-1), update.r, "the events follow the lines");
  const seen = await t.logic.group(bob, group);
  assertEquals(seen.group, updated, "groupView gives notice, joinPolicy and muted");
  const message = log.records()[0];
  assert(message.type === "message");
  assertEquals(
    [message.message.from, message.message.to, message.message.clientMsgId],
    [admin, { type: "group", id: group }, null],
  );
});

test("updateGroup(): unchanged fields make no message; a changed avatar only group_update", async (store) => {
  const { t, owner, group, since: log } = await cast(store);
  await using _ = t;
  const current = (await t.logic.group(owner, group)).group;
  await t.logic.updateGroup(owner, group, {
    name: current.name,
    joinPolicy: "open",
    muted: false,
    notice: "",
  });
  assertEquals(log.records(), [], "nothing changed, nothing appended");
  const avatar = await t.media(owner);
  const updated = await t.logic.updateGroup(owner, group, { avatar: avatar.id, notice: "" });
  assertEquals(updated.avatar, `/api/media/${avatar.id}`);
  assertEquals(log.lines(), []);
  assertEquals(log.events("group_update").length, 1);
});

test("updateGroup(): a plain member or stranger is forbidden, an unknown group not_found", async (store) => {
  const { t, alice, stranger, group } = await cast(store);
  await using _ = t;
  assertEquals(await code(() => t.logic.updateGroup(alice, group, { name: "x" })), "forbidden");
  assertEquals(await code(() => t.logic.updateGroup(stranger, group, { name: "x" })), "forbidden");
  assertEquals(await code(() => t.logic.updateGroup(alice, "999999", { name: "x" })), "not_found");
});

test("updateGroup(): bad input is invalid_argument", async (store) => {
  const { t, owner, group } = await cast(store);
  await using _ = t;
  for (
    const input of [
      {},
      { other: 1 },
      { notice: "x".repeat(LIMITS.groupNoticeMax + 1) },
      { notice: "tab\there" },
      { notice: "nul\0" },
      { notice: "cr\r\n" },
      { notice: 5 },
      { joinPolicy: "closed" },
      { muted: "yes" },
      { history: "some" },
      { name: "" },
      null,
    ]
  ) {
    assertEquals(
      await code(() => t.logic.updateGroup(owner, group, input)),
      "invalid_argument",
      JSON.stringify(input),
    );
  }
  // Lengths count code points: 1000 emoji fit.
  const notice = "😀".repeat(LIMITS.groupNoticeMax);
  assertEquals((await t.logic.updateGroup(owner, group, { notice })).notice, notice);
});

test("updateGroupMember(): the owner gives and takes the admin role", async (store) => {
  const { t, owner, alice, group, since: log } = await cast(store);
  await using _ = t;
  const member = await t.logic.updateGroupMember(owner, group, alice, { role: "admin" });
  assertEquals([member.user.id, member.role, member.mutedUntil], [alice, "admin", null]);
  await t.logic.updateGroupMember(owner, group, alice, { role: "admin" });
  await t.logic.updateGroupMember(owner, group, alice, { role: "member" });
  assertEquals(log.lines(), [
    { type: "system", event: "role", userId: alice, by: owner, value: "admin" },
    { type: "system", event: "role", userId: alice, by: owner, value: "member" },
  ], "the same role again changes nothing");
  assertEquals(await store.groups.role(group, alice), "member");
});

test("updateGroupMember(): role by the owner only; the owner's role is invalid_argument", async (store) => {
  const { t, owner, admin, alice, stranger, group } = await cast(store);
  await using _ = t;
  const role = { role: "admin" };
  assertEquals(await code(() => t.logic.updateGroupMember(admin, group, alice, role)), "forbidden");
  assertEquals(await code(() => t.logic.updateGroupMember(alice, group, alice, role)), "forbidden");
  assertEquals(
    await code(() => t.logic.updateGroupMember(stranger, group, alice, role)),
    "forbidden",
  );
  assertEquals(
    await code(() => t.logic.updateGroupMember(owner, group, owner, { role: "member" })),
    "invalid_argument",
    "the owner on self: use transfer",
  );
  assertEquals(
    await code(() => t.logic.updateGroupMember(owner, group, alice, { role: "owner" })),
    "invalid_argument",
  );
  assertEquals(
    await code(() => t.logic.updateGroupMember(owner, group, stranger, role)),
    "not_found",
  );
  assertEquals(await code(() => t.logic.updateGroupMember(owner, group, "x", role)), "not_found");
});

test("updateGroupMember(): mutes by the owner, or by an admin on a plain member", async (store) => {
  const { t, owner, admin, alice, bob, group, since: log } = await cast(store);
  await using _ = t;
  const until = t.clock.now + 60_000;
  const muted = await t.logic.updateGroupMember(admin, group, alice, { mutedUntil: until });
  assertEquals(muted.mutedUntil, until);
  await t.logic.updateGroupMember(owner, group, admin, { mutedUntil: until });
  await t.logic.updateGroupMember(owner, group, alice, { mutedUntil: null });
  await t.logic.updateGroupMember(owner, group, bob, { mutedUntil: null });
  assertEquals(log.lines(), [
    { type: "system", event: "muted", userId: alice, by: admin, value: String(until) },
    { type: "system", event: "muted", userId: admin, by: owner, value: String(until) },
    { type: "system", event: "muted", userId: alice, by: owner },
  ], "unmuting one not muted changes nothing");
  const listed = (await t.logic.group(bob, group)).members.find((m) => m.user.id === admin);
  assertEquals(listed?.mutedUntil, until);
  await t.clock.tick(60_001);
  const later = (await t.logic.group(bob, group)).members.find((m) => m.user.id === admin);
  assertEquals(later?.mutedUntil, null, "a mute past shows as none");
});

test("updateGroupMember(): who may not mute whom, and bad times", async (store) => {
  const { t, owner, admin, alice, bob, group } = await cast(store);
  await using _ = t;
  const mute = { mutedUntil: t.clock.now + 1000 };
  await t.logic.updateGroupMember(owner, group, bob, { role: "admin" });
  for (
    const [actor, target, why] of [
      [admin, owner, "the owner"],
      [owner, owner, "the owner on self"],
      [admin, bob, "an admin on an admin"],
      [admin, admin, "an admin on self"],
      [alice, alice, "a plain member"],
    ]
  ) {
    assertEquals(
      await code(() => t.logic.updateGroupMember(actor, group, target, mute)),
      "forbidden",
      why,
    );
  }
  for (
    const input of [
      {},
      { mutedUntil: t.clock.now },
      { mutedUntil: t.clock.now - 1 },
      { mutedUntil: t.clock.now + LIMITS.muteMaxMs + 1 },
      { mutedUntil: t.clock.now + 1.5 },
      { mutedUntil: "soon" },
      { role: "admin", extra: true },
    ]
  ) {
    assertEquals(
      await code(() => t.logic.updateGroupMember(owner, group, alice, input)),
      "invalid_argument",
      JSON.stringify(input),
    );
  }
  const longest = t.clock.now + LIMITS.muteMaxMs;
  assertEquals(
    (await t.logic.updateGroupMember(owner, group, alice, { mutedUntil: longest })).mutedUntil,
    longest,
  );
});

test("transferGroup(): the owner hands over and becomes an admin", async (store) => {
  const { t, owner, alice, group, since: log } = await cast(store);
  await using _ = t;
  const updated = await t.logic.transferGroup(owner, group, { userId: alice });
  assertEquals(updated.ownerId, alice);
  assertEquals(await store.groups.role(group, owner), "admin");
  assertEquals(await store.groups.role(group, alice), "owner");
  assertEquals(log.lines(), [{ type: "system", event: "transferred", userId: alice, by: owner }]);
  assertEquals(log.events("group_update")[0].frame.group, updated);
});

test("transferGroup(): owner only; to yourself invalid_argument; to a non-member not_found", async (store) => {
  const { t, owner, admin, stranger, group } = await cast(store);
  await using _ = t;
  assertEquals(
    await code(() => t.logic.transferGroup(admin, group, { userId: admin })),
    "forbidden",
  );
  assertEquals(
    await code(() => t.logic.transferGroup(owner, group, { userId: owner })),
    "invalid_argument",
  );
  assertEquals(
    await code(() => t.logic.transferGroup(owner, group, { userId: stranger })),
    "not_found",
  );
  for (const input of [{}, { userId: 5 }, { userId: admin, more: 1 }]) {
    assertEquals(
      await code(() => t.logic.transferGroup(owner, group, input)),
      "invalid_argument",
      JSON.stringify(input),
    );
  }
});

test("disbandGroup(): owner only; every member gets group_removed with the membership removed", async (store) => {
  const { t, owner, admin, alice, bob, group, since: log } = await cast(store);
  await using _ = t;
  assertEquals(await code(() => t.logic.disbandGroup(admin, group)), "forbidden");
  assertEquals(await code(() => t.logic.disbandGroup(alice, group)), "forbidden");
  await t.logic.disbandGroup(owner, group);
  const members = sorted([owner, admin, alice, bob]);
  assertEquals(log.lines(), [], "no system message: the group is gone");
  const [removed] = log.events("group_removed");
  assertEquals(sorted(removed.userIds), members);
  assertEquals(removed.frame, { op: "group_removed", groupId: group, reason: "disbanded" });
  assert(removed.r.type === "event");
  assertEquals(removed.r.membership?.groupId, group);
  assertEquals(sorted(removed.r.membership?.removed ?? []), members);
  assertEquals(await code(() => t.logic.group(owner, group)), "not_found");
  assertEquals(await code(() => t.logic.disbandGroup(owner, group)), "not_found");
  assertEquals(await code(() => t.logic.updateGroup(owner, group, { name: "x" })), "not_found");
});

test("two removals at once: one removes, the other finds no such member", async (store) => {
  const { t, owner, admin, alice, group } = await cast(store);
  await using _ = t;
  const log = since(t.log.records);
  const results = await Promise.allSettled([
    t.logic.removeGroupMember(owner, group, alice),
    t.twin().removeGroupMember(admin, group, alice),
  ]);
  assertEquals(results.filter((r) => r.status === "fulfilled").length, 1);
  const failed = results.find((r) => r.status === "rejected");
  assertEquals((failed as PromiseRejectedResult).reason.code, "not_found");
  assertEquals(log.lines().length, 1, "one removed line");
});
