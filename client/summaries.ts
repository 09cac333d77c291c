/**
 * The conversation list as the server orders it (PROTOCOL.md, Conversations):
 * pinned ones first, then newest activity first; hidden ones left out until a
 * user's message arrives. An application that keeps the list itself, fed by
 * `conversations()`, the `message` event and the `conversation_update` event,
 * applies them with these functions so it agrees with the next fetch.
 */
import type { ConversationSummary, Message } from "../shared/types.ts";
import { isUpdate } from "../shared/message_view.ts";

/** The caller's settings of a conversation, as a summary carries them. */
export type SettingsOf = Pick<ConversationSummary, "pinned" | "muted" | "hidden">;

/**
 * Whether a message brings a hidden conversation back into the list: only a
 * user's message does (the server's rule: a message of kind `message` after the
 * hide); an edit or recall entry and a group's system line do not.
 */
export function revealsHidden(message: Pick<Message, "content">): boolean {
  return !isUpdate(message) && message.content.type !== "system";
}

/**
 * The list order: pinned first, then the latest activity first; one without a message yet
 * (a group just joined, a chat just started) counts as the newest.
 */
export function compareSummaries(
  a: Pick<ConversationSummary, "pinned" | "lastMessage">,
  b: Pick<ConversationSummary, "pinned" | "lastMessage">,
): number {
  const pinned = Number(b.pinned === true) - Number(a.pinned === true);
  if (pinned) return pinned;
  return (b.lastMessage?.sentAt ?? Infinity) - (a.lastMessage?.sentAt ?? Infinity);
}

/**
 * The list after a `conversation_update` (this user's change, from any device): the
 * conversation takes its new settings and place, or leaves the list when hidden. A
 * conversation the list did not hold enters it, unless hidden.
 */
export function applyConversationUpdate(
  list: readonly ConversationSummary[],
  update: ConversationSummary,
): ConversationSummary[] {
  const rest = list.filter((c) => c.id !== update.id);
  if (update.hidden === true) return rest;
  const { hidden: _, ...shown } = update;
  return [...rest, shown].sort(compareSummaries);
}
