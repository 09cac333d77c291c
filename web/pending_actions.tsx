/**
 * What a message of ours not yet stored says about itself, and, once the server
 * refused it, the buttons under it: Retry, Edit (a text goes back to the
 * composer) and Discard. The open chat provides the actions through a context,
 * so the bubble needs no more than the pending message.
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Pending } from "./state.ts";

/** What can be done with a refused message. */
export interface PendingHandlers {
  retry(clientMsgId: string): void;
  edit(clientMsgId: string): void;
  discard(clientMsgId: string): void;
}

/** Given by the open chat to the refused messages it shows. */
export const PendingContext = createContext<PendingHandlers | null>(null);

/** The status line of a pending message (a refused one says why beside "Not sent"). */
export function pendingNote(pending: Pending): string {
  if (pending.sentId !== undefined) return "Sent";
  return pending.waiting ? "Waiting for connection" : "Sending…";
}

/** Retry, Edit and Discard for a refused message; nothing for the others. */
export function PendingActions({ pending }: { pending?: Pending }) {
  const handlers = useContext(PendingContext);
  if (!pending?.failed || !handlers) return null;
  const { clientMsgId, content } = pending;
  const about = content.type === "text" ? `“${[...content.text].slice(0, 40).join("")}”` : "image";
  return (
    <div class="pending-actions" role="group" aria-label={`Not sent: ${about}`}>
      <button type="button" class="ghost" onClick={() => handlers.retry(clientMsgId)}>
        Retry
      </button>
      {content.type === "text" && (
        <button
          type="button"
          class="ghost"
          onClick={() => handlers.edit(clientMsgId)}
        >
          Edit
        </button>
      )}
      <button type="button" class="ghost" onClick={() => handlers.discard(clientMsgId)}>
        Discard
      </button>
    </div>
  );
}
