/**
 * MessageStore contract, version 2 (PROTOCOL.md, Groups): system messages are
 * saved like any message, never count in unread, may be the last message, and
 * a `joined` one moves its member's join seq up to the seq before it.
 */
import { assertEquals } from "../../../tests/assert.ts";
import type { AcceptedMessage, SystemEvent } from "../../types.ts";
import type { Store } from "../mod.ts";
import { type FakeClock, id, user } from "./fixtures.ts";
import { message, sent, type Test } from "./message_fixtures.ts";

/** A system message of group `groupId`, as logic makes it (no client message id). */
function system(
  clock: FakeClock,
  groupId: string,
  by: string,
  event: SystemEvent,
  more: { userId?: string; value?: string } = {},
): AcceptedMessage {
  return sent(clock, `g:${groupId}`, by, groupId, { type: "system", event, by, ...more }, {
    clientMsgId: null,
  });
}

/** A group of `ownerId` and `memberIds`, under since_join. */
async function group(store: Store, ownerId: string, memberIds: string[]) {
  return await store.groups.create(
    { id: id(), name: "System", avatarMediaId: null, ownerId, createdAt: 1 },
    memberIds,
  );
}

/** The user's summary of a conversation. */
async function summary(store: Store, userId: string, conversationId: string) {
  return (await store.messages.conversations(userId)).find((c) => c.id === conversationId);
}

/** Registers the system message steps of the MessageStore suite. */
export function systemSteps(test: Test): void {
  test(
    "a group with only its created message is in every member's list, with nothing unread",
    async (store, clock) => {
      const [a, b] = [await user(store), await user(store)];
      const g = await group(store, a.id, [b.id]);
      const [created] = await store.messages.save([system(clock, g.id, a.id, "created")]);
      assertEquals(created.content, { type: "system", event: "created", by: a.id });
      assertEquals(created.clientMsgId, null);
      for (const member of [a, b]) {
        const row = await summary(store, member.id, `g:${g.id}`);
        assertEquals(row?.lastMessage, created, member.username);
        assertEquals([row?.lastSeq, row?.unread, row?.readSeq], [1, 0, 0]);
      }
    },
  );

  test(
    "a system message takes a seq and may be the last message, but never counts in unread",
    async (store, clock) => {
      const [a, b] = [await user(store), await user(store)];
      const g = await group(store, a.id, [b.id]);
      const conv = `g:${g.id}`;
      await store.messages.save([
        system(clock, g.id, a.id, "created"),
        message(clock, conv, a.id, g.id, "hello"),
      ]);
      const [renamed, role] = await store.messages.save([
        system(clock, g.id, a.id, "renamed", { value: "New name" }),
        system(clock, g.id, a.id, "role", { userId: b.id, value: "admin" }),
      ]);
      assertEquals([renamed.seq, role.seq], [3, 4]);
      const row = await summary(store, b.id, conv);
      assertEquals([row?.lastSeq, row?.unread], [4, 1], "the text only");
      assertEquals(row?.lastMessage, role);
      assertEquals(
        (await store.messages.history(conv, { limit: 10 })).map((m) => m.content.type),
        ["system", "text", "system", "system"],
      );
      assertEquals(await store.messages.byId(role.id), role);
      assertEquals(await store.messages.get(conv, [renamed.id]), [renamed]);
      assertEquals(await store.messages.save([renamed, role]), [renamed, role], "a replay");
      // Read up to the text, b has nothing unread: the system messages after it never count.
      await store.messages.markRead(b.id, conv, 2);
      assertEquals((await summary(store, b.id, conv))?.unread, 0);
    },
  );

  test(
    "a new joined message raises its member's join seq to the seq before it, in the same save",
    async (store, clock) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id]);
      const conv = `g:${g.id}`;
      await store.messages.save([1, 2, 3].map((n) => message(clock, conv, a.id, g.id, `${n}`)));
      await store.groups.addMembers(g.id, [c.id], 10, 2);
      assertEquals(await store.groups.historyFloor(g.id, c.id), 3);
      // Messages appended before the joined line are saved with it: c reads from the line on.
      const joined = system(clock, g.id, a.id, "joined", { userId: c.id });
      const saved = await store.messages.save([
        message(clock, conv, b.id, g.id, "4"),
        message(clock, conv, a.id, g.id, "5"),
        joined,
      ]);
      assertEquals(saved.map((m) => m.seq), [4, 5, 6]);
      assertEquals(await store.groups.historyFloor(g.id, c.id), 5);
      assertEquals(await store.groups.historyFloor(g.id, b.id), 0, "the others keep theirs");
      const row = await summary(store, c.id, conv);
      assertEquals([row?.floor, row?.readSeq, row?.unread], [5, 5, 0]);
      assertEquals(row?.lastMessage?.id, joined.id);
      // c leaves and joins again later: a replay of the old joined line changes nothing.
      await store.groups.removeMember(g.id, c.id);
      await store.messages.save([message(clock, conv, a.id, g.id, "7")]);
      await store.groups.addMembers(g.id, [c.id], 10, 3);
      assertEquals(await store.groups.historyFloor(g.id, c.id), 7);
      await store.messages.save([joined]);
      assertEquals(await store.groups.historyFloor(g.id, c.id), 7);
      // The line of the second joining, with another member's in the same batch.
      const d = await user(store);
      await store.groups.addMembers(g.id, [d.id], 10, 4);
      await store.messages.save([
        message(clock, conv, a.id, g.id, "8"),
        system(clock, g.id, a.id, "joined", { userId: c.id }),
        system(clock, g.id, a.id, "joined", { userId: d.id }),
      ]);
      assertEquals(
        await store.groups.floors(g.id),
        new Map([[a.id, 0], [b.id, 0], [c.id, 8], [d.id, 9]]),
      );
      // Under history `all` every floor is 0, whatever the join seqs.
      await store.groups.update(g.id, { history: "all" });
      assertEquals(await store.groups.historyFloor(g.id, d.id), 0);
    },
  );

  test(
    "other system messages and joined lines of non-members change no join seq",
    async (store, clock) => {
      const [a, b, c] = [await user(store), await user(store), await user(store)];
      const g = await group(store, a.id, [b.id]);
      const conv = `g:${g.id}`;
      await store.messages.save([
        message(clock, conv, a.id, g.id, "1"),
        message(clock, conv, a.id, g.id, "2"),
      ]);
      await store.messages.save([
        system(clock, g.id, a.id, "role", { userId: b.id, value: "admin" }),
        system(clock, g.id, a.id, "joined", { userId: c.id }),
      ]);
      assertEquals(await store.groups.floors(g.id), new Map([[a.id, 0], [b.id, 0]]));
      assertEquals(await store.groups.historyFloor(g.id, c.id), null);
    },
  );
}
