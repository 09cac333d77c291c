/**
 * How a message reads to one reader (PROTOCOL.md, Version 2, Messages): the
 * preview of a quoted message, and what a reader under `since_join` may see of
 * messages from before they joined. Used by the store's read paths, logic's
 * answers, task's pushes and the SDK's applied view alike.
 */
import type { Content, Message, MessageRef, ReplyPreview } from "./types.ts";

/** Code points of a text preview. */
export const PREVIEW_MAX = 100;

/** What a reply shows of the message it quotes: a text's start, else a placeholder. */
export function previewOf(content: Content): string {
  switch (content.type) {
    case "text":
      return [...content.text].slice(0, PREVIEW_MAX).join("");
    case "image":
      return "[image]";
    case "file":
      return "[file]";
    case "recalled":
      return "[recalled]";
    default:
      return "[message]";
  }
}

/** The reply preview of `quoted`, in its current version. */
export function replyPreview(quoted: Message): ReplyPreview {
  return { id: quoted.id, seq: quoted.seq, from: quoted.from, preview: previewOf(quoted.content) };
}

/** Whether an update entry's target is the whole message (not only its id and seq). */
export function isFullTarget(target: Message | MessageRef): target is Message {
  return "content" in target;
}

/**
 * A message as a reader whose history floor is `floor` sees it: a quoted or
 * updated message at or below the floor shows only its id and seq (seqs stay
 * without gaps; the text stays hidden), and so does the message an updated
 * reply quotes. Floor 0 sees everything.
 */
export function restrictTo(message: Message, floor: number): Message {
  if (floor <= 0) return message;
  let out = message;
  if (out.replyTo && out.replyTo.seq <= floor && out.replyTo.preview !== null) {
    out = { ...out, replyTo: { ...out.replyTo, preview: null } };
  }
  const c = out.content;
  if (c.type === "update" && isFullTarget(c.target)) {
    const target = c.target.seq <= floor
      ? { id: c.target.id, seq: c.target.seq }
      : restrictTo(c.target, floor);
    if (target !== c.target) out = { ...out, content: { ...c, target } };
  }
  return out;
}

/** Whether a message is an update entry (never unread, never a conversation's last message). */
export function isUpdate(message: Pick<Message, "content">): boolean {
  return message.content.type === "update";
}
