/** One message of the open chat, stored or ours still pending. */
import type { Message } from "../shared/types.ts";
import { when } from "./components.tsx";
import type { Pending } from "./state.ts";
import { PendingActions, pendingNote } from "./pending_actions.tsx";

/** One message; `pending` for ours not yet stored (sending, or failed with why). */
export function Bubble({ message, pending, mine, sender }: {
  message?: Message;
  pending?: Pending;
  mine: boolean;
  sender: string;
}) {
  const content = (message ?? pending)!.content;
  const state = message ? "stored" : pending?.failed ? "failed" : "pending";
  const size = content.type === "image" && content.width && content.height
    ? {
      width: Math.min(240, content.width),
      height: Math.round(Math.min(240, content.width) * content.height / content.width),
    }
    : {};
  return (
    <li
      class={`message ${mine ? "mine" : "theirs"} ${state}`}
      data-seq={message ? String(message.seq) : undefined}
    >
      {sender && <span class="sender">{sender}</span>}
      {content.type === "text"
        ? <p class="text">{content.text}</p>
        : (
          <a href={content.url} target="_blank" rel="noopener" class="image-link">
            <img src={content.url} alt="Image" loading="lazy" {...size} />
          </a>
        )}
      <span class="meta">
        {state === "pending"
          ? pendingNote(pending!)
          : state === "failed"
          ? `Not sent: ${pending?.failed}`
          : when(message?.sentAt ?? Date.now())}
      </span>
      <PendingActions pending={pending} />
    </li>
  );
}
