/**
 * What clients see of stored rows: the one place a media id becomes the URL the
 * api serves it at (`GET /api/media/:id`). The store keeps ids only.
 */
import type { AccountStore, GroupRow, MediaRow, UserRow } from "../shared/store/mod.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { Group, MediaInfo, User } from "../shared/types.ts";

/** The URL path of a media id. */
export function mediaUrl(mediaId: string): string {
  return `/api/media/${mediaId}`;
}

/** A stored user as clients see it. */
export function userView({ id, username, nickname, avatarMediaId }: UserRow): User {
  return { id, username, nickname, avatar: avatarMediaId ? mediaUrl(avatarMediaId) : null };
}

/** Whether a stored user is a deleted account (a live username is never empty). */
export function isDeleted(user: UserRow): boolean {
  return user.username === "";
}

/** A stored group as clients see it. */
export function groupView(row: GroupRow): Group {
  const { id, name, avatarMediaId, ownerId, memberCount, createdAt, history } = row;
  const avatar = avatarMediaId ? mediaUrl(avatarMediaId) : null;
  return { id, name, avatar, ownerId, memberCount, createdAt, history };
}

/** Stored media metadata as clients see it; a file's `name` only for a file. */
export function mediaView({ id, contentType, size, width, height, name }: MediaRow): MediaInfo {
  const info = { id, url: mediaUrl(id), contentType, size, width, height };
  return name === undefined || name === null ? info : { ...info, name };
}

/**
 * Users with their presence, for a caller who may see it (friends, oneself):
 * `online`, and in the user object `lastSeenAt`, null while online. Two lookups for the whole list.
 */
export async function withLastSeen(
  { presence, store }: { presence: Presence; store: { accounts: AccountStore } },
  users: User[],
): Promise<{ user: User; online: boolean }[]> {
  const online = await presence.online(users.map((u) => u.id));
  const seen = await store.accounts.lastSeen(
    users.filter((u) => !online.has(u.id)).map((u) => u.id),
  );
  return users.map((user) => ({
    user: { ...user, lastSeenAt: online.has(user.id) ? null : seen.get(user.id) ?? null },
    online: online.has(user.id),
  }));
}
