/**
 * The state of issue 17 in the web client: this user's settings of each conversation (pinned,
 * muted, hidden) and the window of an open chat that was opened at an old message (a search
 * result). Pure functions, called by `reduce()` in state.ts.
 *
 * A window: the loaded messages of a conversation are always one run of seqs without holes.
 * Opening a chat at an old message replaces them with the page around it; while that run does
 * not reach the conversation's newest message the conversation is *detached*: messages that
 * arrive are counted in the list but not stored (they would sit after the window, out of
 * place), and the chat offers "Jump to latest". Scrolling down loads newer pages until the run
 * reaches the newest, which attaches it again.
 */
import type { ConversationSummary, Message } from "../shared/types.ts";
import { compareSummaries } from "../client/summaries.ts";
import type { Conversation, State } from "./state.ts";

/** What can happen to conversation settings and windows. */
export type ConversationEvent =
  /** This user changed a conversation's settings, here or on another device. */
  | { type: "conversation_update"; conversation: ConversationSummary }
  /**
   * The loaded messages of a conversation become `messages` (one run): the page around `seq`
   * (a search result, brought into view and marked), or the latest page (`seq` null).
   * `reachesEnd`: the page ends at the newest message.
   */
  | {
    type: "window";
    conversationId: string;
    messages: Message[];
    seq: number | null;
    reachesEnd: boolean;
  };

/** The chats list: hidden ones left out, pinned first, then the newest. */
export function listed(state: State): Conversation[] {
  return [...state.conversations.values()]
    // A group shows from the moment one is in it, before anyone writes.
    .filter((c) => c.lastMessage || c.id === state.active || c.type === "group")
    .filter((c) => c.hidden !== true)
    .sort(compareSummaries);
}

/** The newest loaded seq of a conversation, or 0. */
export function newestLoaded(state: State, conversationId: string): number {
  let newest = 0;
  for (const seq of state.messages.get(conversationId)?.keys() ?? []) {
    newest = Math.max(newest, seq);
  }
  return newest;
}

/** The state after a settings or window event. */
export function reduceConversation(state: State, event: ConversationEvent): State {
  switch (event.type) {
    case "conversation_update":
      return onSettings(state, event.conversation);
    case "window":
      return onWindow(state, event);
  }
}

/** A summary's settings: pinned, muted and hidden change; counts already known here stay. */
function onSettings(state: State, summary: ConversationSummary): State {
  const conv = state.conversations.get(summary.id);
  const settings = {
    pinned: summary.pinned === true,
    muted: summary.muted === true,
    hidden: summary.hidden === true,
  };
  const next: Conversation = conv
    ? { ...conv, ...settings }
    : { ...summary, ...settings, lastMessage: summary.lastMessage ?? null };
  const conversations = new Map(state.conversations).set(summary.id, next);
  return { ...state, conversations };
}

function onWindow(state: State, event: Extract<ConversationEvent, { type: "window" }>): State {
  const id = event.conversationId;
  const page = new Map(event.messages.map((m) => [m.seq, m]));
  const messages = new Map(state.messages).set(id, page);
  const oldest = event.messages[0]?.seq ?? 0;
  const noOlder = new Set(state.noOlder);
  if (oldest <= 1) noOlder.add(id);
  else noOlder.delete(id);
  const detached = new Set(state.detached);
  const conv = state.conversations.get(id);
  const newest = event.messages.at(-1)?.seq ?? 0;
  // Reaching the end attaches it: a message stored meanwhile is fetched next (session.ts).
  if (event.reachesEnd) detached.delete(id);
  else detached.add(id);
  // A conversation opened from a search result may be hidden, so not in the list: its page
  // tells how far it goes.
  const conversations = conv && newest > conv.lastSeq
    ? new Map(state.conversations).set(id, { ...conv, lastSeq: newest })
    : state.conversations;
  // Each opening at a message follows an `open` event, so its count tells the jumps apart.
  const jump = event.seq === null ? null : { conversationId: id, seq: event.seq, n: state.opened };
  return { ...state, messages, noOlder, detached, conversations, jump };
}

/**
 * After a page of newer messages was stored: a detached conversation whose run now reaches its
 * newest message is attached again (messages arriving are stored from then on).
 */
export function attachIfComplete(state: State, conversationId: string): State {
  if (!state.detached.has(conversationId)) return state;
  const conv = state.conversations.get(conversationId);
  if (!conv || newestLoaded(state, conversationId) < conv.lastSeq) return state;
  const detached = new Set(state.detached);
  detached.delete(conversationId);
  return { ...state, detached };
}
