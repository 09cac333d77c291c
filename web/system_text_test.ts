/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { SystemContent } from "../client/mod.ts";
import { systemText } from "./system_text.ts";

const NAMES = {
  me: "9",
  nameOf: (id: string) => ({ "1": "Alice", "2": "Bob", "3": "Carol" })[id] ?? "Someone",
};
const CLOCK = { locale: "en-GB", timeZone: "UTC" };
const NOW = Date.UTC(2026, 11, 2, 13, 0);

function line(content: Omit<SystemContent, "type">, sentAt = NOW): string {
  return systemText({ type: "system", ...content }, sentAt, NAMES, NOW, CLOCK);
}

Deno.test("systemText() says who did what to whom, the reader as you", () => {
  assertEquals(line({ event: "created", by: "1" }), "Alice created the group");
  assertEquals(line({ event: "joined", userId: "3", by: "3" }), "Carol joined");
  assertEquals(line({ event: "joined", userId: "9", by: "1" }), "Alice added you");
  assertEquals(line({ event: "left", userId: "2", by: "2" }), "Bob left");
  assertEquals(line({ event: "removed", userId: "2", by: "9" }), "You removed Bob");
  assertEquals(
    line({ event: "role", userId: "2", by: "1", value: "admin" }),
    "Alice made Bob an admin",
  );
  assertEquals(
    line({ event: "role", userId: "2", by: "1", value: "member" }),
    "Alice removed Bob as admin",
  );
  assertEquals(line({ event: "transferred", userId: "9", by: "1" }), "Alice made you the owner");
  assertEquals(
    line({ event: "renamed", by: "1", value: "Climbers" }),
    "The group was renamed to “Climbers” by Alice",
  );
  assertEquals(
    line({ event: "renamed", by: "9", value: "Climbers" }),
    "You renamed the group to “Climbers”",
  );
  assertEquals(
    line({ event: "notice", by: "1", value: "Ropes" }),
    "Alice changed the group notice",
  );
  assertEquals(line({ event: "notice", by: "1", value: "" }), "Alice removed the group notice");
  assertEquals(
    line({ event: "policy", by: "2", value: "approval" }),
    "Bob made joining need approval by the owner or an admin",
  );
  assertEquals(
    line({ event: "policy", by: "2", value: "all" }),
    "Bob let new members read the whole history",
  );
});

Deno.test("systemText() says until when a member is muted: the time today, the date later, or until unmuted", () => {
  const today = String(Date.UTC(2026, 11, 2, 14, 5));
  assertEquals(
    line({ event: "muted", userId: "2", by: "1", value: today }),
    "Bob was muted until 14:05",
  );
  assertEquals(
    line({ event: "muted", userId: "9", by: "1", value: today }),
    "You were muted until 14:05",
  );
  const tomorrow = String(Date.UTC(2026, 11, 3, 13, 0));
  assertEquals(
    line({ event: "muted", userId: "2", by: "1", value: tomorrow }),
    "Bob was muted until Thursday, 3 December 2026 at 13:00",
  );
  const year = String(NOW + 365 * 86_400_000);
  assertEquals(
    line({ event: "muted", userId: "2", by: "1", value: year }),
    "Bob was muted until unmuted",
  );
  assertEquals(line({ event: "muted", userId: "2", by: "1" }), "Bob was unmuted");
  assertEquals(
    line({ event: "muted", by: "1", value: "on" }),
    "Alice muted the group: only the owner and admins can send",
  );
  assertEquals(
    line({ event: "muted", by: "1", value: "off" }),
    "Alice unmuted the group: everyone can send",
  );
});
