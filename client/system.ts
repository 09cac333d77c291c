/**
 * System messages (PROTOCOL.md, Version 2, Groups): the entries the server writes into a
 * group's conversation for each change of membership, role, mute, name, notice or policy.
 * They come like any message (pushed, acked, gap-repaired, with a seq), never count as
 * unread, and may be a conversation's `lastMessage`.
 */
import type { Content, Message } from "../shared/types.ts";

/** The content of a system message: what happened (`event`), to whom, by whom, to what value. */
export type SystemContent = Extract<Content, { type: "system" }>;

/** A message whose content is a system message. */
export type SystemMessage = Message & { content: SystemContent };

/** Whether a message is a system message (a change of the group, written by the server). */
export function isSystem(message: Pick<Message, "content">): message is SystemMessage {
  return message.content.type === "system";
}
