/**
 * How a change of a group reaches its members (PROTOCOL.md, Version 2, Groups):
 * the system messages that record it in the group's conversation, then the
 * events, all in one log append. Every record has the group's conversation id
 * as its key, so task stores and pushes them in order with the group's messages,
 * and a message record carrying a membership change tells connect's group nodes
 * exactly between which seqs a member came or went.
 */
import type { LogRecord, MembershipChange } from "../shared/message_log/mod.ts";
import type { AcceptedMessage, Group, ServerFrame, SystemEvent } from "../shared/types.ts";
import { groupConversationId } from "../shared/types.ts";
import type { Context } from "./context.ts";

/** One system message to make: who acted, what happened, to whom, and the new value. */
export interface SystemLine {
  event: SystemEvent;
  by: string;
  userId?: string;
  value?: string;
}

/** A change to publish: its lines (the first carries `membership`), then its events. */
export interface GroupChange {
  groupId: string;
  lines: readonly SystemLine[];
  membership?: { added?: readonly string[]; removed?: readonly string[] };
  events?: readonly LogRecord[];
}

/** The accepted system message of one line, as sent now by the one who acted. */
export function systemMessage(ctx: Context, groupId: string, line: SystemLine): AcceptedMessage {
  const { event, by, userId, value } = line;
  return {
    id: ctx.ids.next(),
    conversationId: groupConversationId(groupId),
    from: by,
    to: { type: "group", id: groupId },
    content: {
      type: "system",
      event,
      ...(userId !== undefined ? { userId } : {}),
      by,
      ...(value !== undefined ? { value } : {}),
    },
    sentAt: ctx.now(),
    clientMsgId: null,
  };
}

/**
 * The records of a change, in order: the system messages (the membership change
 * on the first, so later lines reach the group as it is after it), then the
 * events. A change of several members that needs one line per member passes one
 * line per member with its own change: see `memberLines`.
 */
export function changeRecords(ctx: Context, change: GroupChange): LogRecord[] {
  const membership = membershipOf(change.groupId, change.membership);
  const messages: LogRecord[] = change.lines.map((line, i) => ({
    type: "message",
    message: systemMessage(ctx, change.groupId, line),
    ...(i === 0 && membership ? { membership } : {}),
  }));
  return [...messages, ...change.events ?? []];
}

/**
 * One `joined` line per member added, each carrying that member alone as added:
 * a member added at seq N receives N and what follows, not the lines of those
 * added before them in the same call.
 */
export function joinedRecords(
  ctx: Context,
  groupId: string,
  added: readonly string[],
  by: (userId: string) => string,
): LogRecord[] {
  return added.flatMap((userId) =>
    changeRecords(ctx, {
      groupId,
      lines: [{ event: "joined", userId, by: by(userId) }],
      membership: { added: [userId] },
    })
  );
}

/** A membership change, or none when nobody came or went. */
function membershipOf(
  groupId: string,
  change: GroupChange["membership"],
): MembershipChange | undefined {
  const added = [...change?.added ?? []];
  const removed = [...change?.removed ?? []];
  return added.length + removed.length > 0 ? { groupId, added, removed } : undefined;
}

/** An event record to users, with no membership change. */
export function eventTo(userIds: readonly string[], frame: ServerFrame): LogRecord[] {
  return userIds.length > 0 ? [{ type: "event", userIds: [...new Set(userIds)], frame }] : [];
}

/**
 * The events of a change of the group as it is now: `group_update` to its members
 * (and to those who just left or were removed), `group_removed` to the latter,
 * and, when members came or went, the group's new online count to its online members.
 * What goes to the members is a `group_event`, fanned out by the connect servers' group
 * nodes: a record that listed 100,000 members would be 2 MB, over what a Kafka record may be.
 */
export async function updateEvents(
  ctx: Context,
  group: Group,
  { removed = [], reason = "removed", counted = false }: {
    removed?: readonly string[];
    reason?: "left" | "removed";
    counted?: boolean;
  } = {},
): Promise<LogRecord[]> {
  const records: LogRecord[] = [
    { type: "group_event", groupId: group.id, frame: { op: "group_update", group } },
    ...eventTo(removed, { op: "group_update", group }),
    ...eventTo(removed, { op: "group_removed", groupId: group.id, reason }),
  ];
  if (counted || removed.length > 0) {
    const members = await ctx.store.groups.memberIds(group.id);
    const count = (await ctx.presence.online(members)).size;
    if (count > 0) {
      records.push({
        type: "group_event",
        groupId: group.id,
        frame: { op: "group_online", groupId: group.id, count },
      });
    }
  }
  return records;
}

/** Appends the records of a change in one call; the caller's answer waits for it. */
export async function publish(ctx: Context, records: readonly LogRecord[]): Promise<void> {
  if (records.length > 0) await ctx.log.append([...records]);
}
