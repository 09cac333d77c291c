/**
 * Pushes of a group's messages under `since_join` (PROTOCOL.md, Version 2,
 * precise rules): a reply to, or an update of, a message from before some
 * member joined reaches that member with the quoted or updated message as
 * `{id, seq}` only. Such a message goes out as two pushes, the full frame to the
 * members who may read the message it refers to and the restricted frame to
 * the others; every other group message stays one group push item.
 */
import { isFullTarget, restrictTo } from "../shared/message_view.ts";
import type { Message } from "../shared/types.ts";
import type { Outgoing } from "./deliver.ts";

/** The seq of the message `message` quotes or updates, when it shows it whole; else null. */
export function referencedSeq(message: Message): number | null {
  if (message.replyTo && message.replyTo.preview !== null) return message.replyTo.seq;
  const { content } = message;
  if (content.type === "update" && isFullTarget(content.target)) return content.target.seq;
  return null;
}

/**
 * The push items of a stored group message, given its members' history floors
 * when it refers to an earlier message (`floors` is only read then).
 */
export function groupPushItems(
  message: Message,
  floors: Map<string, number> | undefined,
): Outgoing[] {
  const frame = JSON.stringify({ op: "message", message });
  const ack = { conversationId: message.conversationId, seq: message.seq };
  const ref = referencedSeq(message);
  const full: string[] = [];
  const restricted: string[] = [];
  if (ref !== null && floors) {
    for (const [userId, floor] of floors) {
      // A member who joined after this message does not get it at all.
      if (floor >= message.seq) continue;
      (floor < ref ? full : restricted).push(userId);
    }
  }
  if (restricted.length === 0) return [{ groupId: message.to.id, frame, ack }];
  const items: Outgoing[] = [];
  if (full.length > 0) items.push({ userIds: full, frame, ack });
  const hidden = JSON.stringify({ op: "message", message: restrictTo(message, ref!) });
  items.push({ userIds: restricted, frame: hidden, ack });
  return items;
}
