/**
 * Whose presence a viewer sees (PROTOCOL.md, Privacy and Blocking): their own,
 * and their friends', except a friend who blocked them. Its own module, without
 * imports of logic, so any view (user, friend list, member list) can use it.
 */
import type { FriendStore } from "../shared/store/mod.ts";

/**
 * Of `ids`, those whose presence (`online`, `lastSeenAt`) `viewerId` may see:
 * the viewer themselves, and their friends who have not blocked them. One query
 * (`FriendStore.pairs` leaves out the pairs whose second user blocked the first).
 */
export async function presenceShownTo(
  store: { friends: Pick<FriendStore, "pairs"> },
  viewerId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const others = [...new Set(ids)].filter((id) => id !== viewerId);
  const found = await store.friends.pairs(others.map((id) => [viewerId, id] as const));
  const shown = new Set(others.filter((id) => found.has(`${viewerId}:${id}`)));
  if (ids.includes(viewerId)) shown.add(viewerId);
  return shown;
}
