/** The events an ImClient emits, and the small typed emitter that delivers them. */
import type {
  ConversationSummary,
  JoinRequest,
  Message,
  ServerFrame,
  User,
} from "../shared/types.ts";

/** Events an ImClient emits. */
export interface ClientEvents {
  message: Message;
  /** `lastSeenAt`: when a friend who went offline was last connected. */
  presence: { userId: string; online: boolean; lastSeenAt?: number };
  group_online: { groupId: string; count: number };
  friend_request: Extract<ServerFrame, { op: "friend_request" }>["request"];
  /** A pending request to this user was withdrawn by its sender. */
  friend_request_cancelled: { requestId: string };
  friend_added: User;
  profile: User;
  group_update: Extract<ServerFrame, { op: "group_update" }>["group"];
  /**
   * This user is no longer in a group: they left (on another device too), were removed, or the
   * group was disbanded. Its history and sends are closed to them from now on.
   */
  group_removed: { groupId: string; reason: "left" | "removed" | "disbanded" };
  /** To a group's owner and admins: someone asked to join (an `approval` group). */
  group_join_request: JoinRequest;
  /** To a group's owner and admins: a join request was accepted, rejected, or closed by joining. */
  group_join_request_closed: { groupId: string; requestId: string };
  /** A participant's read mark advanced (another participant's, or this user's from another device). */
  read: { conversationId: string; userId: string; seq: number };
  /**
   * This user changed a conversation's settings (pinned, muted, hidden), here or on another
   * device: its summary as it is now (`applyConversationUpdate()` puts it into a kept list).
   */
  conversation_update: ConversationSummary;
  /** Another participant is typing (never this user's own devices); lasts a few seconds. */
  typing: { conversationId: string; userId: string };
  /** The applied view of a conversation changed: read it again with `client.view(id)`. */
  view: string;
  error: { code: string; message: string; ref?: string };
  /** Every frame as received, before any dedupe (for diagnostics and tests). */
  frame: ServerFrame;
  state: "connecting" | "open" | "closed";
  /** Every close of the socket, whether a reconnect follows or not. */
  closed: { code: number; reason: string };
  /** The server refused the token (4401: revoked, expired or logged out); the client stopped. */
  signed_out: { code: number; reason: string };
}

/** A subscriber to one event. */
export type Handler<T> = (value: T) => void;

/** Subscribers by event; `emit()` calls them in subscription order. */
export class Emitter {
  readonly #handlers = new Map<keyof ClientEvents, Set<Handler<never>>>();

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(event: K, handler: Handler<ClientEvents[K]>): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, set = new Set());
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  /** Calls every subscriber of `event` with `value`. */
  emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      (handler as Handler<ClientEvents[K]>)(value);
    }
  }
}
