/**
 * Times and dates as people read them. Each function takes the instant, and where the answer
 * depends on it the present (`now`), and the locale and time zone to write in; both default to the
 * browser's, and the tests pass fixed ones so they never depend on the machine.
 */

/** The locale and time zone to write in; undefined fields are the browser's. */
export interface Clock {
  locale?: string;
  timeZone?: string;
}

const DAY_MS = 86_400_000;

/** Formatters already made: making one costs far more than using it, and a list uses many. */
const made = new Map<string, Intl.DateTimeFormat>();

function formatter(options: Intl.DateTimeFormatOptions, { locale, timeZone }: Clock) {
  const key = JSON.stringify([locale, timeZone, options]);
  let format = made.get(key);
  if (!format) made.set(key, format = new Intl.DateTimeFormat(locale, { ...options, timeZone }));
  return format;
}

/** The calendar day of an instant in the clock's time zone, as a count of days since 1970. */
export function dayNumber(ms: number, clock: Clock = {}): number {
  const parts = formatter({ year: "numeric", month: "numeric", day: "numeric" }, {
    ...clock,
    locale: "en-US",
  }).formatToParts(ms);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.round(Date.UTC(part("year"), part("month") - 1, part("day")) / DAY_MS);
}

/** The time of day, hours and minutes: "14:05" or "2:05 PM" by locale. */
export function timeOfDay(ms: number, clock: Clock = {}): string {
  return formatter({ timeStyle: "short" }, clock).format(ms);
}

/** The full date and time: "Tuesday, 1 December 2026 at 14:05" by locale. */
export function fullDateTime(ms: number, clock: Clock = {}): string {
  return formatter({ dateStyle: "full", timeStyle: "short" }, clock).format(ms);
}

/** A date without the time; the year only when it is not the present's. */
export function shortDate(ms: number, now: number, clock: Clock = {}): string {
  const sameYear = formatter({ year: "numeric" }, clock).format(ms) ===
    formatter({ year: "numeric" }, clock).format(now);
  return formatter(
    sameYear
      ? { month: "short", day: "numeric" }
      : { year: "numeric", month: "short", day: "numeric" },
    clock,
  ).format(ms);
}

/** How many calendar days before the present an instant is (0: today, 1: yesterday). */
export function daysAgo(ms: number, now: number, clock: Clock = {}): number {
  return dayNumber(now, clock) - dayNumber(ms, clock);
}

/** The label of a day separator: "Today", "Yesterday", a weekday of this week, else the date. */
export function dayLabel(ms: number, now: number, clock: Clock = {}): string {
  const ago = daysAgo(ms, now, clock);
  if (ago === 0) return "Today";
  if (ago === 1) return "Yesterday";
  if (ago > 1 && ago < 7) return formatter({ weekday: "long" }, clock).format(ms);
  return formatter(
    { weekday: "short", year: "numeric", month: "short", day: "numeric" },
    clock,
  ).format(ms);
}

/** The time in the chat list: the time today, then "Yesterday", a weekday this week, a date. */
export function listTime(ms: number, now: number, clock: Clock = {}): string {
  const ago = daysAgo(ms, now, clock);
  if (ago === 0) return timeOfDay(ms, clock);
  if (ago === 1) return "Yesterday";
  if (ago > 1 && ago < 7) return formatter({ weekday: "short" }, clock).format(ms);
  return shortDate(ms, now, clock);
}
