/**
 * GroupStore contract, version 2 (PROTOCOL.md, Groups): notice, join policy
 * and mute, roles and member mutes, sender states, owner handoff, transfer and
 * disband, with the races the database settles; join requests are in
 * join_requests.ts.
 */
import { assert, assertEquals, assertRejects } from "../../../tests/assert.ts";
import { AppError } from "../../errors.ts";
import type { Store } from "../mod.ts";
import { id, type Step, user } from "./fixtures.ts";
import { message, sent } from "./message_fixtures.ts";

/** A group of `ownerId` with `memberIds`, all joining at `createdAt`. */
export function group(
  store: Store,
  ownerId: string,
  memberIds: string[],
  name = "g",
  createdAt = 1,
) {
  return store.groups.create(
    { id: id(), name, avatarMediaId: null, ownerId, createdAt },
    memberIds,
  );
}

/** The code of the AppError a call rejects with. */
export async function codeOf(call: () => Promise<unknown>): Promise<string> {
  return ((await assertRejects(call, AppError)) as AppError).code;
}

/** Registers the version 2 steps of the GroupStore suite. */
export function groupAdministrationSteps(test: (title: string, step: Step) => void): void {
  test(
    "create() takes a join policy; update() patches notice, joinPolicy and muted; every read carries them",
    async (store) => {
      const a = await user(store);
      const name = `Notice board ${id()}`;
      const g = await store.groups.create(
        {
          id: id(),
          name,
          avatarMediaId: null,
          ownerId: a.id,
          createdAt: 1,
          joinPolicy: "approval",
        },
        [],
      );
      assertEquals([g.notice, g.joinPolicy, g.muted], ["", "approval", false]);
      const updated = await store.groups.update(g.id, {
        notice: "Read me\nfirst 📌",
        joinPolicy: "invite",
        muted: true,
      });
      const expected = { ...g, notice: "Read me\nfirst 📌", joinPolicy: "invite", muted: true };
      assertEquals(updated, expected);
      assertEquals(await store.groups.get(g.id), expected);
      assertEquals((await store.groups.of(a.id)).find((x) => x.id === g.id), expected);
      assertEquals(await store.groups.search(name, 1), [expected]);
      assertEquals(await store.groups.update(g.id, { name: "renamed" }), {
        ...expected,
        name: "renamed",
      }, "the other fields are kept");
      assertEquals(
        await store.groups.update(g.id, { muted: false, notice: "" }),
        { ...expected, name: "renamed", muted: false, notice: "" },
      );
      const open = await group(store, a.id, []);
      assertEquals(open.joinPolicy, "open", "open unless said");
    },
  );

  test(
    "setRole() and setMutedUntil() change a member; member() and members() read roles and mutes",
    async (store) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id]);
      assertEquals(await store.groups.setRole(g.id, b.id, "admin"), true);
      assertEquals(await store.groups.member(g.id, b.id), {
        userId: b.id,
        role: "admin",
        mutedUntil: null,
      });
      assertEquals(await store.groups.setRole(g.id, a.id, "member"), false, "the owner");
      assertEquals(await store.groups.setRole(g.id, c.id, "admin"), false, "a non-member");
      assertEquals(await store.groups.role(g.id, a.id), "owner");
      assertEquals(await store.groups.member(g.id, c.id), null);
      assertEquals(await store.groups.setMutedUntil(g.id, b.id, 5_000), true);
      assertEquals(await store.groups.setMutedUntil(g.id, c.id, 5_000), false, "a non-member");
      assertEquals(await store.groups.members(g.id), [
        { userId: a.id, role: "owner", mutedUntil: null },
        { userId: b.id, role: "admin", mutedUntil: 5_000 },
      ]);
      assertEquals(await store.groups.setRole(g.id, b.id, "member"), true);
      assertEquals(await store.groups.setMutedUntil(g.id, b.id, null), true);
      assertEquals(await store.groups.member(g.id, b.id), {
        userId: b.id,
        role: "member",
        mutedUntil: null,
      });
    },
  );

  test(
    "senders() answers members with their role, mute and the group's mute, and follows each change",
    async (store) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id, c.id]);
      const other = await group(store, c.id, []);
      const state = (role: string, mutedUntil: number | null = null, groupMuted = false) => ({
        role,
        mutedUntil,
        groupMuted,
      });
      const of = async (...pairs: [string, string][]) =>
        Object.fromEntries(await store.groups.senders(pairs));
      assertEquals(await store.groups.senders([]), new Map());
      // A cross pair (other group, b) and a non-member are absent.
      assertEquals(await of([g.id, a.id], [g.id, b.id], [other.id, b.id], [id(), a.id]), {
        [`${g.id}:${a.id}`]: state("owner"),
        [`${g.id}:${b.id}`]: state("member"),
      });
      // Each change shows at the next lookup (a cached state is forgotten).
      await store.groups.setMutedUntil(g.id, b.id, 9_000);
      assertEquals(await of([g.id, b.id]), { [`${g.id}:${b.id}`]: state("member", 9_000) });
      await store.groups.setRole(g.id, b.id, "admin");
      assertEquals(await of([g.id, b.id]), { [`${g.id}:${b.id}`]: state("admin", 9_000) });
      await store.groups.update(g.id, { muted: true });
      assertEquals(await of([g.id, a.id], [g.id, b.id], [other.id, c.id]), {
        [`${g.id}:${a.id}`]: state("owner", null, true),
        [`${g.id}:${b.id}`]: state("admin", 9_000, true),
        [`${other.id}:${c.id}`]: state("owner"),
      });
      await store.groups.transfer(g.id, a.id, c.id);
      assertEquals(await of([g.id, a.id], [g.id, c.id]), {
        [`${g.id}:${a.id}`]: state("admin", null, true),
        [`${g.id}:${c.id}`]: state("owner", null, true),
      });
      // The owner leaves: the state of the heir (a, the longest-standing admin) changes too.
      assertEquals(await store.groups.removeMember(g.id, c.id), { removed: true, newOwner: a.id });
      assertEquals(await of([g.id, a.id], [g.id, c.id]), {
        [`${g.id}:${a.id}`]: state("owner", null, true),
      });
      await store.groups.disband(g.id);
      assertEquals(await of([g.id, a.id], [g.id, b.id]), {});
    },
  );

  test(
    "an owner leaving hands ownership to the longest-standing admin, else member; the last disbands",
    async (store) => {
      const [a, b, c, d, e] = [
        await user(store),
        await user(store),
        await user(store),
        await user(store),
        await user(store),
      ];
      const g = await group(store, a.id, [b.id], "Handoff", 1);
      for (const [member, at] of [[c, 2], [d, 3], [e, 4]] as const) {
        await store.groups.addMembers(g.id, [member.id], 10, at);
      }
      await store.groups.setRole(g.id, e.id, "admin");
      await store.groups.setRole(g.id, d.id, "admin");
      const owner = async () => (await store.groups.get(g.id))?.ownerId;
      assertEquals(await store.groups.removeMember(g.id, a.id), { removed: true, newOwner: d.id });
      assertEquals([await owner(), await store.groups.role(g.id, d.id)], [d.id, "owner"]);
      assertEquals(await store.groups.role(g.id, e.id), "admin");
      assertEquals(await store.groups.removeMember(g.id, d.id), { removed: true, newOwner: e.id });
      assertEquals(await store.groups.removeMember(g.id, e.id), { removed: true, newOwner: b.id });
      assertEquals([await owner(), await store.groups.role(g.id, b.id)], [b.id, "owner"]);
      assertEquals(await store.groups.removeMember(g.id, c.id), { removed: true }, "not the owner");
      assertEquals(await owner(), b.id);
      assertEquals(await store.groups.removeMember(g.id, b.id), { removed: true, disbanded: true });
      assertEquals(await store.groups.get(g.id), null);
      assertEquals(await store.groups.idsOf(b.id), []);
      assertEquals(await store.groups.removeMember(g.id, b.id), { removed: false });
    },
  );

  test("of two removals at once, one removes; owner and last member leaving at once disband", async (store) => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = await group(store, a.id, [b.id, c.id]);
    const twice = await Promise.all([
      store.groups.removeMember(g.id, b.id),
      store.groups.removeMember(g.id, b.id),
    ]);
    assertEquals(twice.map((r) => r.removed).sort(), [false, true]);
    assertEquals(await store.groups.memberIds(g.id), [a.id, c.id]);
    const both = await Promise.all([
      store.groups.removeMember(g.id, a.id),
      store.groups.removeMember(g.id, c.id),
    ]);
    assert(both.every((r) => r.removed));
    assertEquals(both.filter((r) => r.disbanded).length, 1, "the second to leave disbands");
    assertEquals(await store.groups.get(g.id), null);
  });

  test("transfer() makes a member the owner and the owner an admin, in one step", async (store) => {
    const [a, b, c, d] = [
      await user(store),
      await user(store),
      await user(store),
      await user(store),
    ];
    const g = await group(store, a.id, [b.id, c.id]);
    assertEquals(await store.groups.transfer(g.id, b.id, c.id), false, "not the owner");
    assertEquals(await store.groups.transfer(g.id, a.id, d.id), false, "to a non-member");
    assertEquals(await store.groups.transfer(g.id, a.id, a.id), false, "to oneself");
    assertEquals(await store.groups.transfer(id(), a.id, b.id), false, "an unknown group");
    assertEquals(await store.groups.members(g.id), [
      { userId: a.id, role: "owner", mutedUntil: null },
      { userId: b.id, role: "member", mutedUntil: null },
      { userId: c.id, role: "member", mutedUntil: null },
    ], "nothing changed");
    assertEquals(await store.groups.transfer(g.id, a.id, b.id), true);
    assertEquals((await store.groups.get(g.id))?.ownerId, b.id);
    assertEquals(await store.groups.members(g.id), [
      { userId: a.id, role: "admin", mutedUntil: null },
      { userId: b.id, role: "owner", mutedUntil: null },
      { userId: c.id, role: "member", mutedUntil: null },
    ]);
    // Two transfers at once by the owner: one is made, the other finds b no longer the owner.
    const results = await Promise.all([
      store.groups.transfer(g.id, b.id, a.id),
      store.groups.transfer(g.id, b.id, c.id),
    ]);
    assertEquals(results.filter(Boolean).length, 1);
    const owners = (await store.groups.members(g.id)).filter((m) => m.role === "owner");
    assertEquals(owners.length, 1);
    assertEquals((await store.groups.get(g.id))?.ownerId, owners[0].userId);
  });

  test(
    "disband() deletes the group with its members, requests, messages, their media and read marks",
    async (store, clock) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id]);
      const kept = await group(store, a.id, [b.id]);
      const conv = `g:${g.id}`;
      const upload = {
        id: `media${id()}`,
        sha256: `sha-${id()}`,
        contentType: "image/png",
        size: 1,
        width: 1,
        height: 1,
        ownerId: a.id,
        createdAt: 1,
      };
      await store.media.put(upload, new Uint8Array([3]));
      const own = `own${id()}`;
      await store.messages.save([
        sent(clock, conv, a.id, g.id, { type: "text", text: "hi @b", mentions: [b.id] }),
        sent(clock, conv, a.id, g.id, { type: "image", mediaId: own, url: `/api/media/${own}` }, {
          mediaSource: upload.id,
        }),
        message(clock, `g:${kept.id}`, a.id, kept.id, "stays"),
      ]);
      assertEquals((await store.media.info(own))?.ownerId, a.id);
      await store.messages.markRead(b.id, conv, 1);
      await store.groups.addRequest({ id: id(), groupId: g.id, userId: c.id, createdAt: 2 });

      assertEquals(await store.groups.disband(g.id), [a.id, b.id]);
      assertEquals(await store.groups.get(g.id), null);
      assertEquals(await store.groups.members(g.id), []);
      assertEquals(await store.groups.requests(g.id), []);
      assertEquals(await store.groups.idsOf(b.id), [kept.id]);
      assertEquals(await store.messages.history(conv, { limit: 10 }), []);
      assertEquals(await store.messages.readMark(b.id, conv), 0);
      assertEquals(await store.messages.reads(conv), []);
      assertEquals(await store.media.info(own), null, "the image's own media");
      assertEquals((await store.media.withBytes(upload.id))?.bytes, new Uint8Array([3]));
      for (const member of [a, b]) {
        assertEquals((await store.messages.conversations(member.id)).map((x) => x.id), [
          `g:${kept.id}`,
        ]);
      }
      assertEquals(await store.groups.disband(g.id), [], "disbanded already");
      assertEquals(await codeOf(() => store.groups.addMembers(g.id, [c.id], 10, 3)), "not_found");
      assertEquals(await store.groups.removeMember(g.id, a.id), { removed: false });
      assertEquals(await store.groups.disband(id()), [], "never was");
      assertEquals((await store.groups.get(kept.id))?.memberCount, 2);
    },
  );

  test(
    "a disband and a save of a joined line into its conversation at once both succeed (task keeps saving what the log had)",
    async (store, clock) => {
      const [a, b] = [await user(store), await user(store)];
      for (let i = 0; i < 10; i++) {
        const g = await group(store, a.id, [b.id]);
        const joined = sent(clock, `g:${g.id}`, a.id, g.id, {
          type: "system",
          event: "joined",
          userId: b.id,
          by: a.id,
        }, { clientMsgId: null });
        const [members, saved] = await Promise.all([
          store.groups.disband(g.id),
          store.messages.save([message(clock, `g:${g.id}`, a.id, g.id, "hi"), joined]),
        ]);
        assertEquals([members, saved.length], [[a.id, b.id], 2]);
      }
    },
  );
}
