/**
 * The group port's changes of membership on SQL, each one transaction that
 * first locks the group's row, so that changes of one group take turns:
 * concurrent joins cannot overshoot the size limit, of two removals of one
 * member one removes and the other finds no member, and a leaving owner's heir
 * cannot leave at the same moment unnoticed. (Changes of one member's role or
 * mute are single conditional updates, which the member's row orders.)
 */
import { AppError } from "../errors.ts";
import type { Content } from "../types.ts";
import type { SqlDriver } from "./driver.ts";
import type { JoinRequestRow, Removal } from "./mod.ts";
import { unindexConversation } from "./sql_search.ts";

/** Locks a group's row for the rest of the transaction; whether the group exists. */
async function lockGroup(tx: SqlDriver, groupId: string): Promise<boolean> {
  const rows = await tx.query("SELECT id FROM groups WHERE id = $1 FOR UPDATE", [groupId]);
  return rows.length > 0;
}

/**
 * Adds members to a locked group, skipping present ones, each with the
 * conversation's last seq as their join seq; the ids added. Fails `forbidden`
 * when the group would then have more than `maxSize` members.
 */
async function insertMembers(
  tx: SqlDriver,
  groupId: string,
  userIds: readonly string[],
  maxSize: number,
  joinedAt: number,
): Promise<string[]> {
  const added = await tx.query<{ user_id: string }>(
    `INSERT INTO group_members (group_id, user_id, role, joined_at, join_seq)
     SELECT $1, x, 'member', $2,
       COALESCE((SELECT c.last_seq FROM conversations c WHERE c.id = 'g:' || $1::bigint), 0)
     FROM unnest($3::bigint[]) AS t(x)
     WHERE true -- (SQLite parses ON CONFLICT after a SELECT only behind a WHERE)
     ON CONFLICT DO NOTHING RETURNING user_id`,
    [groupId, joinedAt, [...new Set(userIds)]],
  );
  const [{ n }] = await tx.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM group_members WHERE group_id = $1",
    [groupId],
  );
  if (Number(n) > maxSize) {
    throw new AppError(
      "forbidden",
      `Cannot add members to group "${groupId}": the group is full (${maxSize})`,
    );
  }
  return added.map((r) => String(r.user_id));
}

/** See `GroupStore.addMembers`. */
export function addMembers(
  db: SqlDriver,
  groupId: string,
  userIds: readonly string[],
  maxSize: number,
  joinedAt: number,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    if (!await lockGroup(tx, groupId)) {
      throw new AppError("not_found", `Cannot add members to group "${groupId}": no such group`);
    }
    return await insertMembers(tx, groupId, userIds, maxSize, joinedAt);
  });
}

/**
 * Deletes a group and what only it had: members, join requests, and its
 * conversation (messages with their mention rows and own media, read marks).
 * The ids of those who were members, in order of joining.
 */
async function disbandLocked(tx: SqlDriver, groupId: string): Promise<string[]> {
  const conversationId = `g:${groupId}`;
  // The conversation's row first: a save locks it before the member rows a joined
  // line updates, so taking them in the same order cannot deadlock with one.
  await tx.query("DELETE FROM conversations WHERE id = $1", [conversationId]);
  const members = await tx.query<{ user_id: string }>(
    "SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY joined_at, user_id",
    [groupId],
  );
  await tx.query("DELETE FROM group_members WHERE group_id = $1", [groupId]);
  await tx.query("DELETE FROM group_join_requests WHERE group_id = $1", [groupId]);
  // An image's or file's own media (the copy its save made) goes with it, as on a recall.
  const withMedia = await tx.query<{ id: string; content: string }>(
    `SELECT m.id, m.content FROM messages m
     WHERE m.conversation_id = $1 AND m.kind = 'message' AND m.content LIKE '%"mediaId":%'`,
    [conversationId],
  );
  const owned = withMedia.flatMap((m) => {
    const content = JSON.parse(m.content) as Content;
    return content.type === "image" || content.type === "file"
      ? [{ messageId: String(m.id), mediaId: content.mediaId }]
      : [];
  });
  if (owned.length > 0) {
    const deleted = await tx.query<{ sha256: string }>(
      `DELETE FROM media WHERE id = ANY($1::text[]) AND message_id = ANY($2::bigint[])
       RETURNING sha256`,
      [owned.map((o) => o.mediaId), owned.map((o) => o.messageId)],
    );
    if (deleted.length > 0) {
      await tx.query(
        `DELETE FROM media_blobs WHERE sha256 = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = media_blobs.sha256)`,
        [[...new Set(deleted.map((d) => d.sha256))]],
      );
    }
  }
  await tx.query("DELETE FROM mentions WHERE conversation_id = $1", [conversationId]);
  await tx.query("DELETE FROM read_marks WHERE conversation_id = $1", [conversationId]);
  // The members' own settings of it, by the primary key (those who left before keep a row no
  // list shows: group ids are never reused).
  await tx.query(
    "DELETE FROM conversation_settings WHERE user_id = ANY($1::bigint[]) AND conversation_id = $2",
    [members.map((m) => String(m.user_id)), conversationId],
  );
  // SQLite finds the entries through the messages; PostgreSQL by conversation, after the
  // messages' delete waited for any indexer batch that holds one of them (sql_search.ts).
  if (tx.dialect === "sqlite") await unindexConversation(tx, conversationId);
  await tx.query("DELETE FROM messages WHERE conversation_id = $1", [conversationId]);
  if (tx.dialect !== "sqlite") await unindexConversation(tx, conversationId);
  await tx.query("DELETE FROM groups WHERE id = $1", [groupId]);
  return members.map((m) => String(m.user_id));
}

/** See `GroupStore.disband`. */
export function disband(db: SqlDriver, groupId: string): Promise<string[]> {
  return db.transaction(async (tx) =>
    (await lockGroup(tx, groupId)) ? await disbandLocked(tx, groupId) : []
  );
}

/** See `GroupStore.removeMember`. */
export function removeMember(db: SqlDriver, groupId: string, userId: string): Promise<Removal> {
  return db.transaction(async (tx) => {
    await lockGroup(tx, groupId);
    const [leaving] = await tx.query<{ role: string }>(
      "SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2",
      [groupId, userId],
    );
    if (!leaving) return { removed: false };
    const [heir] = await tx.query<{ user_id: string }>(
      `SELECT user_id FROM group_members WHERE group_id = $1 AND user_id <> $2
       ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1`,
      [groupId, userId],
    );
    if (!heir) {
      await disbandLocked(tx, groupId);
      return { removed: true, disbanded: true };
    }
    await tx.query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2", [
      groupId,
      userId,
    ]);
    if (leaving.role !== "owner") return { removed: true };
    const newOwner = String(heir.user_id);
    await tx.query(
      "UPDATE group_members SET role = 'owner' WHERE group_id = $1 AND user_id = $2",
      [groupId, newOwner],
    );
    await tx.query("UPDATE groups SET owner_id = $2 WHERE id = $1", [groupId, newOwner]);
    return { removed: true, newOwner };
  });
}

/** See `GroupStore.transfer`. */
export function transfer(
  db: SqlDriver,
  groupId: string,
  fromId: string,
  toId: string,
): Promise<boolean> {
  if (fromId === toId) return Promise.resolve(false);
  return db.transaction(async (tx) => {
    if (!await lockGroup(tx, groupId)) return false;
    const rows = await tx.query<{ user_id: string; role: string }>(
      "SELECT user_id, role FROM group_members WHERE group_id = $1 AND user_id = ANY($2::bigint[])",
      [groupId, [fromId, toId]],
    );
    const role = new Map(rows.map((r) => [String(r.user_id), r.role]));
    if (role.get(fromId) !== "owner" || !role.has(toId)) return false;
    await tx.query(
      "UPDATE group_members SET role = 'admin' WHERE group_id = $1 AND user_id = $2",
      [groupId, fromId],
    );
    await tx.query(
      "UPDATE group_members SET role = 'owner' WHERE group_id = $1 AND user_id = $2",
      [groupId, toId],
    );
    await tx.query("UPDATE groups SET owner_id = $2 WHERE id = $1", [groupId, toId]);
    return true;
  });
}

/** A group_join_requests row. */
type RequestDbRow = { id: string; group_id: string; user_id: string; created_at: string };

function toRequest(row: RequestDbRow): JoinRequestRow {
  return {
    id: String(row.id),
    groupId: String(row.group_id),
    userId: String(row.user_id),
    createdAt: Number(row.created_at),
  };
}

/** See `GroupStore.addRequest`; fails `not_found` for an unknown group. */
export async function addRequest(db: SqlDriver, row: JoinRequestRow): Promise<JoinRequestRow> {
  // One statement: of two requests at once, the second finds and returns the first.
  const missing = () =>
    new AppError("not_found", `Cannot ask to join group "${row.groupId}": no such group`);
  const rows = await db.query<RequestDbRow>(
    `INSERT INTO group_join_requests (id, group_id, user_id, created_at)
     SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint
     WHERE EXISTS (SELECT 1 FROM groups WHERE id = $2::bigint)
     ON CONFLICT (group_id, user_id) DO UPDATE SET id = group_join_requests.id
     RETURNING id, group_id, user_id, created_at`,
    [row.id, row.groupId, row.userId, row.createdAt],
  ).catch((error) => {
    // On PostgreSQL a disband between the check and the insert fails the group's foreign key.
    throw (error as { cause?: { code?: string } }).cause?.code === "23503" ? missing() : error;
  });
  if (!rows[0]) throw missing();
  return toRequest(rows[0]);
}

/** See `GroupStore.requests`. */
export async function requests(db: SqlDriver, groupId: string): Promise<JoinRequestRow[]> {
  const rows = await db.query<RequestDbRow>(
    `SELECT id, group_id, user_id, created_at FROM group_join_requests WHERE group_id = $1
     ORDER BY created_at, id`,
    [groupId],
  );
  return rows.map(toRequest);
}

/** See `GroupStore.decideRequest`. */
export function decideRequest(
  db: SqlDriver,
  groupId: string,
  requestId: string,
  accept: boolean,
  maxSize: number,
  at: number,
): Promise<JoinRequestRow | null> {
  // A request id comes from a URL: one the engine cannot compare is no request.
  if (!/^\d{1,19}$/.test(requestId) || BigInt(requestId) > 0x7fffffffffffffffn) {
    return Promise.resolve(null);
  }
  return db.transaction(async (tx) => {
    if (!await lockGroup(tx, groupId)) return null;
    const [row] = await tx.query<RequestDbRow>(
      `DELETE FROM group_join_requests WHERE id = $1 AND group_id = $2
       RETURNING id, group_id, user_id, created_at`,
      [requestId, groupId],
    );
    if (!row) return null;
    // Past maxSize this throws, and the rollback keeps the request.
    if (accept) await insertMembers(tx, groupId, [String(row.user_id)], maxSize, at);
    return toRequest(row);
  });
}
