/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import { deviceName, lastActive } from "./user_agent.ts";

Deno.test("deviceName() names browser and system in plain words", () => {
  const cases: [string, string][] = [
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
      "Chrome on Linux",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      "Safari on iPhone",
    ],
    ["Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0", "Firefox on Android"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
      "Safari on Mac",
    ],
    ["Deno/2.1.4", "An app (Deno)"],
    ["curl/8.5.0", "Another app"],
    ["", "Unknown device"],
  ];
  for (const [agent, name] of cases) assertEquals(deviceName(agent), name, agent);
});

Deno.test("lastActive() says now for the last two minutes, then minutes, then the time", () => {
  const now = Date.UTC(2026, 0, 1, 12);
  assertEquals(lastActive(now - 90_000, now), "Active now");
  assertEquals(lastActive(now - 5 * 60_000, now), "Last active 5 minutes ago");
  assertEquals(lastActive(now - 3 * 3600_000, now).startsWith("Last active "), true);
});
