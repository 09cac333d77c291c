/**
 * ConnectService: what task calls on a connect server to reach connections.
 * In-process it is the object `createConnect()` returns; in a cluster, a gRPC client.
 */
import type { MembershipChange } from "../message_log/mod.ts";

/** A message push: kept pending per connection until acked, redelivered otherwise. */
export interface PushAck {
  conversationId: string;
  seq: number;
}

/**
 * One frame to deliver to users, or to a group's local online members; `except`
 * leaves one member out (a typist does not hear their own typing).
 */
export type PushItem =
  & (
    | { userIds: string[]; frame: string; ack?: PushAck; membership?: MembershipChange }
    | { groupId: string; frame: string; ack?: PushAck; except?: string }
  )
  & {
    /** The trace context of the message pushed (W3C traceparent, shared/trace.ts), if any. */
    traceparent?: string;
  };

/** The connect service. */
export interface ConnectService {
  /** Delivers a batch of frames, in order, to the connections this server holds. */
  push(items: PushItem[]): Promise<void>;
  /** Closes, with 4401, every connection authenticated by one of these token hashes. */
  kick(tokenHashes: string[]): Promise<void>;
}

/** The live connect servers and how to reach each: what task pushes through. */
export interface ConnectDirectory {
  connectServers(): string[];
  connect(serverId: string): ConnectService | undefined;
}
