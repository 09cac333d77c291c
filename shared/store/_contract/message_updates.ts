/** MessageStore contract, version 2: update entries (edit, recall) as `save()` applies them. */
import { assert, assertEquals } from "../../../tests/assert.ts";
import type { Message } from "../../types.ts";
import type { MediaRow } from "../mod.ts";
import { id } from "./fixtures.ts";
import {
  edit,
  message,
  recall,
  saveOne,
  sent,
  setting,
  type Test,
  texts,
} from "./message_fixtures.ts";

/** The target of an update entry, which every read gives whole. */
function targetOf(entry: Message): Message {
  assert(entry.content.type === "update", `an update entry, not ${entry.content.type}`);
  assert("content" in entry.content.target, "the target's current version, not only {id, seq}");
  return entry.content.target;
}

/** A media row of `ownerId` with these bytes' sha256 stand-in. */
function media(ownerId: string, sha256: string, more: Partial<MediaRow> = {}): MediaRow {
  return {
    id: `media${id()}`,
    sha256,
    contentType: "image/png",
    size: 1,
    width: 1,
    height: 1,
    ownerId,
    createdAt: 1,
    ...more,
  };
}

/** Registers the update entry steps of the MessageStore suite. */
export function updateSteps(test: Test): void {
  test(
    "save() applies a new edit: the text changes, mentions stay, editedAt is the entry's time",
    async (store, clock) => {
      const { a, b, gconv, groupId } = await setting(store);
      const original = await saveOne(
        store,
        sent(clock, gconv, a.id, groupId, { type: "text", text: "hi", mentions: [b.id] }),
      );
      const change = edit(clock, original, "hello");
      const [entry] = await store.messages.save([change]);
      assertEquals([entry.seq, entry.clientMsgId, entry.from], [2, null, a.id]);
      const expected = {
        ...original,
        content: { type: "text" as const, text: "hello", mentions: [b.id] },
        editedAt: change.sentAt,
      };
      assertEquals(targetOf(entry), expected, "the answer's target is the edited message");
      const [stored, storedEntry] = await store.messages.history(gconv, { limit: 10 });
      assertEquals(stored, expected);
      assertEquals(storedEntry, entry);
      assertEquals((await store.messages.conversations(b.id))[0].mentioned, true, "mentions kept");
    },
  );

  test(
    "an update entry's target is always the current version, never the one it carried",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const original = await saveOne(store, message(clock, conv, a.id, b.id, "one"));
      // A message and its edit in one batch: the edit applies after the message.
      const first = edit(clock, original, "two");
      const reply = sent(clock, conv, b.id, a.id, texts("re")[0], {
        replyTo: { id: original.id, seq: 1, from: a.id, preview: "one" },
      });
      await store.messages.save([first, reply]);
      const second = edit(clock, original, "three");
      await store.messages.save([second]);
      const [, firstEntry, replied, secondEntry] = await store.messages.history(conv, {
        limit: 10,
      });
      assertEquals(targetOf(firstEntry).content, texts("three")[0]);
      assertEquals(targetOf(firstEntry).editedAt, second.sentAt);
      assertEquals(targetOf(secondEntry), targetOf(firstEntry));
      assertEquals(replied.replyTo?.preview, "three");
      const edited = await store.messages.save([edit(clock, replied, "re, edited")]);
      assertEquals(
        targetOf(edited[0]).replyTo,
        { id: original.id, seq: 1, from: a.id, preview: "three" },
        "a target's own reply is resolved too",
      );
    },
  );

  test(
    "save() of update entries again applies nothing twice and keeps their seqs",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const original = await saveOne(store, message(clock, conv, a.id, b.id, "one"));
      const first = edit(clock, original, "two");
      const second = edit(clock, original, "three");
      await store.messages.save([first]);
      await store.messages.save([second]);
      // The first edit again would bring its text back.
      assertEquals((await store.messages.save([first])).map((m) => m.seq), [2]);
      const replayed = await store.messages.save([second, first]);
      assertEquals(replayed.map((m) => m.seq), [3, 2]);
      const [stored] = await store.messages.get(conv, [original.id]);
      assertEquals([stored.content, stored.editedAt], [texts("three")[0], second.sentAt]);
      const [row] = await store.messages.conversations(b.id);
      assertEquals(row.lastSeq, 3, "a replay adds no seq");
    },
  );

  test(
    "an edit sent before the target's last edit changes nothing: the later editedAt wins",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const original = await saveOne(store, message(clock, conv, a.id, b.id, "one"));
      // Two logic instances: the later edit reaches the store first.
      const earlier = edit(clock, original, "earlier");
      const later = edit(clock, original, "later");
      await store.messages.save([later]);
      const [entry] = await store.messages.save([earlier]);
      const current = { ...original, content: texts("later")[0], editedAt: later.sentAt };
      assertEquals([entry.seq, targetOf(entry)], [3, current], "stored, not applied");
      assertEquals(await store.messages.byId(original.id), current);
      // As new as the last edit (one millisecond): the entry stored last wins.
      const twin = { ...edit(clock, original, "twin"), sentAt: later.sentAt };
      await store.messages.save([twin]);
      assertEquals((await store.messages.byId(original.id))?.content, texts("twin")[0]);
    },
  );

  test(
    "an edit of a recalled message changes nothing, and is stored as an entry all the same",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const original = await saveOne(store, message(clock, conv, a.id, b.id, "secret"));
      // Both in one batch: the recall is applied first, then the edit finds it recalled.
      const [gone, late] = await store.messages.save([
        recall(clock, original),
        edit(clock, original, "changed"),
      ]);
      const recalled = { ...original, content: { type: "recalled" as const, recalledBy: a.id } };
      assertEquals(targetOf(gone), recalled);
      assertEquals([late.seq, targetOf(late)], [3, recalled]);
      assertEquals(await store.messages.byId(original.id), recalled, "no editedAt, no text");
    },
  );

  test(
    "a recall by another keeps recalledBy, drops the mentions and quotes show [recalled]",
    async (store, clock) => {
      const { a, b, gconv, groupId } = await setting(store);
      const original = await saveOne(
        store,
        sent(clock, gconv, b.id, groupId, { type: "text", text: "@all", mentionAll: true }),
      );
      const reply = await saveOne(
        store,
        sent(clock, gconv, a.id, groupId, texts("what?")[0], {
          replyTo: { id: original.id, seq: 1, from: b.id, preview: "@all" },
        }),
      );
      assertEquals((await store.messages.conversations(a.id))[0].mentioned, true);
      await store.messages.save([recall(clock, original, a.id)]);
      assertEquals((await store.messages.byId(original.id))?.content, {
        type: "recalled",
        recalledBy: a.id,
      });
      assertEquals((await store.messages.get(gconv, [reply.id]))[0].replyTo?.preview, "[recalled]");
      assertEquals((await store.messages.conversations(a.id))[0].mentioned, false, "no mention");
    },
  );

  test(
    "a recall deletes the media of an image or file its sender uploaded, and bytes no other media shares",
    async (store, clock) => {
      const { a, b, conv } = await setting(store);
      const [own, shared] = [`sha-own-${id()}`, `sha-shared-${id()}`];
      const image = media(a.id, own);
      const file = media(a.id, shared, { contentType: "application/pdf", name: "a.pdf" });
      const twin = media(b.id, shared);
      await store.media.put(image, new Uint8Array([1]));
      await store.media.put(file, new Uint8Array([2]));
      await store.media.put(twin, new Uint8Array([2]));
      const url = (m: MediaRow) => `/api/media/${m.id}`;
      const [shot, doc] = await store.messages.save([
        sent(clock, conv, a.id, b.id, { type: "image", mediaId: image.id, url: url(image) }),
        sent(clock, conv, a.id, b.id, {
          type: "file",
          mediaId: file.id,
          name: "a.pdf",
          url: url(file),
          size: 1,
          contentType: "application/pdf",
        }),
      ]);
      await store.messages.save([recall(clock, shot), recall(clock, doc)]);
      assertEquals([await store.media.info(image.id), await store.media.info(file.id)], [
        null,
        null,
      ]);
      assertEquals((await store.media.withBytes(twin.id))?.bytes, new Uint8Array([2]), "shared");
      // Bytes are stored once per sha256: new bytes under the old one show the old ones were deleted.
      const again = media(a.id, own);
      await store.media.put(again, new Uint8Array([9]));
      assertEquals((await store.media.withBytes(again.id))?.bytes, new Uint8Array([9]));
      // Media someone else uploaded (an avatar, say) stays: a recall deletes only the sender's own.
      const theirs = media(b.id, `sha-theirs-${id()}`);
      await store.media.put(theirs, new Uint8Array([3]));
      const borrowed = await saveOne(
        store,
        sent(clock, conv, a.id, b.id, { type: "image", mediaId: theirs.id, url: url(theirs) }),
      );
      await store.messages.save([recall(clock, borrowed)]);
      assertEquals((await store.media.withBytes(theirs.id))?.bytes, new Uint8Array([3]));
      const page = await store.messages.history(conv, { limit: 10 });
      assertEquals(
        page.slice(0, 2).map((m) => m.content),
        [{ type: "recalled", recalledBy: a.id }, { type: "recalled", recalledBy: a.id }],
      );
    },
  );

  test(
    "update entries count in lastSeq, never in unread, lastMessage or the activity order",
    async (store, clock) => {
      const { a, b, conv, gconv, groupId } = await setting(store);
      const original = await saveOne(store, message(clock, conv, a.id, b.id, "one"));
      await store.messages.save([message(clock, gconv, a.id, groupId, "newer")]);
      const change = edit(clock, original, "one, edited");
      await store.messages.save([change, recall(clock, original, b.id)]);
      await store.messages.save([edit(clock, original, "after recall")]);
      const rows = await store.messages.conversations(b.id);
      assertEquals(rows.map((r) => [r.id, r.lastSeq, r.unread]), [[gconv, 1, 1], [conv, 4, 1]]);
      assertEquals(rows[1].lastMessage, {
        ...original,
        content: { type: "recalled", recalledBy: b.id },
        editedAt: change.sentAt,
      });
      assertEquals(await store.messages.markRead(b.id, conv, 4), 4, "a mark may cover them");
      assertEquals((await store.messages.conversations(b.id))[1].unread, 0);
    },
  );
}
