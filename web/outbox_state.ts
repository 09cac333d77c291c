/**
 * The state's events for messages of ours not yet stored, as pure functions like
 * the rest of state.ts: waiting for the connection, accepted by the server but not
 * yet seen stored, or discarded by the user after the server refused them.
 */
import type { Message } from "../shared/types.ts";
import type { Pending, State } from "./state.ts";

/** What can happen to messages not yet stored. */
export type OutboxEvent =
  /** The connection went down (`waiting`) or came back: pending sends wait, or go. */
  | { type: "outbox_link"; waiting: boolean }
  /** The server accepted a send; it may already be stored (a send repeated after a reload). */
  | { type: "sent"; clientMsgId: string; id: string }
  /** The user discarded a message the server refused (or took it back to edit). */
  | { type: "discard"; clientMsgId: string };

/** The pending messages without the ones `messages` shows stored. */
export function settled(
  pending: ReadonlyMap<string, Pending>,
  messages: readonly Message[],
): ReadonlyMap<string, Pending> {
  const gone = messages.flatMap((m) =>
    m.clientMsgId !== null && pending.has(m.clientMsgId) ? [m.clientMsgId] : []
  );
  if (gone.length === 0) return pending;
  const next = new Map(pending);
  for (const id of gone) next.delete(id);
  return next;
}

/** Whether a stored message of the conversation carries the client message id. */
function isStored(state: State, conversationId: string, clientMsgId: string): boolean {
  for (const m of state.messages.get(conversationId)?.values() ?? []) {
    if (m.clientMsgId === clientMsgId) return true;
  }
  return false;
}

function onSent(state: State, clientMsgId: string, id: string): State {
  const p = state.pending.get(clientMsgId);
  if (!p) return state;
  const pending = new Map(state.pending);
  if (isStored(state, p.conversationId, clientMsgId)) pending.delete(clientMsgId);
  else pending.set(clientMsgId, { ...p, waiting: false, sentId: id });
  return { ...state, pending };
}

function onLink(state: State, waiting: boolean): State {
  let pending: Map<string, Pending> | null = null;
  for (const p of state.pending.values()) {
    if (p.failed !== undefined || p.sentId !== undefined || Boolean(p.waiting) === waiting) {
      continue;
    }
    pending ??= new Map(state.pending);
    pending.set(p.clientMsgId, { ...p, waiting });
  }
  return pending ? { ...state, pending } : state;
}

/** The state after an outbox event. */
export function reduceOutbox(state: State, event: OutboxEvent): State {
  switch (event.type) {
    case "outbox_link":
      return onLink(state, event.waiting);
    case "sent":
      return onSent(state, event.clientMsgId, event.id);
    case "discard": {
      if (!state.pending.has(event.clientMsgId)) return state;
      const pending = new Map(state.pending);
      pending.delete(event.clientMsgId);
      return { ...state, pending };
    }
  }
}

/** Messages of ours still to be sent (neither accepted nor refused): closing the tab delays them. */
export function unsent(state: State): Pending[] {
  return [...state.pending.values()].filter((p) =>
    p.failed === undefined && p.sentId === undefined
  );
}
