import assert from "node:assert/strict";
import type { ConversationSummary, Message } from "../shared/types.ts";
import { message, setup } from "./_fakes.ts";
import type { ClientEvents } from "./mod.ts";
import { applyConversationUpdate, compareSummaries, revealsHidden } from "./summaries.ts";

function summary(id: string, sentAt: number | null, extra: Partial<ConversationSummary> = {}) {
  const last = sentAt === null ? null : { ...message(1, id), sentAt };
  return {
    id,
    type: "user",
    lastSeq: last ? 1 : 0,
    readSeq: 0,
    unread: 0,
    lastMessage: last,
    pinned: false,
    muted: false,
    ...extra,
  } satisfies ConversationSummary;
}

const ids = (list: ConversationSummary[]) => list.map((c) => c.id);

Deno.test("ImClient emits conversation_update with the summary the server sent", async () => {
  const { client, accept } = setup();
  const updates: ClientEvents["conversation_update"][] = [];
  client.on("conversation_update", (c) => updates.push(c));
  client.connect();
  const socket = await accept();
  const conversation = summary("u:1:2", 5, { pinned: true, hidden: false });
  socket.push({ op: "conversation_update", conversation });
  assert.deepEqual(updates, [conversation]);
  await client.close();
});

Deno.test("compareSummaries() puts pinned first, then the newest, one without messages as newest", () => {
  const list = [
    summary("a", 10),
    summary("b", 30),
    summary("c", 5, { pinned: true }),
    summary("d", null),
    summary("e", 1, { pinned: true }),
  ].sort(compareSummaries);
  assert.deepEqual(ids(list), ["c", "e", "d", "b", "a"]);
});

Deno.test("applyConversationUpdate() moves a pinned one up, keeps muted, and drops a hidden one", () => {
  const list = [summary("a", 30), summary("b", 20), summary("c", 10)];
  const pinned = applyConversationUpdate(list, summary("c", 10, { pinned: true, hidden: false }));
  assert.deepEqual(ids(pinned), ["c", "a", "b"]);
  assert.equal(pinned[0].pinned, true);
  assert.equal("hidden" in pinned[0], false, "a listed summary is never hidden");
  const muted = applyConversationUpdate(pinned, summary("a", 30, { muted: true }));
  assert.deepEqual(ids(muted), ["c", "a", "b"]);
  assert.equal(muted[1].muted, true);
  const hidden = applyConversationUpdate(muted, summary("b", 20, { hidden: true }));
  assert.deepEqual(ids(hidden), ["c", "a"]);
  // Unhidden (on another device): back in its place.
  const back = applyConversationUpdate(hidden, summary("b", 20, { hidden: false }));
  assert.deepEqual(ids(back), ["c", "a", "b"]);
  assert.deepEqual(ids(list), ["a", "b", "c"], "the list given is not changed");
});

Deno.test("revealsHidden() only for a user's message, not an update entry nor a system line", () => {
  const text = message(3);
  const update: Message = {
    ...message(4),
    content: { type: "update", action: "recall", target: { id: "x", seq: 3 } },
  } as Message;
  const system = {
    ...message(5),
    content: { type: "system", event: "member_joined", userId: "7" },
  } as unknown as Message;
  assert.equal(revealsHidden(text), true);
  assert.equal(revealsHidden({ content: { type: "image", mediaId: "1", url: "/m/1" } }), true);
  assert.equal(revealsHidden(update), false);
  assert.equal(revealsHidden(system), false);
});
