/**
 * What clients see of stored rows: the one place a media id becomes the URL the
 * api serves it at (`GET /api/media/:id`). The store keeps ids only.
 */
import type { GroupRow, MediaRow, UserRow } from "../shared/store/mod.ts";
import type { Group, MediaInfo, User } from "../shared/types.ts";

/** The URL path of a media id. */
export function mediaUrl(mediaId: string): string {
  return `/api/media/${mediaId}`;
}

/** A stored user as clients see it. */
export function userView({ id, username, nickname, avatarMediaId }: UserRow): User {
  return { id, username, nickname, avatar: avatarMediaId ? mediaUrl(avatarMediaId) : null };
}

/** A stored group as clients see it. */
export function groupView(row: GroupRow): Group {
  const { id, name, avatarMediaId, ownerId, memberCount, createdAt, history } = row;
  const avatar = avatarMediaId ? mediaUrl(avatarMediaId) : null;
  return { id, name, avatar, ownerId, memberCount, createdAt, history };
}

/** Stored media metadata as clients see it. */
export function mediaView({ id, contentType, size, width, height }: MediaRow): MediaInfo {
  return { id, url: mediaUrl(id), contentType, size, width, height };
}
