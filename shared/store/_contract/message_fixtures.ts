/** What the MessageStore contract's steps share: messages, update entries and a setting to send them in. */
import type { AcceptedMessage, Content, Message } from "../../types.ts";
import type { Store } from "../mod.ts";
import { type FakeClock, id, type Step, user } from "./fixtures.ts";

/** Registers a step of the MessageStore suite. */
export type Test = (title: string, step: Step) => void;

/** A message with any content, sent 1 ms after the one made before. */
export function sent(
  clock: FakeClock,
  conversationId: string,
  from: string,
  to: string,
  content: Content,
  more: Partial<AcceptedMessage> = {},
): AcceptedMessage & { clientMsgId: string } {
  const messageId = id();
  clock.advance(1);
  return {
    id: messageId,
    conversationId,
    from,
    to: { type: conversationId.startsWith("g:") ? "group" : "user", id: to },
    content,
    sentAt: clock.now(),
    clientMsgId: `c${messageId}`,
    ...more,
  } as AcceptedMessage & { clientMsgId: string };
}

/** A text message, sent 1 ms after the one made before. */
export function message(
  clock: FakeClock,
  conversationId: string,
  from: string,
  to: string,
  text: string,
): AcceptedMessage & { clientMsgId: string } {
  return sent(clock, conversationId, from, to, { type: "text", text });
}

/** An update entry of `target` by `by`, as logic makes it: `target` with its new content. */
function update(
  clock: FakeClock,
  target: Message,
  by: string,
  action: "edit" | "recall",
  content: Content,
): AcceptedMessage {
  clock.advance(1);
  return {
    id: id(),
    conversationId: target.conversationId,
    from: by,
    to: target.to,
    content: { type: "update", action, target: { ...target, content, editedAt: clock.now() } },
    sentAt: clock.now(),
    clientMsgId: null,
  };
}

/** Its sender's edit of a text message to `text` (logic's target drops the mentions: the store keeps them). */
export function edit(clock: FakeClock, target: Message, text: string): AcceptedMessage {
  return update(clock, target, target.from, "edit", { type: "text", text });
}

/** A recall of `target` by `by`. */
export function recall(clock: FakeClock, target: Message, by = target.from): AcceptedMessage {
  return update(clock, target, by, "recall", { type: "recalled", recalledBy: by });
}

/** Two users, their private conversation and a group conversation of both. */
export async function setting(store: Store) {
  const [a, b] = [await user(store), await user(store)];
  const group = await store.groups.create(
    { id: id(), name: "g", avatarMediaId: null, ownerId: a.id, createdAt: 1 },
    [b.id],
  );
  return { a, b, conv: `u:${a.id}:${b.id}`, gconv: `g:${group.id}`, groupId: group.id };
}

/** Text contents. */
export const texts = (...list: string[]) => list.map((text) => ({ type: "text" as const, text }));

/** Saves one message and answers it as stored. */
export async function saveOne(store: Store, m: AcceptedMessage): Promise<Message> {
  const [saved] = await store.messages.save([m]);
  return saved;
}
