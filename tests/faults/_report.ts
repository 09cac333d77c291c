/**
 * What the fault scenarios share when they read back what the system stored: whole histories,
 * reads retried while a killed process comes back, and a report's tally of problems.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries a read while the system recovers: every 500 ms, `attempts` times at most. */
export async function retried<T>(read: () => Promise<T>, attempts = 40): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(500);
    }
  }
}

/** Every stored entry of a conversation, in seq order, paged through history. */
export { everything as wholeHistory } from "../_groups.ts";

/** The keys of a report that count something. */
type Counts<R> = { [K in keyof R]: R[K] extends number ? K : never }[keyof R];

/** Counts a problem of one kind in a report, and keeps its description in `details`. */
export function problemsOf<R extends { details: string[] }>(
  report: R,
): (kind: Counts<R>, detail: string) => void {
  const counts = report as unknown as Record<string, number>;
  return (kind, detail) => {
    counts[kind as string] += 1;
    report.details.push(detail);
  };
}
