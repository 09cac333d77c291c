/**
 * One message of the open chat, stored or ours still pending. Its time shows on every message; the
 * full date and time shows on hover (title) and, for touch and keyboard, on pressing the time (or,
 * on a touch screen, anywhere on the bubble).
 */
import { useState } from "preact/hooks";
import type { Message } from "../shared/types.ts";
import { fullDateTime, timeOfDay } from "./format.ts";
import { Linkified } from "./linkify.tsx";
import { openImage } from "./image_viewer.tsx";
import type { Pending } from "./state.ts";
import { PendingActions, pendingNote } from "./pending_actions.tsx";

/** The time of a stored message: short, with the full date and time on hover or on press. */
function Time({ sentAt, open, onToggle }: { sentAt: number; open: boolean; onToggle: () => void }) {
  const full = fullDateTime(sentAt);
  return (
    <>
      <button
        type="button"
        class="time"
        title={full}
        aria-expanded={open}
        onClick={onToggle}
      >
        <time dateTime={new Date(sentAt).toISOString()}>{timeOfDay(sentAt)}</time>
      </button>
      {open && <span class="full-time">{full}</span>}
    </>
  );
}

/** One message; `pending` for ours not yet stored (sending, or failed with why). */
export function Bubble({ message, pending, mine, sender }: {
  message?: Message;
  pending?: Pending;
  mine: boolean;
  sender: string;
}) {
  const [open, setOpen] = useState(false);
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
      // A tap on the bubble (not on a link or a control, not selecting text) shows the full time.
      onClick={(e) => {
        const target = e.target as Element;
        if (target.closest("a, button, img") || getSelection()?.toString()) return;
        if (message) setOpen(!open);
      }}
    >
      {sender && <span class="sender">{sender}</span>}
      {content.type === "text"
        ? (
          <p class="text">
            <Linkified text={content.text} />
          </p>
        )
        : content.type === "image"
        ? (
          <a
            href={content.url}
            target="_blank"
            rel="noopener noreferrer"
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
        )
        : <p class="text muted">This message cannot be shown here.</p>}
      <span class="meta">
        {message
          ? <Time sentAt={message.sentAt} open={open} onToggle={() => setOpen(!open)} />
          : state === "failed"
          ? `Not sent: ${pending?.failed}`
          : pendingNote(pending!)}
      </span>
      <PendingActions pending={pending} />
    </li>
  );
}
