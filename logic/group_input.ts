/** Checks of what clients send about groups: settings, member lists, avatars and mutes. */
import { AppError } from "../shared/errors.ts";
import type { Limits } from "../shared/config.ts";
import type { GroupHistory, JoinPolicy } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { checkId, checkMediaId, checkString } from "./validate.ts";

/** A history setting; undefined when absent. */
export function historyOf(value: unknown): GroupHistory | undefined {
  if (value === undefined || value === "all" || value === "since_join") return value;
  throw new AppError("invalid_argument", 'Invalid history: expected "all" or "since_join"');
}

/** A join policy; undefined when absent. */
export function joinPolicyOf(value: unknown): JoinPolicy | undefined {
  if (value === undefined || value === "open" || value === "approval" || value === "invite") {
    return value;
  }
  throw new AppError(
    "invalid_argument",
    'Invalid joinPolicy: expected "open", "approval" or "invite"',
  );
}

/** A boolean field; undefined when absent. */
export function booleanOf(value: unknown, field: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new AppError("invalid_argument", `Invalid ${field}: expected true or false`);
}

/** Control characters other than a line feed: a notice may have lines, nothing else invisible. */
const NOT_IN_NOTICE = /(?!\n)\p{Cc}/u;

/** A notice (0 to `groupNoticeMax` code points, lines allowed); undefined when absent. */
export function noticeOf(value: unknown, limits: Limits): string | undefined {
  if (value === undefined) return undefined;
  const notice = checkString(value, "notice", { min: 0, max: limits.groupNoticeMax });
  if (NOT_IN_NOTICE.test(notice)) {
    throw new AppError(
      "invalid_argument",
      "Invalid notice: must not contain control characters other than line feeds",
    );
  }
  return notice;
}

/**
 * A mute's end: an integer time (ms) after `now` and at most `muteMaxMs` after
 * it, or null (unmute); undefined when absent.
 */
export function mutedUntilOf(
  value: unknown,
  now: number,
  limits: Limits,
): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new AppError("invalid_argument", "Invalid mutedUntil: expected a time in ms, or null");
  }
  if (value <= now) {
    throw new AppError("invalid_argument", "Invalid mutedUntil: must be in the future");
  }
  if (value > now + limits.muteMaxMs) {
    const days = Math.floor(limits.muteMaxMs / 86_400_000);
    throw new AppError("invalid_argument", `Invalid mutedUntil: at most ${days} days ahead`);
  }
  return value;
}

/** A list of user ids, at most a group's size, without repeats. */
export function memberIdsOf(value: unknown, field: string, limits: Limits): string[] {
  if (!Array.isArray(value)) {
    throw new AppError("invalid_argument", `Invalid ${field}: expected an array of ids`);
  }
  if (value.length > limits.groupSize) {
    throw new AppError("invalid_argument", `Invalid ${field}: more than ${limits.groupSize} ids`);
  }
  return [...new Set(value.map((v, i) => checkId(v, `${field}[${i}]`)))];
}

/** The media id of an `avatar` field (null clears it); undefined when absent; `not_found` when unknown. */
export async function avatarOf(
  ctx: Context,
  body: Record<string, unknown>,
): Promise<string | null | undefined> {
  if (body.avatar === undefined || body.avatar === null) return body.avatar as null | undefined;
  const id = checkMediaId(body.avatar, "avatar");
  if (!await ctx.store.media.info(id)) {
    throw new AppError("not_found", `Cannot use avatar "${id}": no such media`);
  }
  return id;
}

/** Refuses to add anyone who is not the caller's friend. */
export async function mustBeFriends(ctx: Context, userId: string, ids: readonly string[]) {
  const friends = new Set(await ctx.store.friends.idsOf(userId));
  const strangers = ids.filter((id) => id !== userId && !friends.has(id));
  if (strangers.length > 0) {
    throw new AppError("forbidden", `Cannot add "${strangers[0]}" to a group: not your friend`);
  }
}
