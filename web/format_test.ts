/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import {
  dayLabel,
  dayNumber,
  daysAgo,
  fullDateTime,
  listTime,
  shortDate,
  timeOfDay,
} from "./format.ts";

/** Tuesday 1 December 2026, 10:30 in London (UTC in winter). */
const NOW = Date.UTC(2026, 11, 1, 10, 30);
const LONDON = { locale: "en-GB", timeZone: "Europe/London" };
const NEW_YORK = { locale: "en-US", timeZone: "America/New_York" };
/** ICU puts a narrow no-break space before AM/PM in some versions, a plain one in others. */
const spaced = (text: string) => text.replace(/\s/gu, " ");
const at = (day: number, hour: number, minute = 0) => Date.UTC(2026, 11, day, hour, minute);

Deno.test("timeOfDay() writes hours and minutes in the locale and time zone given", () => {
  assertEquals(timeOfDay(at(1, 9, 5), LONDON), "09:05");
  assertEquals(spaced(timeOfDay(at(1, 14, 5), NEW_YORK)), "9:05 AM");
});

Deno.test("fullDateTime() has the weekday, the date, the year and the time", () => {
  assertEquals(
    fullDateTime(Date.UTC(2025, 0, 3, 18, 45), LONDON),
    "Friday, 3 January 2025 at 18:45",
  );
  assertEquals(
    spaced(fullDateTime(Date.UTC(2025, 0, 3, 18, 45), NEW_YORK)),
    "Friday, January 3, 2025 at 1:45 PM",
  );
});

Deno.test("dayLabel() says Today, Yesterday, the weekday within a week, else the date", () => {
  assertEquals(dayLabel(at(1, 0, 1), NOW, LONDON), "Today");
  assertEquals(dayLabel(at(1, 23, 59), NOW, LONDON), "Today");
  assertEquals(dayLabel(at(0, 23, 59), NOW, LONDON), "Yesterday"); // 30 November
  assertEquals(dayLabel(Date.UTC(2026, 10, 29, 12), NOW, LONDON), "Sunday");
  assertEquals(dayLabel(Date.UTC(2026, 10, 25, 12), NOW, LONDON), "Wednesday");
  assertEquals(dayLabel(Date.UTC(2026, 10, 24, 12), NOW, LONDON), "Tue, 24 Nov 2026");
  assertEquals(dayLabel(Date.UTC(2025, 5, 2, 12), NOW, NEW_YORK), "Mon, Jun 2, 2025");
});

Deno.test("dayLabel() counts calendar days in the time zone given, not in UTC", () => {
  // 03:00 UTC on 1 December is still 30 November, 22:00, in New York.
  const lateEvening = at(1, 3);
  assertEquals(dayLabel(lateEvening, NOW, LONDON), "Today");
  assertEquals(dayLabel(lateEvening, NOW, NEW_YORK), "Yesterday");
  assertEquals(daysAgo(lateEvening, NOW, NEW_YORK), 1);
  assertEquals(dayNumber(lateEvening, NEW_YORK) + 1, dayNumber(lateEvening, LONDON));
});

Deno.test("listTime() is the time today, then Yesterday, a weekday, a date", () => {
  assertEquals(listTime(at(1, 8, 15), NOW, LONDON), "08:15");
  assertEquals(listTime(at(0, 8, 15), NOW, LONDON), "Yesterday");
  assertEquals(listTime(Date.UTC(2026, 10, 27, 8), NOW, LONDON), "Fri");
  assertEquals(listTime(Date.UTC(2026, 9, 2, 8), NOW, LONDON), "2 Oct");
  assertEquals(listTime(Date.UTC(2024, 9, 2, 8), NOW, LONDON), "2 Oct 2024");
});

Deno.test("shortDate() names the year only when it is not this year's", () => {
  assertEquals(shortDate(Date.UTC(2026, 2, 9, 12), NOW, NEW_YORK), "Mar 9");
  assertEquals(shortDate(Date.UTC(2025, 2, 9, 12), NOW, NEW_YORK), "Mar 9, 2025");
});
