/** The contract suite of GroupStore, run once per implementation and decorator. */
import { assertEquals, assertRejects } from "../../../tests/assert.ts";
import { AppError } from "../../errors.ts";
import type { Store } from "../mod.ts";
import { id, type OpenStore, sorted, suite, type SuiteOptions, user } from "./fixtures.ts";
import { groupAdministrationSteps } from "./group_admin.ts";
import { joinRequestSteps } from "./join_requests.ts";

function group(store: Store, ownerId: string, memberIds: string[], name = "g", createdAt = 1) {
  return store.groups.create(
    { id: id(), name, avatarMediaId: null, ownerId, createdAt },
    memberIds,
  );
}

/** Runs the GroupStore contract against `store.groups` of stores made by `open`. */
export function testGroupStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);

  test(
    "historyFloor() is the conversation's last seq at joining under since_join, 0 under all",
    async (store, clock) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id], "Floors", 1);
      assertEquals(await store.groups.historyFloor(g.id, a.id), 0);
      assertEquals(await store.groups.historyFloor(g.id, b.id), 0);
      assertEquals(await store.groups.historyFloor(g.id, c.id), null, "not a member");
      await store.messages.save([1, 2, 3].map((n) => ({
        id: id(),
        conversationId: `g:${g.id}`,
        from: a.id,
        to: { type: "group" as const, id: g.id },
        content: { type: "text" as const, text: String(n) },
        sentAt: clock.now(),
        clientMsgId: `f${n}${g.id}`,
      })));
      await store.groups.addMembers(g.id, [c.id], 10, 2);
      assertEquals(await store.groups.historyFloor(g.id, c.id), 3);
      assertEquals(await store.groups.historyFloor(g.id, b.id), 0);
      const open = await store.groups.update(g.id, { history: "all" });
      assertEquals(open.history, "all");
      assertEquals(await store.groups.historyFloor(g.id, c.id), 0);
      assertEquals((await store.groups.update(g.id, { name: "x" })).history, "all", "kept");
      await store.groups.update(g.id, { history: "since_join" });
      assertEquals(await store.groups.historyFloor(g.id, c.id), 3);
      // Leaving and joining again starts from the new join.
      assertEquals(await store.groups.removeMember(g.id, c.id), { removed: true });
      await store.messages.save([{
        id: id(),
        conversationId: `g:${g.id}`,
        from: a.id,
        to: { type: "group", id: g.id },
        content: { type: "text", text: "4" },
        sentAt: clock.now(),
        clientMsgId: `f4${g.id}`,
      }]);
      await store.groups.addMembers(g.id, [c.id], 10, 3);
      assertEquals(await store.groups.historyFloor(g.id, c.id), 4);
    },
  );

  test(
    "floors() gives each member's history floor, as historyFloor() does",
    async (store, clock) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id], "Floors of all");
      await store.messages.save([1, 2].map((n) => ({
        id: id(),
        conversationId: `g:${g.id}`,
        from: a.id,
        to: { type: "group" as const, id: g.id },
        content: { type: "text" as const, text: String(n) },
        sentAt: clock.now(),
        clientMsgId: `floors${n}${g.id}`,
      })));
      await store.groups.addMembers(g.id, [c.id], 10, 2);
      assertEquals(await store.groups.floors(g.id), new Map([[a.id, 0], [b.id, 0], [c.id, 2]]));
      for (const member of [a, b, c]) {
        assertEquals(
          await store.groups.historyFloor(g.id, member.id),
          (await store.groups.floors(g.id)).get(member.id),
        );
      }
      await store.groups.update(g.id, { history: "all" });
      assertEquals(await store.groups.floors(g.id), new Map([[a.id, 0], [b.id, 0], [c.id, 0]]));
      assertEquals(await store.groups.floors(id()), new Map());
    },
  );

  test("create() makes the owner the first member; get() and role() read it back", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    const created = await group(store, a.id, [b.id, a.id, b.id], "Team", 7);
    assertEquals(created, {
      id: created.id,
      name: "Team",
      avatarMediaId: null,
      ownerId: a.id,
      memberCount: 2,
      createdAt: 7,
      history: "since_join",
      notice: "",
      joinPolicy: "open",
      muted: false,
    });
    assertEquals(await store.groups.get(created.id), created);
    assertEquals(await store.groups.get("999999"), null);
    assertEquals(await store.groups.members(created.id), [
      { userId: a.id, role: "owner", mutedUntil: null },
      { userId: b.id, role: "member", mutedUntil: null },
    ]);
    assertEquals(await store.groups.role(created.id, b.id), "member");
    assertEquals(await store.groups.role(created.id, "999999"), null);
  });

  test("removeMember() hands ownership on; addMembers() enforces the size", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = await group(store, a.id, [b.id]);
    const error = await assertRejects(() => store.groups.addMembers(g.id, [c.id], 2, 2), AppError);
    assertEquals((error as AppError).code, "forbidden");
    assertEquals(await store.groups.memberIds(g.id), [a.id, b.id], "a refused add changes nothing");
    assertEquals(await store.groups.removeMember(g.id, a.id), { removed: true, newOwner: b.id });
    assertEquals((await store.groups.get(g.id))?.ownerId, b.id);
    assertEquals(await store.groups.role(g.id, b.id), "owner");
    assertEquals(await store.groups.removeMember(g.id, a.id), { removed: false });
    assertEquals(await store.groups.removeMember(g.id, b.id), { removed: true, disbanded: true });
    assertEquals(await store.groups.get(g.id), null, "the last member's leaving disbands it");
  });

  test("addMembers() skips present members and returns those added", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = await group(store, a.id, []);
    assertEquals(await store.groups.addMembers(g.id, [b.id, a.id, c.id, b.id], 10, 2), [
      b.id,
      c.id,
    ]);
    assertEquals(await store.groups.addMembers(g.id, [b.id], 10, 3), []);
    assertEquals((await store.groups.get(g.id))?.memberCount, 3);
  });

  test("memberPairs() answers the asked pairs that are members, and forgets those removed", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = await group(store, a.id, [b.id]);
    const asked = [[g.id, a.id], [g.id, b.id], [g.id, c.id]] as const;
    const members = [`${g.id}:${a.id}`, `${g.id}:${b.id}`].sort();
    assertEquals(await sorted(store.groups.memberPairs(asked)), members);
    assertEquals(await sorted(store.groups.memberPairs(asked)), members, "asked again");
    assertEquals(await store.groups.memberPairs([]), new Set());
    assertEquals(await store.groups.removeMember(g.id, b.id), { removed: true });
    assertEquals(await store.groups.memberPairs(asked), new Set([`${g.id}:${a.id}`]));
    await store.groups.addMembers(g.id, [b.id], 10, 2);
    assertEquals(await store.groups.memberPairs([[g.id, b.id]]), new Set([`${g.id}:${b.id}`]));
  });

  test("of() and idsOf() list a user's groups; update() patches them", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    const first = await group(store, a.id, [b.id], "first");
    const second = await group(store, b.id, [a.id], "second");
    assertEquals((await store.groups.of(a.id)).map((g) => g.id), [first.id, second.id]);
    assertEquals(await sorted(store.groups.idsOf(b.id)), [first.id, second.id].sort());
    const avatarId = "a".repeat(24);
    const updated = await store.groups.update(first.id, {
      name: "renamed",
      avatarMediaId: avatarId,
    });
    assertEquals(updated, { ...first, name: "renamed", avatarMediaId: avatarId });
    assertEquals(await store.groups.update(first.id, { avatarMediaId: null }), {
      ...first,
      name: "renamed",
    });
    const error = await assertRejects(() => store.groups.update("999999", { name: "x" }), AppError);
    assertEquals((error as AppError).code, "not_found");
  });

  test("search() puts the exact name first and treats LIKE wildcards literally", async (store) => {
    const a = await user(store);
    for (const name of ["chess club", "Chess", "c%s"]) await group(store, a.id, [], name);
    const names = async (q: string) => (await store.groups.search(q, 10)).map((g) => g.name);
    assertEquals(await names("chess"), ["Chess", "chess club"]);
    assertEquals(await names("%"), ["c%s"]);
  });

  groupAdministrationSteps(test);
  joinRequestSteps(test);
}
