/** The contract suite of MessageStore, run once per implementation. */
import { assertEquals } from "../../../tests/assert.ts";
import { type OpenStore, suite, type SuiteOptions, user } from "./fixtures.ts";
import { message, setting, texts } from "./message_fixtures.ts";
import { readSteps } from "./message_reads.ts";
import { systemSteps } from "./system_messages.ts";
import { updateSteps } from "./message_updates.ts";

/** Runs the MessageStore contract against `store.messages` of stores made by `open`. */
export function testMessageStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);

  test(
    "newestAt() is null on an empty store, then when the newest message was sent",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      assertEquals(await store.messages.newestAt(), null);
      const first = message(clock, conv, a.id, b.id, "1");
      clock.advance(5000);
      const second = message(clock, conv, a.id, b.id, "2");
      await store.messages.save([first, second]);
      assertEquals(await store.messages.newestAt(), second.sentAt);
    },
  );

  test(
    "save() gives contiguous seqs per conversation in batch order and is idempotent",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const batch = [
        message(clock, conv, a.id, b.id, "1"),
        message(clock, gconv, a.id, groupId, "g1"),
        message(clock, conv, b.id, a.id, "2"),
        message(clock, conv, a.id, b.id, "3"),
      ];
      const saved = await store.messages.save(batch);
      assertEquals(saved.map((m) => [m.conversationId, m.seq]), [
        [conv, 1],
        [gconv, 1],
        [conv, 2],
        [conv, 3],
      ]);
      assertEquals(saved[0], { ...batch[0], seq: 1 });
      const again = await store.messages.save([
        ...batch.slice(2),
        message(clock, conv, b.id, a.id, "4"),
      ]);
      assertEquals(again.map((m) => m.seq), [2, 3, 4]);
      assertEquals(await store.messages.save([]), []);
      assertEquals(
        (await store.messages.history(conv, { limit: 10 })).map((m) => m.content),
        texts("1", "2", "3", "4"),
      );
    },
  );

  test("history() pages by seq, ascending, after and before", async (store, clock) => {
    const { a, b, conv } = await setting(store);
    await store.messages.save(
      ["1", "2", "3", "4", "5"].map((text) => message(clock, conv, a.id, b.id, text)),
    );
    const page = async (query: { after?: number; before?: number; limit: number }) =>
      (await store.messages.history(conv, query)).map((m) => m.seq);
    assertEquals(await page({ limit: 2 }), [1, 2]);
    assertEquals(await page({ after: 2, limit: 2 }), [3, 4]);
    assertEquals(await page({ before: 5, limit: 2 }), [3, 4]);
    assertEquals(await page({ after: 1, before: 5, limit: 10 }), [2, 3, 4]);
    assertEquals(await store.messages.history("u:1:2", { limit: 10 }), []);
  });

  test(
    "conversations() counts unread from others; markRead() stays within the last seq and never moves back",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      await store.messages.save([
        message(clock, conv, a.id, b.id, "1"),
        message(clock, gconv, a.id, groupId, "g1"),
        message(clock, conv, b.id, a.id, "2"),
        message(clock, conv, a.id, b.id, "3"),
      ]);
      const rows = await store.messages.conversations(b.id);
      assertEquals(
        rows.map((r) => [r.id, r.type, r.peerId, r.groupId, r.lastSeq, r.unread, r.floor]),
        [[conv, "user", a.id, null, 3, 2, 0], [gconv, "group", null, groupId, 1, 1, 0]],
      );
      assertEquals(rows[0].lastMessage?.content, texts("3")[0]);
      await store.messages.markRead(b.id, conv, 99);
      assertEquals(
        (await store.messages.conversations(b.id))[0].readSeq,
        3,
        "stops at the last seq",
      );
      await store.messages.markRead(b.id, conv, 1);
      const [row] = await store.messages.conversations(b.id);
      assertEquals([row.readSeq, row.unread], [3, 0], "never moves back");
      assertEquals(await store.messages.conversations((await user(store)).id), []);
    },
  );

  test(
    "conversations() reads a group from the member's history floor: readSeq, unread and lastMessage",
    async (store, clock) => {
      const { a, gconv, groupId } = await setting(store);
      await store.messages.save(["1", "2"].map((t) => message(clock, gconv, a.id, groupId, t)));
      const late = await user(store);
      await store.groups.addMembers(groupId, [late.id], 10, 2);
      const view = async () => {
        const row = (await store.messages.conversations(late.id)).find((r) => r.id === gconv);
        return [
          row?.lastSeq,
          row?.readSeq,
          row?.unread,
          row?.lastMessage?.content ?? null,
          row?.floor,
        ];
      };
      assertEquals(await view(), [2, 2, 0, null, 2], "nothing from before the join");
      await store.messages.save([message(clock, gconv, a.id, groupId, "3")]);
      assertEquals(await view(), [3, 2, 1, texts("3")[0], 2]);
      await store.groups.update(groupId, { history: "all" });
      assertEquals(await view(), [3, 0, 3, texts("3")[0], 0], "history all: from the start");
    },
  );

  test(
    "byClientIds() finds the first answer of each key sent since `since`",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const first = message(clock, conv, a.id, b.id, "1");
      clock.advance(1000);
      const retry = {
        ...message(clock, conv, a.id, b.id, "1 again"),
        clientMsgId: first.clientMsgId,
      };
      await store.messages.save([first, retry]);
      const found = await store.messages.byClientIds([
        { senderId: a.id, clientMsgId: first.clientMsgId },
        { senderId: a.id, clientMsgId: "never-sent" },
        { senderId: b.id, clientMsgId: first.clientMsgId },
      ], 0);
      assertEquals(
        found,
        new Map([[`${a.id}:${first.clientMsgId}`, {
          id: first.id,
          clientMsgId: first.clientMsgId,
          conversationId: conv,
        }]]),
      );
      const key = [{ senderId: a.id, clientMsgId: first.clientMsgId }];
      assertEquals(
        (await store.messages.byClientIds(key, first.sentAt + 1)).get(
          `${a.id}:${first.clientMsgId}`,
        )
          ?.id,
        retry.id,
        "the first one since `since`",
      );
      assertEquals((await store.messages.byClientIds(key, clock.now() + 1)).size, 0);
      assertEquals((await store.messages.byClientIds([], 0)).size, 0);
    },
  );

  updateSteps(test);
  readSteps(test);
  systemSteps(test);
}
