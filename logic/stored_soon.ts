/**
 * Read-your-writes for references to messages. The log acknowledges a send before
 * task has stored it: moments later normally, seconds later while a task restarts.
 * A reply to, an edit or a recall of a message just sent must not fail in that gap,
 * so a lookup that misses a recently minted id waits for the store before it
 * answers that there is no such message.
 */
import { snowflakeTime } from "../shared/snowflake.ts";

/** Ids minted longer ago than this are stored or never will be: a miss answers at once. */
export const STORE_LAG_MS = 60_000;
/** How long a miss waits at most; well inside the 5 s deadline of a call between layers. */
export const STORE_WAIT_MS = 3_000;

/**
 * `lookUp()`, tried again while it finds nothing and `id` was minted within
 * {@link STORE_LAG_MS} of `now()`, for up to {@link STORE_WAIT_MS}. An id that is
 * not a snowflake (or is old) never waits.
 */
export async function storedSoon<T>(
  id: string,
  lookUp: () => Promise<T | null>,
  now: () => number = Date.now,
  waitMs = STORE_WAIT_MS,
): Promise<T | null> {
  let found = await lookUp();
  if (found !== null || !recent(id, now())) return found;
  // Real time, whatever clock `now` reads: the store catches up in real time.
  for (let waited = 0, pause = 20; found === null && waited < waitMs; pause *= 2) {
    const ms = Math.min(pause, 400, waitMs - waited);
    await new Promise((resolve) => setTimeout(resolve, ms));
    waited += ms;
    found = await lookUp();
  }
  return found;
}

function recent(id: string, now: number): boolean {
  if (!/^\d{1,20}$/.test(id)) return false;
  const minted = snowflakeTime(id);
  return minted <= now + 1_000 && now - minted <= STORE_LAG_MS;
}
