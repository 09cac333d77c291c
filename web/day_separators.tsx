/** Day separators in a conversation: "Today", "Yesterday", a weekday of this week, else the date. */
import type { VNode } from "preact";
import type { Message } from "../shared/types.ts";
import { dayLabel, dayNumber } from "./format.ts";

/** The messages drawn by `draw`, each first message of a calendar day after its day's label. */
export function withDays(
  messages: Message[],
  draw: (message: Message) => VNode,
  now: number = Date.now(),
): VNode[] {
  const out: VNode[] = [];
  let day: number | null = null;
  for (const message of messages) {
    const today = dayNumber(message.sentAt);
    if (today !== day) {
      day = today;
      out.push(
        <li key={`day-${today}`} class="day">
          <span>{dayLabel(message.sentAt, now)}</span>
        </li>,
      );
    }
    out.push(draw(message));
  }
  return out;
}
