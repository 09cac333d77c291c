/** MessageStore contract, version 2: replies, mentions, reads by id and read marks. */
import { assertEquals } from "../../../tests/assert.ts";
import { id, user } from "./fixtures.ts";
import { edit, message, saveOne, sent, setting, type Test, texts } from "./message_fixtures.ts";

/** Registers the steps of replies, mentions, `get()`, `byId()`, `markRead()` and `reads()`. */
export function readSteps(test: Test): void {
  test(
    "replyTo previews the quoted message as it is now, in every read",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const long = "长".repeat(150);
      const quoted = await saveOne(store, message(clock, conv, a.id, b.id, long));
      const image = await saveOne(
        store,
        sent(clock, conv, a.id, b.id, { type: "image", mediaId: "none", url: "/api/media/none" }),
      );
      // Logic's preview is not kept: the store makes it on every read.
      const stale = { id: quoted.id, seq: 1, from: a.id, preview: "stale" };
      const [reply, toImage] = await store.messages.save([
        sent(clock, conv, b.id, a.id, texts("yes")[0], { replyTo: stale }),
        sent(clock, conv, b.id, a.id, texts("nice")[0], {
          replyTo: { id: image.id, seq: 2, from: a.id, preview: "[image]" },
        }),
      ]);
      const preview = (text: string) => ({ id: quoted.id, seq: 1, from: a.id, preview: text });
      assertEquals(reply.replyTo, preview("长".repeat(100)), "the first 100 code points");
      assertEquals(toImage.replyTo, { id: image.id, seq: 2, from: a.id, preview: "[image]" });
      await store.messages.save([edit(clock, quoted, "short now")]);
      const reads = async () => [
        (await store.messages.history(conv, { after: 2, limit: 1 }))[0].replyTo,
        (await store.messages.get(conv, [reply.id]))[0].replyTo,
        (await store.messages.byId(reply.id))?.replyTo,
        (await store.messages.conversations(a.id))[0].lastMessage?.replyTo,
      ];
      await store.messages.save([
        sent(clock, conv, b.id, a.id, texts("ok")[0], { replyTo: stale }),
      ]);
      assertEquals(await reads(), Array(4).fill(preview("short now")));
    },
  );

  test(
    "get() reads messages of one conversation by id; byId() by id alone",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const [one, two] = await store.messages.save([
        message(clock, conv, a.id, b.id, "1"),
        message(clock, conv, b.id, a.id, "2"),
      ]);
      const elsewhere = await saveOne(store, message(clock, gconv, a.id, groupId, "g"));
      const found = await store.messages.get(conv, [two.id, one.id, id(), elsewhere.id, one.id]);
      assertEquals(
        found.sort((x, y) => x.seq - y.seq),
        [one, two],
        "once each, of this conversation",
      );
      assertEquals(await store.messages.get(conv, ["not-an-id", "99999999999999999999"]), []);
      assertEquals(await store.messages.get(conv, []), []);
      assertEquals(await store.messages.byId(elsewhere.id), elsewhere);
      assertEquals(await store.messages.byId(id()), null);
      assertEquals(await store.messages.byId("1 OR 1=1"), null);
    },
  );

  test(
    "mentioned: an unread message of someone else mentions the user or everyone",
    async (store, clock) => {
      const { a, b, gconv, groupId } = await setting(store);
      const c = await user(store);
      await store.groups.addMembers(groupId, [c.id], 10, 1);
      const mentioned = async (userId: string) =>
        (await store.messages.conversations(userId)).find((r) => r.id === gconv)?.mentioned;
      const all = async () => [await mentioned(a.id), await mentioned(b.id), await mentioned(c.id)];
      await store.messages.save([
        sent(clock, gconv, a.id, groupId, { type: "text", text: "b?", mentions: [b.id, a.id] }),
      ]);
      assertEquals(await all(), [false, true, false], "not one's own, not others'");
      assertEquals(await store.messages.markRead(b.id, gconv, 1), 1);
      assertEquals(await mentioned(b.id), false, "read");
      await store.messages.save([
        sent(clock, gconv, a.id, groupId, { type: "text", text: "all!", mentionAll: true }),
      ]);
      assertEquals(await all(), [false, true, true]);
      await store.messages.save([message(clock, gconv, c.id, groupId, "later")]);
      assertEquals(await mentioned(c.id), true, "until read, whatever came after");
      await store.messages.markRead(c.id, gconv, 3);
      assertEquals(await mentioned(c.id), false);
    },
  );

  test(
    "markRead() answers the new mark when it advanced, else null; readMark() one, reads() every mark",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      assertEquals(await store.messages.markRead(b.id, conv, 1), null, "no conversation yet");
      await store.messages.save(["1", "2", "3"].map((t) => message(clock, conv, a.id, b.id, t)));
      assertEquals(await store.messages.reads(conv), []);
      assertEquals(await store.messages.readMark(b.id, conv), 0, "never read");
      assertEquals(await store.messages.markRead(b.id, conv, 0), null, "nothing read");
      assertEquals(await store.messages.markRead(b.id, conv, 2), 2);
      assertEquals(await store.messages.readMark(b.id, conv), 2, "one user's mark");
      assertEquals(await store.messages.readMark(a.id, conv), 0, "not the other's");
      assertEquals(await store.messages.markRead(b.id, conv, 2), null, "the same mark");
      assertEquals(await store.messages.markRead(b.id, conv, 1), null, "never back");
      assertEquals(await store.messages.markRead(b.id, conv, 99), 3, "at most the last seq");
      assertEquals(await store.messages.markRead(b.id, conv, 99), null);
      assertEquals(await store.messages.markRead(a.id, conv, 3), 3, "a mark of its own");
      const expected = [{ userId: a.id, seq: 3 }, { userId: b.id, seq: 3 }];
      const sort = (list: { userId: string }[]) =>
        list.sort((x, y) => x.userId < y.userId ? -1 : 1);
      assertEquals(sort(await store.messages.reads(conv)), sort(expected));
      assertEquals(await store.messages.reads(`u:${id()}:${id()}`), []);
    },
  );

  test(
    "reads() of a group lists its current members' marks, not those who left or were removed",
    async (store, clock) => {
      const { a, b, gconv, groupId } = await setting(store);
      const c = await user(store);
      await store.groups.addMembers(groupId, [c.id], 10, 2);
      await store.messages.save(["1", "2"].map((t) => message(clock, gconv, a.id, groupId, t)));
      for (const reader of [a, b, c]) await store.messages.markRead(reader.id, gconv, 2);
      await store.groups.removeMember(groupId, b.id);
      assertEquals(await store.messages.reads(gconv), [
        { userId: a.id, seq: 2 },
        { userId: c.id, seq: 2 },
      ]);
    },
  );
}
