/** The contract suite of the PresenceNotices port, run once per implementation. */
import { assert, assertEquals } from "../../tests/assert.ts";
import type { PresenceNotices } from "./mod.ts";

/** Runs the PresenceNotices contract against notices made by `open`. */
export function testPresenceNotices(
  name: string,
  open: () => Promise<PresenceNotices>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test({
    name: `${name}: friends are told online once, until they are told offline`,
    ignore,
  }, async () => {
    const notices = await open();
    try {
      assertEquals(await notices.online("u1"), true);
      assertEquals(await notices.online("u1"), false, "told already");
      await notices.onlineUntold("u1");
      assertEquals(await notices.online("u1"), true, "the telling failed: online is news again");
      await notices.offline("u1", 100, 1100);
      assertEquals(await notices.takeOffline(1099, 10, 5000), [], "not due yet");
      assertEquals(await notices.takeOffline(1100, 10, 5000), [
        { userId: "u1", at: 100, lease: 6100 },
      ]);
      assertEquals(await notices.takeOffline(1100, 10, 5000), [], "handed out once");
      await notices.toldOffline("u1", 6100);
      assertEquals(await notices.takeOffline(99_999, 10, 5000), [], "done: never again");
      assertEquals(await notices.online("u1"), true, "told offline: online is news again");
    } finally {
      await notices.close();
    }
  });

  Deno.test({
    name: `${name}: an online before the offline is due cancels it, and tells nothing`,
    ignore,
  }, async () => {
    const notices = await open();
    try {
      assertEquals(await notices.online("u2"), true);
      await notices.offline("u2", 100, 1100);
      assertEquals(await notices.online("u2"), false, "the friends never heard of the offline");
      assertEquals(await notices.takeOffline(5000, 10, 5000), [], "cancelled");
    } finally {
      await notices.close();
    }
  });

  Deno.test({
    name: `${name}: a taken offline not confirmed comes back when its lease ends`,
    ignore,
  }, async () => {
    const notices = await open();
    try {
      await notices.offline("u3", 100, 1000);
      assertEquals((await notices.takeOffline(1000, 10, 500)).map((d) => d.lease), [1500]);
      assertEquals(await notices.takeOffline(1499, 10, 500), []);
      assertEquals(await notices.takeOffline(1500, 10, 500), [
        { userId: "u3", at: 100, lease: 2000 },
      ]);
      // A newer offline replaces the one taken: confirming the old lease leaves it waiting.
      await notices.offline("u3", 1600, 2600);
      await notices.toldOffline("u3", 2000);
      assertEquals(await notices.takeOffline(2600, 10, 500), [
        { userId: "u3", at: 1600, lease: 3100 },
      ]);
      // An online during the lease cancels the retry: the friends hear of it as news.
      assertEquals(await notices.online("u3"), true);
      assertEquals(await notices.takeOffline(9999, 10, 500), []);
    } finally {
      await notices.close();
    }
  });

  Deno.test({
    name: `${name}: takeOffline() hands out at most its limit, the earliest first`,
    ignore,
  }, async () => {
    const notices = await open();
    try {
      for (let i = 0; i < 5; i++) await notices.offline(`v${i}`, i, 1000 - i);
      const first = await notices.takeOffline(1000, 3, 100);
      assertEquals(first.map((d) => d.userId), ["v4", "v3", "v2"]);
      assertEquals((await notices.takeOffline(1000, 3, 100)).map((d) => d.userId), ["v1", "v0"]);
    } finally {
      await notices.close();
    }
  });

  Deno.test({
    name:
      `${name}: a group's count goes out once a window, and once more at its end after a change`,
    ignore,
  }, async () => {
    const notices = await open();
    try {
      assertEquals(await notices.groupChanged("g1", ["u"], 1000, 1000), 0, "no window: send now");
      assert(await notices.groupChanged("g1", ["u"], 1050, 1000) > 0, "open while in flight");
      await notices.groupSent("g1", 1000, 1000);
      assertEquals(await notices.groupChanged("g1", ["u"], 1100, 1000), 2000, "due when it ends");
      assertEquals(await notices.groupChanged("g1", ["u"], 1900, 1000), 2000);
      assertEquals(await notices.groupChanged("g2", ["u"], 1900, 1000), 0, "windows are per group");
      assertEquals(await notices.takeGroups(1999, 1000, 10), []);
      assertEquals(await notices.takeGroups(2000, 1000, 10), ["g1"]);
      assertEquals(await notices.takeGroups(2000, 1000, 10), [], "handed out once");
      await notices.groupSent("g1", 2000, 1000);
      assertEquals(
        await notices.groupChanged("g1", ["u"], 2500, 1000),
        3000,
        "a new window opened",
      );
      assertEquals(await notices.takeGroups(3000, 1000, 10), ["g1"]);
      await notices.groupSent("g1", 3000, 1000);
      // A window with no change ends quietly; the next change is sent at once.
      assertEquals(await notices.takeGroups(4000, 1000, 10), []);
      assertEquals(await notices.groupChanged("g1", ["u"], 4000, 1000), 0);
      // Its count took 300 ms to work out: the window runs from when it went out, and a change
      // past the first window's end, before the count went out, is not sent at once.
      assert(await notices.groupChanged("g1", ["u"], 5100, 1000) > 0, "still in flight");
      await notices.groupSent("g1", 5300, 1000);
      assertEquals(await notices.groupChanged("g1", ["u"], 5400, 1000), 6300);
      assertEquals(await notices.takeGroups(6000, 1000, 10), []);
      // Taken late (the poller runs every 100 ms): a change that opens a window meanwhile
      // sends the count due, which is then handed out no more.
      assertEquals(await notices.groupChanged("g1", ["u"], 6350, 1000), 0);
      assertEquals(await notices.takeGroups(6400, 1000, 10), [], "sent with the change");
      await notices.groupSent("g1", 6360, 1000);
      // A count that never went out (its task died): the window ends after 10 windows.
      assertEquals(await notices.takeGroups(7360, 1000, 10), []);
      assertEquals(await notices.groupChanged("g1", ["u"], 7400, 1000), 0);
      assert(await notices.groupChanged("g1", ["u"], 8400, 1000) > 0);
      assertEquals(await notices.takeGroups(17399, 1000, 10), []);
      assertEquals(await notices.takeGroups(17400, 1000, 10), ["g1"]);
    } finally {
      await notices.close();
    }
  });

  Deno.test({
    name:
      `${name}: a group's count is kept from the users changed, until it must be counted afresh`,
    ignore,
  }, async () => {
    const notices = await open();
    try {
      await notices.groupChanged("g3", ["u1", "u2"], 1000, 1000);
      await notices.groupChanged("g3", ["u2", "u3"], 1100, 1000);
      await notices.markChanged("g3", ["u4"]);
      assertEquals((await notices.takeChanged("g3")).sort(), ["u1", "u2", "u3", "u4"]);
      assertEquals(await notices.takeChanged("g3"), [], "handed out once");
      assertEquals(await notices.updateCount("g3", ["u1"], [], 1100), null, "none kept yet");
      await notices.resetCount("g3", ["u1", "u2"], Date.now(), 60_000);
      assertEquals(await notices.updateCount("g3", ["u3", "u1"], ["u2", "u9"], Date.now()), 2);
      assertEquals(await notices.updateCount("g3", [], ["u1", "u3"], Date.now()), 0);
      assertEquals(await notices.updateCount("g3", [], [], Date.now()), 0, "a count of 0 is kept");
      assertEquals(await notices.updateCount("g4", [], [], Date.now()), null, "per group");
      // Kept for its time only (Redis expires it by its own clock: a short one, waited for).
      await notices.resetCount("g5", ["u1"], Date.now(), 50);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assertEquals(await notices.updateCount("g5", [], [], Date.now()), null, "to count afresh");
    } finally {
      await notices.close();
    }
  });
}
