/** What a reader under since_join sees of replies and updates from before they joined: history and summaries. */
import { assertEquals } from "../tests/assert.ts";
import type { Message } from "../shared/types.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { world } from "./_test_world.ts";

const test = stepsOnOneStore("conversations for a reader");
const page = { after: null, before: null, limit: null };

test("history() and conversations(): a newcomer sees replies to and edits of earlier messages as id and seq", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b, late] = [await t.user(), await t.user(), await t.user()];
  const group = await t.group(a, [b]);
  const early = await t.say(a, { group }, "before late joined");
  await t.join(group, [late]);
  const reply = await t.say(b, { group }, { type: "text", text: "re", replyTo: early.id });
  await t.logic.editMessage(a, early.id, { content: { type: "text", text: "edited" } });

  const seen = (messages: Message[]) =>
    messages.map((m) =>
      m.content.type === "update"
        ? { update: m.content.target }
        : { text: m.content.type === "text" && m.content.text, replyTo: m.replyTo }
    );
  const full = await t.logic.history(b, early.conversationId, page);
  assertEquals(seen(full).slice(1), [
    {
      text: "re",
      replyTo: { id: early.id, seq: early.seq, from: a, preview: "edited" },
    },
    { update: { ...early, content: { type: "text", text: "edited" }, editedAt: t.clock.now } },
  ]);
  const restricted = await t.logic.history(late, early.conversationId, page);
  assertEquals(seen(restricted), [
    { text: "re", replyTo: { id: early.id, seq: early.seq, from: a, preview: null } },
    { update: { id: early.id, seq: early.seq } },
  ]);

  const summary = async (userId: string) =>
    (await t.logic.conversations(userId)).find((c) => c.id === early.conversationId)!;
  assertEquals((await summary(late)).lastMessage?.id, reply.id, "an update is never the last");
  assertEquals((await summary(late)).lastMessage?.replyTo?.preview, null);
  assertEquals((await summary(b)).lastMessage?.replyTo?.preview, "edited");
  // The summary's floor is the reader's own: under history all the newcomer reads it all.
  await t.store.groups.update(group, { history: "all" });
  assertEquals((await summary(late)).lastMessage?.replyTo?.preview, "edited");
  assertEquals((await summary(b)).lastMessage?.replyTo?.preview, "edited");
});

test("history(): with history all, a newcomer reads everything", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, late] = [await t.user(), await t.user()];
  const group = await t.group(a, [], { history: "all" });
  const early = await t.say(a, { group }, "old");
  await t.join(group, [late]);
  await t.say(a, { group }, { type: "text", text: "re", replyTo: early.id });
  const messages = await t.logic.history(late, early.conversationId, page);
  assertEquals(messages.map((m) => m.replyTo?.preview ?? null), [null, "old"]);
});

test("conversations(): mentioned while an unread message mentions the caller", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, b, c] = [await t.user(), await t.user(), await t.user()];
  const group = await t.group(a, [b, c]);
  const message = await t.say(a, { group }, { type: "text", text: "@b", mentions: [b] });
  const mentioned = async (userId: string) =>
    (await t.logic.conversations(userId)).find((s) => s.id === message.conversationId)?.mentioned;
  assertEquals(await mentioned(b), true);
  assertEquals(await mentioned(c), false);
  await t.logic.read(b, { conversationId: message.conversationId, seq: message.seq });
  assertEquals(await mentioned(b), false);
});

test("history(): the edit of a reply to an earlier message hides that message's preview from a newcomer", async (store) => {
  const t = world(store);
  await using _ = t;
  const [a, late] = [await t.user(), await t.user()];
  const group = await t.group(a, []);
  const early = await t.say(a, { group }, "before late joined");
  await t.join(group, [late]);
  const reply = await t.say(a, { group }, { type: "text", text: "re", replyTo: early.id });
  await t.logic.editMessage(a, reply.id, { content: { type: "text", text: "re, edited" } });
  const [shown, update] = await t.logic.history(late, early.conversationId, page);
  assertEquals(shown.replyTo?.preview, null);
  const target = update.content.type === "update" ? update.content.target : undefined;
  assertEquals(target && "replyTo" in target ? target.replyTo : "no target", {
    id: early.id,
    seq: early.seq,
    from: a,
    preview: null,
  });
  const edited = await t.logic.editMessage(a, reply.id, {
    content: { type: "text", text: "again" },
  });
  assertEquals(edited.replyTo?.preview, "before late joined", "the sender reads it");
});
