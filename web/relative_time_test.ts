/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import { lastSeen, relativeTime } from "./relative_time.ts";

const at = (y: number, mo: number, d: number, h = 0, mi = 0) =>
  new Date(y, mo - 1, d, h, mi).getTime();
const now = at(2026, 12, 3, 16, 30);

Deno.test("relativeTime() says minutes within the hour", () => {
  assertEquals(relativeTime(now - 20_000, now), "just now");
  assertEquals(relativeTime(now - 5 * 60_000, now), "5 min ago");
  assertEquals(relativeTime(now - 59 * 60_000 - 59_000, now), "59 min ago");
  // A clock a little ahead of ours is still "just now".
  assertEquals(relativeTime(now + 3000, now), "just now");
});

Deno.test("relativeTime() says today, yesterday, then the date", () => {
  assertEquals(relativeTime(at(2026, 12, 3, 14, 2), now), "today at 14:02");
  assertEquals(relativeTime(at(2026, 12, 3, 0, 0), now), "today at 0:00");
  assertEquals(relativeTime(at(2026, 12, 2, 23, 59), now), "yesterday at 23:59");
  assertEquals(relativeTime(at(2026, 12, 2, 9, 5), now), "yesterday at 9:05");
  assertEquals(relativeTime(at(2026, 12, 1, 23, 0), now), "on 1 Dec");
  assertEquals(relativeTime(at(2026, 3, 14, 8), now), "on 14 Mar");
  assertEquals(relativeTime(at(2025, 12, 3, 8), now), "on 3 Dec 2025");
});

Deno.test("lastSeen() reads only a number of milliseconds", () => {
  assertEquals(lastSeen(now - 5 * 60_000, now), "last seen 5 min ago");
  assertEquals(lastSeen(at(2026, 12, 3, 14, 2), now), "last seen today at 14:02");
  assertEquals(lastSeen(at(2026, 12, 1, 10), now), "last seen on 1 Dec");
  assertEquals(lastSeen(null, now), "");
  assertEquals(lastSeen(undefined, now), "");
});
