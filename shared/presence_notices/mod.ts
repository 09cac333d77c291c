/**
 * The presence notices port: what every task process shares so that a user's
 * friends hear only of changes they were not told, and a group's online count
 * goes out at most once a window whatever the churn.
 *
 * Contract (times are the callers' clocks, in ms):
 * - Friends are told a user is online at most once until they are told the
 *   user went offline: `online()` answers true only then.
 * - An offline waits: `offline()` records it with the time it is due; an
 *   `online()` before then cancels it, and the friends hear nothing of either.
 *   `takeOffline()` hands each due offline to one caller, who tells the friends
 *   and then calls `toldOffline()`; one not confirmed so is handed out again
 *   once its lease ends (its taker died), unless the user came back meanwhile.
 * - A group's count: `groupChanged()` answers 0 when no window of the group is
 *   open (the caller sends the count now and a window opens), otherwise the end
 *   of the open window, and the group is due then. `takeGroups()` hands each
 *   due group to one caller, who sends its count now (a new window opens). A
 *   window lasts until its count went out (`groupSent()`) and a window after
 *   that; a change that opens a window takes a count due from the last one
 *   with it. So at most one count goes out per group per window, and a change
 *   inside a window is followed by a count at its end.
 * - The count itself is kept, not worked out from every member each time:
 *   `groupChanged()` also records which users changed, `takeChanged()` hands
 *   them to the one caller counting, who tells `updateCount()` which of them
 *   are online members now. A count is kept for `ttlMs` from its
 *   `resetCount()`; after that `updateCount()` answers null and the caller
 *   counts every member again, so a count a lost change made wrong is right
 *   again within `ttlMs`.
 */

/**
 * A window opened for a count stays open until the count has gone out (`groupSent()`), so that a
 * count slow to work out is not followed at once by another; if it never goes out (its task
 * process died), the window ends this many windows after it opened.
 */
export const IN_FLIGHT_WINDOWS = 10;

/** An offline announcement handed to one caller. */
export interface DueOffline {
  userId: string;
  /** When the user went offline (their `lastSeenAt`). */
  at: number;
  /** The lease: given back to `toldOffline()` once the friends were told. */
  lease: number;
}

/** The presence notices port. */
export interface PresenceNotices {
  /**
   * The user is online: cancels an offline still waiting; true when the friends
   * must be told (they were not told the user is online, or were told offline).
   */
  online(userId: string): Promise<boolean>;
  /**
   * Telling the friends that the user is online failed after `online()` answered true: the next
   * `online()` (the status change tried again) answers true again.
   */
  onlineUntold(userId: string): Promise<void>;
  /** The user went offline at `at`; their friends are to be told at `due` unless they come back. */
  offline(userId: string, at: number, due: number): Promise<void>;
  /** Up to `limit` offlines due at `now`, each handed to this caller until `now + leaseMs`. */
  takeOffline(now: number, limit: number, leaseMs: number): Promise<DueOffline[]>;
  /** The friends were told of a taken offline: it is done, unless a newer one replaced it. */
  toldOffline(userId: string, lease: number): Promise<void>;
  /**
   * Users of a group came, went, joined or left: 0 to send its count now, else
   * when its window ends.
   */
  groupChanged(
    groupId: string,
    userIds: readonly string[],
    now: number,
    windowMs: number,
  ): Promise<number>;
  /** Users joined or left a group: its next count (not sooner) reads them again. */
  markChanged(groupId: string, userIds: readonly string[]): Promise<void>;
  /** The users named since the last call, for the caller counting the group. */
  takeChanged(groupId: string): Promise<string[]>;
  /**
   * Changes the kept count of a group (`online`: members online now, `offline`:
   * the others); its new value, or null when none is kept (count every member).
   */
  updateCount(
    groupId: string,
    online: readonly string[],
    offline: readonly string[],
    now: number,
  ): Promise<number | null>;
  /** Keeps the count of a group counted afresh (its online members), for `ttlMs`. */
  resetCount(groupId: string, online: readonly string[], now: number, ttlMs: number): Promise<void>;
  /**
   * The count of a group went out at `now`: its window runs from then at the
   * earliest, so a count slow to work out does not bring the next one closer.
   */
  groupSent(groupId: string, now: number, windowMs: number): Promise<void>;
  /** Up to `limit` groups whose window ended with a change in it: send their counts now. */
  takeGroups(now: number, windowMs: number, limit: number): Promise<string[]>;
  close(): Promise<void>;
}
