/**
 * One change of a group at a time. A change is a store write and then a log
 * append of its system messages; two changes of one group that interleave would
 * reach the log, and so get their seqs, in another order than the store made
 * them: a `muted` line before the `joined` line of the member it mutes, or a
 * `left` after the `joined` of the same member coming back, which would leave
 * connect's group nodes without a member the store has.
 *
 * Within a logic instance the changes of a group queue on a promise chain;
 * between instances each change also holds a dedupe key (Redis in a cluster).
 * The key lapses after {@link LOCK_TTL_MS}, so a logic that died holding it stops
 * the group's changes for no longer than that; a change still running then (a
 * log down for seconds) may be overtaken.
 */
import { AppError } from "../shared/errors.ts";
import type { Context } from "./context.ts";

/** How long a change holds its group at most. */
export const LOCK_TTL_MS = 5_000;
/** How long a change waits for its group before answering `unavailable`. */
export const LOCK_WAIT_MS = 4_000;

/** Runs a group's changes one at a time: `serialized(groupId, change)`. */
export function groupChanges(ctx: Context) {
  const tails = new Map<string, Promise<unknown>>();

  async function holding<T>(groupId: string, change: () => Promise<T>): Promise<T> {
    const key = `group-change:${groupId}`;
    const token = crypto.randomUUID();
    const until = Date.now() + LOCK_WAIT_MS;
    for (let pause = 5; await ctx.dedupe.claim(key, token, LOCK_TTL_MS) !== null; pause *= 2) {
      if (Date.now() > until) {
        throw new AppError(
          "unavailable",
          `Cannot change group "${groupId}" now: another change of it is under way; try again`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, 100)));
    }
    try {
      return await change();
    } finally {
      // Only our own: a key that lapsed and was taken by another change stays theirs.
      await ctx.dedupe.release(key, token).catch(() => {});
    }
  }

  return async function serialized<T>(groupId: string, change: () => Promise<T>): Promise<T> {
    const run = (tails.get(groupId) ?? Promise.resolve())
      .catch(() => {})
      .then(() => holding(groupId, change));
    tails.set(groupId, run);
    try {
      return await run;
    } finally {
      if (tails.get(groupId) === run) tails.delete(groupId);
    }
  };
}
