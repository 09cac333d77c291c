/** Join requests on a real store: asking under `approval`, listing, accepting and rejecting. */
import { assert, assertEquals } from "../tests/assert.ts";
import { rateLimited } from "../shared/metrics.ts";
import type { Store } from "../shared/store/mod.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { cast, code, since, sorted } from "./_test_groups.ts";

const test = stepsOnOneStore("group join requests");

/** The cast, in a group under `approval`, and a user who asks to join it. */
async function asking(store: Store, limits = {}) {
  const people = await cast(store, { limits });
  await people.t.logic.updateGroup(people.owner, people.group, { joinPolicy: "approval" });
  return { ...people, log: since(people.t.log.records) };
}

test("joinGroup() under approval: a request, told to the owner and admins; again the same one", async (store) => {
  const { t, owner, admin, stranger, group, log } = await asking(store);
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  assert(request);
  assertEquals([request.groupId, request.user.id], [group, stranger]);
  const [told] = log.events("group_join_request");
  assertEquals(sorted(told.userIds), sorted([owner, admin]));
  assertEquals(told.frame.request, request);
  assertEquals(log.lines(), [], "a request is no member yet");
  assertEquals((await t.logic.joinGroup(stranger, group)).request, request, "the same request");
  assertEquals(log.events("group_join_request").length, 1, "told once");
  assertEquals(await t.logic.joinRequests(admin, group), [request]);
});

test("joinGroup() under approval: past joinRequestsMax pending, rate_limited", async (store) => {
  const { t, stranger, group } = await asking(store, { joinRequestsMax: 1 });
  await using _ = t;
  await t.logic.joinGroup(stranger, group);
  const refused = async () =>
    (await rateLimited.get()).values.find((v) => v.labels.limit === "join_requests")?.value ?? 0;
  const before = await refused();
  assertEquals(await code(async () => t.logic.joinGroup(await t.user(), group)), "rate_limited");
  assertEquals(
    await refused(),
    before + 1,
    "counted in im_rate_limited_total{limit=join_requests}",
  );
});

test("joinRequests(): owner and admins only", async (store) => {
  const { t, alice, stranger, group } = await asking(store);
  await using _ = t;
  assertEquals(await code(() => t.logic.joinRequests(alice, group)), "forbidden");
  assertEquals(await code(() => t.logic.joinRequests(stranger, group)), "forbidden");
  assertEquals(await code(() => t.logic.joinRequests(alice, "4242424242")), "not_found");
});

test("acceptJoinRequest(): a `joined` line by the accepter, and the request closed for moderators", async (store) => {
  const { t, owner, admin, stranger, group, log } = await asking(store);
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  const updated = await t.logic.acceptJoinRequest(admin, group, request!.id);
  assertEquals(updated.memberCount, 5);
  const line = log.records().find((r) => r.type === "message");
  assert(line?.type === "message");
  assertEquals(line.message.content, {
    type: "system",
    event: "joined",
    userId: stranger,
    by: admin,
  });
  assertEquals(line.membership, { groupId: group, added: [stranger], removed: [] });
  assertEquals(
    log.events("group_update")[0].groupId,
    group,
    "the requester learns, a member by then",
  );
  const [closed] = log.events("group_join_request_closed");
  assertEquals(sorted(closed.userIds), sorted([owner, admin]));
  assertEquals(closed.frame, {
    op: "group_join_request_closed",
    groupId: group,
    requestId: request!.id,
  });
  assertEquals(await t.logic.joinRequests(owner, group), []);
  assertEquals(
    await code(() => t.logic.acceptJoinRequest(owner, group, request!.id)),
    "not_found",
    "decided already",
  );
});

test("acceptJoinRequest(): two at once, one wins", async (store) => {
  const { t, owner, admin, stranger, group, log } = await asking(store);
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  const results = await Promise.allSettled([
    t.logic.acceptJoinRequest(owner, group, request!.id),
    t.twin().acceptJoinRequest(admin, group, request!.id),
  ]);
  assertEquals(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  assertEquals(failed.reason.code, "not_found");
  assertEquals(log.lines().length, 1);
});

test("acceptJoinRequest(): into a full group forbidden, and the request stays", async (store) => {
  const { t, owner, stranger, group } = await asking(store, { groupSize: 5 });
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  const friend = await t.user();
  await t.friends(owner, friend);
  await t.logic.addGroupMembers(owner, group, { userIds: [friend] });
  assertEquals(await code(() => t.logic.acceptJoinRequest(owner, group, request!.id)), "forbidden");
  assertEquals((await t.logic.joinRequests(owner, group)).map((r) => r.id), [request!.id]);
});

test("acceptJoinRequest(): a requester who became a member meanwhile just has the request closed", async (store) => {
  const { t, owner, stranger, group } = await asking(store);
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  // Added behind logic's back, as a race would: the pending request is still there.
  await store.groups.addMembers(group, [stranger], 100, t.clock.now);
  const log = since(t.log.records);
  await t.logic.acceptJoinRequest(owner, group, request!.id);
  assertEquals(log.lines(), [], "no second `joined` line");
  assertEquals(log.events("group_join_request_closed").length, 1);
  assertEquals(await t.logic.joinRequests(owner, group), []);
});

test("a requester added by a member has the request closed", async (store) => {
  const { t, owner, admin, stranger, group } = await asking(store);
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  const log = since(t.log.records);
  await t.logic.addGroupMembers(owner, group, { userIds: [stranger] });
  const [closed] = log.events("group_join_request_closed");
  assertEquals(closed.frame.requestId, request!.id);
  assertEquals(sorted(closed.userIds), sorted([owner, admin]));
  assertEquals(await t.logic.joinRequests(owner, group), []);
});

test("rejectJoinRequest(): 204, the moderators told, the requester not; then not_found", async (store) => {
  const { t, owner, admin, alice, stranger, group, log } = await asking(store);
  await using _ = t;
  const { request } = await t.logic.joinGroup(stranger, group);
  assertEquals(await code(() => t.logic.rejectJoinRequest(alice, group, request!.id)), "forbidden");
  await t.logic.rejectJoinRequest(owner, group, request!.id);
  const [closed] = log.events("group_join_request_closed");
  assertEquals(sorted(closed.userIds), sorted([owner, admin]));
  assertEquals(log.lines(), []);
  assertEquals(await store.groups.member(group, stranger), null);
  assertEquals(
    await code(() => t.logic.rejectJoinRequest(owner, group, request!.id)),
    "not_found",
  );
  assertEquals(await code(() => t.logic.acceptJoinRequest(owner, group, "12345")), "not_found");
  assertEquals(await code(() => t.logic.rejectJoinRequest(owner, group, "nope")), "not_found");
});
