/** Where a caller stands in a conversation: the one check of every conversation route. */
import { AppError } from "../shared/errors.ts";
import type { GroupRow } from "../shared/store/mod.ts";
import { privateConversationId } from "../shared/types.ts";
import type { LogicStore } from "./context.ts";

/** Where a caller stands in a conversation: the seq above which they read, and its other side. */
export interface Participation {
  floor: number;
  /** The other user of a private chat. */
  peerId?: string;
  /** The group of a group conversation. */
  group?: GroupRow;
}

/**
 * Checks the caller takes part in a conversation; resolves with where they stand
 * in it. A malformed id or an unknown group is `not_found`; someone else's
 * private chat, or a group the caller is not a member of (now), `forbidden`.
 */
export async function participant(
  store: Pick<LogicStore, "groups">,
  userId: string,
  conversationId: string,
): Promise<Participation> {
  const priv = /^u:([1-9][0-9]{0,18}):([1-9][0-9]{0,18})$/.exec(conversationId);
  if (priv) {
    if (privateConversationId(priv[1], priv[2]) !== conversationId || priv[1] === priv[2]) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    if (priv[1] !== userId && priv[2] !== userId) {
      throw new AppError(
        "forbidden",
        `Cannot read conversation "${conversationId}": not a participant`,
      );
    }
    return { floor: 0, peerId: priv[1] === userId ? priv[2] : priv[1] };
  }
  const match = /^g:([1-9][0-9]{0,18})$/.exec(conversationId);
  if (!match) {
    throw new AppError("not_found", `Cannot find conversation "${conversationId.slice(0, 60)}"`);
  }
  const group = await store.groups.get(match[1]);
  if (!group) {
    throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
  }
  const floor = await store.groups.historyFloor(group.id, userId);
  if (floor === null) {
    throw new AppError("forbidden", `Cannot read conversation "${conversationId}": not a member`);
  }
  return { floor, group };
}
