/**
 * Times relative to now, as people say them: "just now", "5 min ago", "today at 14:02",
 * "yesterday at 9:15", "on 3 Dec" (with the year when it is not this one). Local time.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function clock(date: Date): string {
  return `${date.getHours()}:${String(date.getMinutes()).padStart(2, "0")}`;
}

function dayStart(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** When `ms` was, seen from `now`. */
export function relativeTime(ms: number, now: number = Date.now()): string {
  const minutes = Math.floor((now - ms) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const date = new Date(ms);
  const today = dayStart(new Date(now));
  if (ms >= today) return `today at ${clock(date)}`;
  // The day before, measured by the calendar (a day may last 23 or 25 hours).
  const yesterday = dayStart(new Date(today - 1));
  if (ms >= yesterday) return `yesterday at ${clock(date)}`;
  const year = date.getFullYear() === new Date(now).getFullYear() ? "" : ` ${date.getFullYear()}`;
  return `on ${date.getDate()} ${MONTHS[date.getMonth()]}${year}`;
}

/** "last seen …" for an offline friend, or "" when the server did not say. */
export function lastSeen(lastSeenAt: number | null | undefined, now: number = Date.now()): string {
  return typeof lastSeenAt === "number" ? `last seen ${relativeTime(lastSeenAt, now)}` : "";
}
