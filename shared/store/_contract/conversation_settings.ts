/**
 * MessageStore contract, version 2 (PROTOCOL.md, Conversations): a user's
 * settings of a conversation (pinned, muted, hidden), how `conversations()`
 * lists them, and `conversation()`, one summary hidden or not.
 */
import { assertEquals } from "../../../tests/assert.ts";
import type { ConversationRow, Store } from "../mod.ts";
import { type OpenStore, suite, type SuiteOptions, user } from "./fixtures.ts";
import { edit, message, saveOne, sent, setting } from "./message_fixtures.ts";

/** The settings of a row, to compare in one line. */
const settings = (row: ConversationRow | undefined) =>
  row && { pinned: row.pinned, muted: row.muted, hidden: row.hidden };

/** The ids of a user's listed conversations, in order. */
async function listed(store: Store, userId: string): Promise<string[]> {
  return (await store.messages.conversations(userId)).map((row) => row.id);
}

/** Runs the conversation settings contract against `store.messages` of stores made by `open`. */
export function testConversationSettings(
  name: string,
  open: OpenStore,
  options: SuiteOptions = {},
): void {
  const test = suite(name, open, options);

  test(
    "updateSettings() changes only the fields given, per user; conversation() and conversations() carry them",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      await store.messages.save([message(clock, conv, a.id, b.id, "hi")]);
      const off = { pinned: false, muted: false, hidden: false };
      assertEquals(settings((await store.messages.conversations(a.id))[0]), off, "never set");
      await store.messages.updateSettings(a.id, conv, { pinned: true });
      await store.messages.updateSettings(a.id, conv, { muted: true });
      const both = { pinned: true, muted: true, hidden: false };
      assertEquals(settings(await store.messages.conversation(a.id, conv)), both);
      assertEquals(settings((await store.messages.conversations(a.id))[0]), both);
      assertEquals(settings((await store.messages.conversations(b.id))[0]), off, "a's own");
      await store.messages.updateSettings(a.id, conv, { pinned: false });
      assertEquals(settings(await store.messages.conversation(a.id, conv)), {
        ...both,
        pinned: false,
      });
      await store.messages.updateSettings(a.id, conv, { pinned: true, muted: false });
      await store.messages.updateSettings(a.id, conv, {});
      assertEquals(settings(await store.messages.conversation(a.id, conv)), {
        ...off,
        pinned: true,
      });
    },
  );

  test(
    "conversations() lists pinned conversations first, each part newest activity first",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const c = await user(store);
      const third = `u:${a.id}:${c.id}`;
      await store.messages.save([
        message(clock, conv, a.id, b.id, "1"),
        message(clock, gconv, a.id, groupId, "2"),
        message(clock, third, c.id, a.id, "3"),
      ]);
      assertEquals(await listed(store, a.id), [third, gconv, conv]);
      await store.messages.updateSettings(a.id, conv, { pinned: true });
      await store.messages.updateSettings(a.id, gconv, { pinned: true });
      assertEquals(await listed(store, a.id), [gconv, conv, third]);
      await store.messages.save([message(clock, conv, b.id, a.id, "4")]);
      assertEquals(await listed(store, a.id), [conv, gconv, third], "activity among the pinned");
      assertEquals(await listed(store, b.id), [conv, gconv], "b pinned nothing");
      await store.messages.updateSettings(a.id, conv, { pinned: false });
      assertEquals(await listed(store, a.id), [gconv, conv, third]);
    },
  );

  test(
    "a hidden conversation leaves the list until a user's message; update entries and system messages do not bring it back",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const first = await saveOne(store, message(clock, conv, a.id, b.id, "first"));
      await store.messages.save([message(clock, gconv, b.id, groupId, "group")]);
      await store.messages.updateSettings(a.id, conv, { hidden: true, pinned: true });
      assertEquals(await listed(store, a.id), [gconv]);
      assertEquals(await listed(store, b.id), [gconv, conv], "hidden for a only");
      const hidden = await store.messages.conversation(a.id, conv);
      assertEquals([hidden.hidden, hidden.pinned, hidden.lastMessage?.id], [true, true, first.id]);

      await store.messages.save([edit(clock, first, "edited")]);
      assertEquals(await listed(store, a.id), [gconv], "an edit is no message");
      await store.messages.updateSettings(a.id, gconv, { hidden: true });
      await store.messages.save([
        sent(clock, gconv, a.id, groupId, { type: "system", event: "renamed", by: a.id }, {
          clientMsgId: null,
        }),
      ]);
      assertEquals(await listed(store, a.id), [], "a system message is no user's message");
      assertEquals((await store.messages.conversation(a.id, gconv)).hidden, true);

      await store.messages.save([message(clock, conv, b.id, a.id, "back")]);
      assertEquals(await listed(store, a.id), [conv], "pinned still");
      assertEquals((await store.messages.conversation(a.id, conv)).hidden, false);
      // A message after the system one counts, whatever came between.
      await store.messages.save([message(clock, gconv, b.id, groupId, "also back")]);
      assertEquals(await listed(store, a.id), [conv, gconv]);

      await store.messages.updateSettings(a.id, conv, { hidden: true });
      assertEquals(await listed(store, a.id), [gconv], "hidden again, from the last seq now");
      await store.messages.updateSettings(a.id, conv, { hidden: false });
      assertEquals(await listed(store, a.id), [conv, gconv], "shown again");
      assertEquals((await store.messages.conversation(a.id, conv)).hidden, false);
    },
  );

  test(
    "conversation() gives the row conversations() lists, and one without messages from its id",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const empty = (id: string, more: Partial<ConversationRow>): ConversationRow => ({
        id,
        type: id.startsWith("g:") ? "group" : "user",
        peerId: null,
        groupId: null,
        lastSeq: 0,
        readSeq: 0,
        unread: 0,
        lastMessage: null,
        mentioned: false,
        floor: 0,
        pinned: false,
        muted: false,
        hidden: false,
        ...more,
      });
      assertEquals(
        await store.messages.conversation(a.id, conv),
        empty(conv, { peerId: b.id }),
      );
      assertEquals(
        await store.messages.conversation(b.id, conv),
        empty(conv, { peerId: a.id }),
      );
      assertEquals(await store.messages.conversation(a.id, gconv), empty(gconv, { groupId }));
      await store.messages.updateSettings(b.id, conv, { hidden: true, muted: true });
      assertEquals(
        await store.messages.conversation(b.id, conv),
        empty(conv, { peerId: a.id, muted: true, hidden: true }),
      );

      await store.messages.save([message(clock, conv, a.id, b.id, "first")]);
      assertEquals(await listed(store, b.id), [conv], "the first message shows it");
      const c = await user(store);
      await store.messages.save([message(clock, gconv, a.id, groupId, "before c")]);
      await store.groups.addMembers(groupId, [c.id], 10, 1);
      await store.messages.save([message(clock, gconv, a.id, groupId, "after c")]);
      for (const reader of [a, b, c]) {
        for (const row of await store.messages.conversations(reader.id)) {
          assertEquals(await store.messages.conversation(reader.id, row.id), row);
        }
      }
      const late = await store.messages.conversation(c.id, gconv);
      assertEquals([late.floor, late.readSeq, late.unread, late.lastSeq], [1, 1, 1, 2]);
    },
  );

  test(
    "a deleted account's settings go with it, and a disbanded group's go with the group",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      await store.messages.save([message(clock, conv, a.id, b.id, "hi")]);
      for (const id of [conv, gconv]) {
        await store.messages.updateSettings(a.id, id, { pinned: true, muted: true });
        await store.messages.updateSettings(b.id, id, { muted: true });
      }
      await store.groups.disband(groupId);
      const off = { pinned: false, muted: false, hidden: false };
      assertEquals(settings(await store.messages.conversation(b.id, gconv)), off);
      assertEquals(settings(await store.messages.conversation(b.id, conv)), {
        ...off,
        muted: true,
      });
      await store.accounts.deleteUser(a.id, clock.now());
      assertEquals(settings(await store.messages.conversation(a.id, conv)), off);
      assertEquals(settings(await store.messages.conversation(b.id, conv)), {
        ...off,
        muted: true,
      });
    },
  );
}
