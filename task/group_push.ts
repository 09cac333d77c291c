/**
 * Pushes of a group's messages under `since_join` (PROTOCOL.md, Version 2,
 * precise rules): a reply to, or an update of, a message from before some
 * member joined reaches that member with the quoted or updated message as
 * `{id, seq}` only (the same for the message an updated reply quotes). Such a
 * message goes out as one push per view of it: the full frame to the members
 * who may read all it refers to, a restricted frame to the others. Every other
 * group message stays one group push item, fanned out by connect's group nodes.
 */
import { isFullTarget, restrictTo } from "../shared/message_view.ts";
import type { Message } from "../shared/types.ts";
import type { Outgoing } from "./deliver.ts";

/** The seqs of the earlier messages `message` shows something of, ascending. */
export function referencedSeqs(message: Message): number[] {
  const seqs: number[] = [];
  if (message.replyTo && message.replyTo.preview !== null) seqs.push(message.replyTo.seq);
  const { content } = message;
  if (content.type === "update" && isFullTarget(content.target)) {
    seqs.push(content.target.seq);
    const quoted = content.target.replyTo;
    if (quoted && quoted.preview !== null) seqs.push(quoted.seq);
  }
  return seqs.sort((a, b) => a - b);
}

/**
 * The push items of a stored group message, given its members' history floors
 * when it refers to earlier messages (`floors` is only read then).
 */
export function groupPushItems(
  message: Message,
  floors: Map<string, number> | undefined,
): Outgoing[] {
  const frame = JSON.stringify({ op: "message", message });
  const ack = { conversationId: message.conversationId, seq: message.seq };
  const refs = referencedSeqs(message);
  // Members by how many of the referenced messages are at or below their floor (0: none).
  const views = new Map<number, { floor: number; userIds: string[] }>();
  for (const [userId, floor] of refs.length > 0 ? floors ?? [] : []) {
    // A member who joined after this message does not get it at all.
    if (floor >= message.seq) continue;
    const hidden = refs.filter((seq) => seq <= floor).length;
    const view = views.get(hidden);
    if (view) view.userIds.push(userId);
    else views.set(hidden, { floor, userIds: [userId] });
  }
  if (![...views.keys()].some((hidden) => hidden > 0)) {
    return [{ groupId: message.to.id, frame, ack }];
  }
  return [...views].sort(([a], [b]) => a - b).map(([hidden, { floor, userIds }]) => ({
    userIds,
    frame: hidden === 0
      ? frame
      : JSON.stringify({ op: "message", message: restrictTo(message, floor) }),
    ack,
  }));
}
