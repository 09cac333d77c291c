/**
 * One message of the open chat, stored or ours still pending. Its time shows on every message; the
 * full date and time shows on hover (title) and, for touch and keyboard, on pressing the time (or,
 * on a touch screen, anywhere on the bubble). A stored message has an actions button (Reply, and
 * for whoever may, Edit and Recall), a quote of the message it answers (pressing it goes to that
 * message), "edited" with the time of the edit, and on ours whether the others read it. On a touch
 * screen a swipe to the right answers it too.
 */
import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import { type Message, MODERATOR, type ReplyPreview } from "../shared/types.ts";
import { sizeText } from "./errors.ts";
import { fullDateTime, timeOfDay } from "./format.ts";
import { Linkified } from "./linkify.tsx";
import { openImage } from "./image_viewer.tsx";
import type { Pending } from "./state.ts";
import { PendingActions, pendingNote } from "./pending_actions.tsx";

/** What a stored message's actions do; the open chat gives them. */
export interface MessageHandlers {
  reply(message: Message): void;
  edit(message: Message): void;
  recall(message: Message): void;
  /** Goes to the quoted message (loading older history first if needed). */
  reveal(quote: ReplyPreview): void;
}

/** Given by the open chat to its messages. */
export const MessageContext = createContext<MessageHandlers | null>(null);

/** How one of our messages stands with the others. */
export type Receipt =
  /** Stored by the server, not yet read by the peer. */
  | { kind: "delivered" }
  | { kind: "read" }
  /** In a group: how many members read it. */
  | { kind: "read_by"; count: number };

/** What the list knows about a message beyond the message itself. */
export interface BubbleInfo {
  /** A user's nickname (the reader's own too: mentions of them read `@` it). */
  nameOf(userId: string): string;
  /** The reader's id: mentions of them stand out. */
  me: string;
  receipt?: Receipt;
  canEdit?: boolean;
  canRecall?: boolean;
  /** Briefly marked: the reader came here from a quote. */
  flash?: boolean;
}

/** How far (px) a finger must swipe a message to the right to answer it. */
const SWIPE_PX = 64;

/** A time, short, with the full date and time on hover or on press. */
function Time({ at, open, onToggle, label }: {
  at: number;
  open: boolean;
  onToggle: () => void;
  label?: string;
}) {
  const full = fullDateTime(at);
  return (
    <>
      <button
        type="button"
        class={label ? "time edited" : "time"}
        title={label ? `Edited ${full}` : full}
        aria-expanded={open}
        onClick={onToggle}
      >
        {label ?? <time dateTime={new Date(at).toISOString()}>{timeOfDay(at)}</time>}
      </button>
      {open && <span class="full-time">{label ? `Edited ${full}` : full}</span>}
    </>
  );
}

/** What a preview placeholder of the protocol says in words. */
export function previewText(preview: string | null): string {
  switch (preview) {
    case null:
      return "An earlier message";
    case "[image]":
      return "Photo";
    case "[file]":
      return "File";
    case "[recalled]":
      return "Message recalled";
    default:
      return preview;
  }
}

/** The quote of the message this one answers; pressing it goes there. */
function Quote({ quote, info, onReveal }: {
  quote: ReplyPreview;
  info: BubbleInfo;
  onReveal?: (quote: ReplyPreview) => void;
}) {
  const name = quote.from === info.me ? "You" : info.nameOf(quote.from);
  const text = previewText(quote.preview);
  const body = (
    <>
      <span class="quote-name">{name}</span>
      <span class="quote-text">{text}</span>
    </>
  );
  if (!onReveal) return <span class="quote">{body}</span>;
  return (
    <button
      type="button"
      class="quote"
      aria-label={`Reply to ${name}: ${text}. Show the original message`}
      onClick={() => onReveal(quote)}
    >
      {body}
    </button>
  );
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A text with its links clickable and its mentions marked (the reader's own most). */
function TextBody({ content, info }: {
  content: Extract<Message["content"], { type: "text" }>;
  info: BubbleInfo;
}) {
  const names = new Map<string, boolean>();
  for (const id of content.mentions ?? []) names.set(`@${info.nameOf(id)}`, id === info.me);
  if (content.mentionAll) names.set("@everyone", true);
  if (names.size === 0) {
    return (
      <p class="text">
        <Linkified text={content.text} />
      </p>
    );
  }
  const pattern = new RegExp(
    `(${[...names.keys()].sort((a, b) => b.length - a.length).map(escaped).join("|")})`,
  );
  return (
    <p class="text">
      {content.text.split(pattern).map((part, i) =>
        i % 2 === 1
          ? <mark key={i} class={names.get(part) ? "mention mention-me" : "mention"}>{part}</mark>
          : <Linkified key={i} text={part} />
      )}
    </p>
  );
}

/** A file: its name and size, a link that downloads it. */
function FileBody({ content }: { content: Extract<Message["content"], { type: "file" }> }) {
  return (
    <a class="file" href={content.url} download={content.name}>
      <svg class="file-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
        <path d="M3 1h7l3 3v11H3z M10 1v3h3" fill="none" stroke="currentColor" stroke-width="1.4" />
        <path
          d="M8 6v6 M5.5 9.5 8 12l2.5-2.5"
          fill="none"
          stroke="currentColor"
          stroke-width="1.4"
        />
      </svg>
      <span class="file-name">{content.name}</span>
      <span class="file-size">{sizeText(content.size)}</span>
    </a>
  );
}

function Body({ content, info }: { content: Message["content"]; info: BubbleInfo }) {
  switch (content.type) {
    case "text":
      return <TextBody content={content} info={info} />;
    case "image":
      return (
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
          <img
            src={content.url}
            alt="Image"
            loading="lazy"
            {...(content.width && content.height
              ? {
                width: Math.min(240, content.width),
                height: Math.round(Math.min(240, content.width) * content.height / content.width),
              }
              : {})}
          />
        </a>
      );
    case "file":
      return <FileBody content={content} />;
    case "recalled":
      return (
        <p class="text recalled">
          {content.recalledBy === MODERATOR ? "Message removed by a moderator" : "Message recalled"}
        </p>
      );
    default:
      return <p class="text muted">This message cannot be shown here.</p>;
  }
}

/** Our message's read state: ticks with words for screen readers, or "Read by N" in a group. */
function ReceiptMark({ receipt }: { receipt: Receipt }) {
  if (receipt.kind === "read_by") {
    return <span class="receipt read">{`Read by ${receipt.count}`}</span>;
  }
  const read = receipt.kind === "read";
  const words = read ? "Read" : "Delivered";
  return (
    <span class={read ? "receipt read" : "receipt"} title={words}>
      <span aria-hidden="true">{read ? "✓✓" : "✓"}</span>
      <span class="visually-hidden">{words}</span>
    </span>
  );
}

/** The actions button of a stored message, and its menu: Reply, Edit, Recall. */
function Actions({ message, info }: { message: Message; info: BubbleInfo }) {
  const handlers = useContext(MessageContext);
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) menu.current?.querySelector("button")?.focus();
  }, [open]);
  if (!handlers || message.content.type === "recalled") return null;
  const close = (focus = true) => {
    setOpen(false);
    if (focus) button.current?.focus();
  };
  const act = (action: (m: Message) => void) => () => {
    setOpen(false);
    action(message);
  };
  return (
    <>
      <button
        ref={button}
        type="button"
        class="actions-button"
        aria-label="Message actions"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <div
          ref={menu}
          class="message-actions"
          role="menu"
          aria-label="Message actions"
          onKeyDown={(e) => {
            const items = [...e.currentTarget.querySelectorAll("button")];
            const at = items.indexOf(document.activeElement as HTMLButtonElement);
            if (e.key === "Escape") {
              e.preventDefault();
              close();
            } else if (e.key === "ArrowDown" || e.key === "ArrowRight") {
              e.preventDefault();
              items[(at + 1) % items.length].focus();
            } else if (e.key === "ArrowUp" || e.key === "ArrowLeft") {
              e.preventDefault();
              items[(at - 1 + items.length) % items.length].focus();
            }
          }}
          onFocusOut={(e) => {
            const next = e.relatedTarget as Node | null;
            if (next && !e.currentTarget.contains(next) && next !== button.current) close(false);
          }}
        >
          <button type="button" role="menuitem" class="ghost" onClick={act(handlers.reply)}>
            Reply
          </button>
          {info.canEdit && (
            <button type="button" role="menuitem" class="ghost" onClick={act(handlers.edit)}>
              Edit
            </button>
          )}
          {info.canRecall && (
            <button
              type="button"
              role="menuitem"
              class="ghost destructive"
              onClick={act(handlers.recall)}
            >
              Recall
            </button>
          )}
        </div>
      )}
    </>
  );
}

/** Swiping a message right on a touch screen answers it (it follows the finger a little). */
function useSwipe(onSwipe: (() => void) | null) {
  const start = useRef<{ x: number; y: number; dx: number } | null>(null);
  if (!onSwipe) return {};
  const reset = (li: HTMLElement) => {
    start.current = null;
    li.style.transform = "";
  };
  return {
    onTouchStart: (e: TouchEvent) => {
      const t = e.touches[0];
      start.current = e.touches.length === 1 ? { x: t.clientX, y: t.clientY, dx: 0 } : null;
    },
    onTouchMove: (e: TouchEvent) => {
      const s = start.current;
      if (!s) return;
      const t = e.touches[0];
      const dx = t.clientX - s.x;
      // A vertical move is a scroll, not a swipe.
      if (Math.abs(t.clientY - s.y) > 30 || dx < -10) {
        return reset(e.currentTarget as HTMLElement);
      }
      s.dx = dx;
      (e.currentTarget as HTMLElement).style.transform = `translateX(${
        Math.max(0, Math.min(dx, SWIPE_PX)) / 2
      }px)`;
    },
    onTouchEnd: (e: TouchEvent) => {
      const swiped = (start.current?.dx ?? 0) >= SWIPE_PX;
      reset(e.currentTarget as HTMLElement);
      if (swiped) onSwipe();
    },
    onTouchCancel: (e: TouchEvent) => reset(e.currentTarget as HTMLElement),
  };
}

/** One message; `pending` for ours not yet stored (sending, or failed with why). */
export function Bubble({ message, pending, mine, sender, info }: {
  message?: Message;
  pending?: Pending;
  mine: boolean;
  sender: string;
  info: BubbleInfo;
}) {
  const [open, setOpen] = useState(false);
  const [editOpen, setEditOpen] = useState(false);
  const handlers = useContext(MessageContext);
  const content = (message ?? pending)!.content;
  const quote = message?.replyTo ?? pending?.replyTo;
  const state = message ? "stored" : pending?.failed ? "failed" : "pending";
  const mentionsMe = content.type === "text" && !mine &&
    (content.mentionAll || content.mentions?.includes(info.me));
  const swipe = useSwipe(
    message && handlers && content.type !== "recalled" ? () => handlers.reply(message) : null,
  );
  const classes = [
    "message",
    mine ? "mine" : "theirs",
    state,
    mentionsMe ? "mentions-me" : "",
    content.type === "recalled" ? "is-recalled" : "",
    info.flash ? "flash" : "",
  ].filter(Boolean).join(" ");
  return (
    <li
      class={classes}
      data-seq={message ? String(message.seq) : undefined}
      data-id={message?.id}
      tabIndex={message ? -1 : undefined}
      {...swipe}
      // A tap on the bubble (not on a link or a control, not selecting text) shows the full time.
      onClick={(e) => {
        const target = e.target as Element;
        if (target.closest("a, button, img") || getSelection()?.toString()) return;
        if (message) setOpen(!open);
      }}
    >
      {sender && <span class="sender">{sender}</span>}
      {quote && content.type !== "recalled" && (
        <Quote
          quote={quote}
          info={info}
          {...(message && handlers ? { onReveal: handlers.reveal } : {})}
        />
      )}
      <Body content={content} info={info} />
      <span class="meta">
        {message && <Actions message={message} info={info} />}
        {message?.editedAt !== undefined && message.content.type === "text" && (
          <Time
            at={message.editedAt}
            open={editOpen}
            onToggle={() => setEditOpen(!editOpen)}
            label="edited"
          />
        )}
        {message
          ? <Time at={message.sentAt} open={open} onToggle={() => setOpen(!open)} />
          : state === "failed"
          ? `Not sent: ${pending?.failed}`
          : pendingNote(pending!)}
        {message && info.receipt && <ReceiptMark receipt={info.receipt} />}
      </span>
      <PendingActions pending={pending} />
    </li>
  );
}
