/**
 * The composer's length limit, counted as the server counts it, and what a
 * person reads when the server refuses a message: plain advice, not the
 * server's field names.
 */
import type { Message } from "../shared/types.ts";

/** The longest text the server takes by default (IM_MAX_TEXT), in code points. */
export const TEXT_MAX = 4000;
/** From this length on, the composer shows how much is left. */
export const COUNTER_FROM = 3500;

/** A text's length in characters (code points), as the server counts it. */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** A count with thousands separated, the same in every locale the tests run in. */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Why a send failed, to follow "Not sent: " under the message, with what to do about it. */
export function failureText(
  error: unknown,
  sent: { conversationId: string; content: Message["content"] },
): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : "";
  const group = sent.conversationId.startsWith("g:");
  switch (code) {
    case "invalid_argument": {
      const limit = /content\.text: expected \d+ to (\d+) characters, got (\d+)/.exec(message);
      if (limit) {
        return `too long (${count(Number(limit[2]))} characters, at most ${
          count(Number(limit[1]))
        }). Edit it to shorten it.`;
      }
      return "the server could not take this message as it is. Edit it, or discard it.";
    }
    case "forbidden":
      return group
        ? "you are no longer a member of this group."
        : "only friends can write to each other. Send a friend request to write again.";
    case "not_found":
      return group ? "this group no longer exists." : "this person's account no longer exists.";
    case "rate_limited":
      return "you sent too many messages at once. Wait a moment, then retry.";
    case "unavailable":
      return "the server could not take it just now. Retry in a moment.";
    default:
      return "something went wrong. Retry, or discard it.";
  }
}
