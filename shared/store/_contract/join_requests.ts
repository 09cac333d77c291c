/**
 * GroupStore contract, version 2 (PROTOCOL.md, Groups): join requests under
 * the `approval` policy, one pending per user and group, decided once.
 */
import { assert, assertEquals } from "../../../tests/assert.ts";
import { id, type Step, user } from "./fixtures.ts";
import { codeOf, group } from "./group_admin.ts";
import { message } from "./message_fixtures.ts";

/** Registers the join request steps of the GroupStore suite. */
export function joinRequestSteps(test: (title: string, step: Step) => void): void {
  test(
    "addRequest() keeps one pending request per user and group; requests() lists them oldest first",
    async (store) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, []);
      const first = { id: id(), groupId: g.id, userId: b.id, createdAt: 5 };
      assertEquals(await store.groups.addRequest(first), first);
      const again = { id: id(), groupId: g.id, userId: b.id, createdAt: 6 };
      assertEquals(await store.groups.addRequest(again), first, "the pending one");
      const asked = [7, 7].map(() => ({ id: id(), groupId: g.id, userId: c.id, createdAt: 7 }));
      const [x, y] = await Promise.all(asked.map((row) => store.groups.addRequest(row)));
      assertEquals(x, y, "two at once make one, either");
      assert(asked.some((row) => row.id === x.id));
      const other = x;
      assertEquals(await store.groups.requests(g.id), [first, other]);
      assertEquals(await store.groups.requests(id()), []);
      await store.accounts.deleteUser(c.id, 8);
      assertEquals(await store.groups.requests(g.id), [first], "a deleted account's are withdrawn");
      assertEquals(
        await codeOf(() => store.groups.addRequest({ ...first, id: id(), groupId: id() })),
        "not_found",
      );
    },
  );

  test(
    "decideRequest() deletes a request, adding its user on accept; of two decisions at once one wins",
    async (store, clock) => {
      const [a, b, c, d, e] = [
        await user(store),
        await user(store),
        await user(store),
        await user(store),
        await user(store),
      ];
      const g = await group(store, a.id, []);
      await store.messages.save([message(clock, `g:${g.id}`, a.id, g.id, "before")]);
      const ask = (userId: string) =>
        store.groups.addRequest({ id: id(), groupId: g.id, userId, createdAt: 1 });
      const [rb, rc, rd] = [await ask(b.id), await ask(c.id), await ask(d.id)];
      assertEquals(await store.groups.decideRequest(g.id, rb.id, true, 10, 3), rb);
      assertEquals(await store.groups.member(g.id, b.id), {
        userId: b.id,
        role: "member",
        mutedUntil: null,
      });
      assertEquals(await store.groups.historyFloor(g.id, b.id), 1, "joins as addMembers does");
      assertEquals(await store.groups.decideRequest(g.id, rb.id, true, 10, 3), null, "decided");
      assertEquals(await store.groups.decideRequest(g.id, rc.id, false, 10, 3), rc);
      assertEquals(await store.groups.member(g.id, c.id), null, "rejected");
      assertEquals(await store.groups.decideRequest(id(), rd.id, true, 10, 3), null, "other group");
      assertEquals(await store.groups.decideRequest(g.id, id(), true, 10, 3), null, "unknown");
      assertEquals(await store.groups.decideRequest(g.id, "x'1", true, 10, 3), null, "not an id");
      assertEquals(await store.groups.requests(g.id), [rd]);

      // A full group refuses, and the request stays.
      assertEquals(
        await codeOf(() => store.groups.decideRequest(g.id, rd.id, true, 2, 4)),
        "forbidden",
      );
      assertEquals(await store.groups.requests(g.id), [rd]);
      assertEquals(await store.groups.member(g.id, d.id), null);

      // Two decisions at once: exactly one gets the request, and d is a member iff it accepted.
      const decisions = await Promise.all([
        store.groups.decideRequest(g.id, rd.id, true, 10, 5),
        store.groups.decideRequest(g.id, rd.id, false, 10, 5),
      ]);
      assertEquals(decisions.filter((r) => r !== null), [rd]);
      assertEquals((await store.groups.member(g.id, d.id)) !== null, decisions[0] !== null);

      // A requester who became a member meanwhile just has the request closed, even when full.
      const re = await ask(e.id);
      await store.groups.addMembers(g.id, [e.id], 10, 6);
      const size = (await store.groups.get(g.id))!.memberCount;
      assertEquals(await store.groups.decideRequest(g.id, re.id, true, size, 7), re);
      assertEquals((await store.groups.get(g.id))?.memberCount, size);
      assertEquals(await store.groups.requests(g.id), []);
    },
  );
}
