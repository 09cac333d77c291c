/**
 * A system message in the open chat: a centred grey line saying what changed in the group
 * ("Alice made Bob an admin"), with its time on hover. It has a seq like any message (so the
 * list counts it as shown and read), but no actions: nobody answers, edits or recalls it.
 */
import type { SystemMessage } from "../client/mod.ts";
import { fullDateTime } from "./format.ts";
import { type Names, systemText } from "./system_text.ts";

/** The line of one system message. */
export function SystemLine({ message, names }: { message: SystemMessage; names: Names }) {
  return (
    <li
      class="system-line"
      data-seq={String(message.seq)}
      data-id={message.id}
      data-event={message.content.event}
      title={fullDateTime(message.sentAt)}
    >
      <span>{systemText(message.content, message.sentAt, names)}</span>
    </li>
  );
}
