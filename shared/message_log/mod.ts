/**
 * The message log port (not logging): an ordered, durable hand-off from logic to task.
 *
 * Contract:
 * - Records with the same key are consumed in the order they were appended. A
 *   message's key is its conversation id; everything that concerns one group
 *   (its messages, membership changes, updates, online counts) has the group's
 *   conversation id, so a new member is known before the group's next message;
 *   a read receipt has its conversation's id; other events have their first
 *   recipient's id, and every kick one key.
 * - `append()` resolves only once the records are durable: on Kafka when the
 *   in-sync replicas have them (acks=all); in the in-process log, which has no
 *   storage of its own, once the consumer has processed them, so the store is
 *   what makes them durable. It rejects with `unavailable` when it cannot.
 * - Delivery to the consumer is at least once: a batch whose handler throws is
 *   handed over again, so handlers must be idempotent (task's store is, on message id).
 * - `close()` stops taking appends, lets the batch in progress finish, and
 *   rejects what was never consumed.
 */
import { type AcceptedMessage, groupConversationId, type ServerFrame } from "../types.ts";

/** A change to a group's membership that connect servers must apply to their group nodes. */
export interface MembershipChange {
  groupId: string;
  added: string[];
  removed: string[];
}

/**
 * One record of the log. A `group_event` goes to a group's online members as
 * one push item, fanned out by the connect servers' group nodes (no member
 * list per event).
 */
export type LogRecord =
  /**
   * A group's system message may carry the membership change it records: task
   * pushes the message to the group as it was (so a removed member gets it), then
   * applies the change, then pushes it to the members added (PROTOCOL.md: a member
   * removed at seq N receives nothing after N, one added at N everything from N).
   */
  | {
    type: "message";
    message: AcceptedMessage;
    membership?: MembershipChange;
    /** The send's trace context (W3C traceparent); a Kafka header, not part of the value. */
    trace?: string;
  }
  | { type: "event"; userIds: string[]; frame: ServerFrame; membership?: MembershipChange }
  | { type: "group_event"; groupId: string; frame: ServerFrame }
  | { type: "kick"; tokenHashes: string[] };

/** Handles one batch of records; throwing makes the log hand the batch over again. */
export type LogHandler = (batch: LogRecord[]) => Promise<void>;

/** The ordering key of a record. */
export function recordKey(record: LogRecord): string {
  if (record.type === "message") return record.message.conversationId;
  if (record.type === "group_event") return groupConversationId(record.groupId);
  if (record.type === "event") {
    const groupId = record.membership?.groupId ?? groupOf(record.frame);
    if (groupId !== undefined) return groupConversationId(groupId);
    // A read receipt follows the messages it reports.
    if (record.frame.op === "read") return record.frame.conversationId;
    return record.userIds[0] ?? "";
  }
  return "kick";
}

function groupOf(frame: ServerFrame): string | undefined {
  if (frame.op === "group_update") return frame.group.id;
  if (frame.op === "group_join_request") return frame.request.groupId;
  if (
    frame.op === "group_online" || frame.op === "group_removed" ||
    frame.op === "group_join_request_closed"
  ) return frame.groupId;
  return undefined;
}

/** The message log port. */
export interface MessageLog {
  append(records: LogRecord[]): Promise<void>;
  /**
   * Starts handing batches to `handler`; one consumer per log instance. The handler runs in the
   * async context of this call, never in an appender's (whose trace is not the batch's).
   */
  consume(handler: LogHandler): void;
  /** Resolves when the log can take appends; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
