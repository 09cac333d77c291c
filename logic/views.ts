/**
 * What clients see of stored rows: the one place a media id becomes the URL the
 * api serves it at (`GET /api/media/:id`). The store keeps ids only.
 */
import type {
  AccountStore,
  FriendStore,
  GroupRow,
  MediaRow,
  MemberRow,
  UserRow,
} from "../shared/store/mod.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { Group, GroupMember, MediaInfo, User } from "../shared/types.ts";
import { presenceShownTo } from "./presence_shown.ts";

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
  const { notice, joinPolicy, muted } = row;
  const avatar = avatarMediaId ? mediaUrl(avatarMediaId) : null;
  return { id, name, avatar, ownerId, memberCount, createdAt, history, notice, joinPolicy, muted };
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

/**
 * Members as `viewerId` sees them: a mute already past shows as none, and
 * `online` only for the viewer and their friends who have not blocked them
 * (presence is for friends).
 * Members whose account is gone drop out. Three lookups for the whole list.
 */
export async function memberViews(
  { presence, store, now }: {
    presence: Presence;
    store: { accounts: AccountStore; friends: FriendStore };
    now: () => number;
  },
  viewerId: string,
  rows: readonly MemberRow[],
): Promise<{ members: GroupMember[]; online: Set<string> }> {
  const ids = rows.map((r) => r.userId);
  const [users, online, visible] = await Promise.all([
    store.accounts.users(ids),
    presence.online(ids),
    presenceShownTo(store, viewerId, ids),
  ]);
  const byId = new Map(users.map((u) => [u.id, userView(u)]));
  const at = now();
  const members = rows.flatMap(({ userId, role, mutedUntil }) => {
    const user = byId.get(userId);
    if (!user) return [];
    const muted = mutedUntil !== null && mutedUntil > at ? mutedUntil : null;
    const presence = visible.has(userId) ? { online: online.has(userId) } : {};
    return [{ user, role, mutedUntil: muted, ...presence }];
  });
  return { members, online };
}
