/** One message of the open chat, stored or ours still pending. */
import type { Message } from "../shared/types.ts";
import { when } from "./components.tsx";
import { openImage } from "./image_viewer.tsx";
import type { Pending } from "./state.ts";

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
      {content.type === "text" ? <p class="text">{content.text}</p> : (
        <a
          href={content.url}
          target="_blank"
          rel="noopener"
          class="image-link"
          onClick={(e) => {
            // A plain click opens the viewer; a middle or modified click still opens a tab.
            if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            openImage(content.url, "Image", e.currentTarget);
          }}
        >
          <img src={content.url} alt="Image" loading="lazy" {...size} />
        </a>
      )}
      <span class="meta">
        {state === "pending"
          ? "Sending…"
          : state === "failed"
          ? `Not sent: ${pending?.failed}`
          : when(message?.sentAt ?? Date.now())}
      </span>
    </li>
  );
}
