/**
 * Group administration and blocking in a real browser (issue 16, point 6), at phone (touch) and
 * desktop width, three users on an embedded server, each signed in on a page of their own:
 *
 * - Ann (owner) sees the group's first system line ("You created the group"; Bob reads "Ann
 *   created the group"), edits
 *   its settings (notice, who can join); Bob, a plain member, sees them read-only, and the
 *   changes as system lines, live.
 * - Ann makes Bob an admin and back (his badge, his "Ann made you an admin" line), mutes him for
 *   an hour: his composer says until when and is disabled, and opens again when she unmutes him;
 *   "Mute all" closes it for plain members too ("Only the owner and admins can send").
 * - Cy finds the group and asks to join ("Request sent"); Ann sees the request live, accepts it,
 *   and the group appears for Cy; Ann removes Cy, whose open chat closes live with a notice.
 * - Ann makes Bob the owner of another group (asked first); leaving asks in a dialog of the page
 *   (Cancel keeps the group; Leave closes it, and Ann sees "Bob left" and gets the group back);
 *   disbanding asks too, and closes the chat of every member with a notice.
 * - Ann blocks Bob from his profile screen (asked first), finds him in Profile → Blocked people,
 *   and unblocks him there; she blocks Cy from his friend request, which ends it.
 *
 * No native dialog (`confirm()`) may appear. Screenshots: results/web/<mode>-groups-admin-<width>-*.png,
 * each checked for sideways overflow, contrast and accessible names.
 */
import { assert, assertEquals } from "./assert.ts";
import { browserTestsEnabled, launch, openChat, say, tab } from "./browser.ts";
import { befriend, errorCode, eventually, startServer } from "./harness.ts";
import { details } from "./_social_pages.ts";
import { checkedShot, pageOf, person, WIDTHS } from "./_web_messages_page.ts";
import type { Page } from "./browser.ts";

const enabled = browserTestsEnabled();
const OPTIONS = { ignore: !enabled, sanitizeOps: false, sanitizeResources: false };

/** The system line of the open chat that says `text`. */
function line(page: Page, text: string | RegExp) {
  return page.locator(".messages .system-line", { hasText: text });
}

/** Opens the "More" actions of a member in the open group's details. */
async function more(page: Page, userId: string, nickname: string) {
  await details(page);
  const row = page.locator(`#members [data-member="${userId}"]`);
  const button = row.getByRole("button", { name: new RegExp(`^More for ${nickname}`) });
  if (await button.getAttribute("aria-expanded") !== "true") await button.click();
  return row;
}

/** The composer's text box. */
function composer(page: Page) {
  return page.getByLabel("Message", { exact: true });
}

for (const width of WIDTHS) {
  const w = width.name;
  Deno.test({
    ...OPTIONS,
    name:
      `web groups admin (${w}): settings, roles, mute banner, join request, removal, leave, disband, block`,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const ann = await person(server.url, "Ann");
    const bob = await person(server.url, "Bob");
    const cy = await person(server.url, "Cy");
    try {
      await befriend(ann, bob);
      const bobId = (await bob.me()).id;
      const cyId = (await cy.me()).id;
      const group = await ann.createGroup("Hikers", [bobId]);
      const a = await pageOf(browser, width, server.url, ann);
      const b = await pageOf(browser, width, server.url, bob);
      const c = await pageOf(browser, width, server.url, cy);

      // The group's first lines are system lines, centred, named for each reader.
      await openChat(a.page, "Hikers");
      await line(a.page, "You created the group").waitFor();
      await openChat(b.page, "Hikers");
      await line(b.page, "Ann created the group").waitFor();
      // Not unread: Bob's list counted none of them.
      assertEquals(await b.page.locator(".conversation .badge.unread").count(), 0);
      await checkedShot(b.page, `groups-admin-${w}-system-lines`);

      // Ann edits the settings; Bob, a plain member, reads them and sees the changes as lines.
      await details(a.page);
      await a.page.getByLabel(/^Notice/).fill("Boots on Saturday, 8:00 at the station");
      await a.page.getByLabel("Who can join").selectOption("approval");
      await checkedShot(a.page, `groups-admin-${w}-settings-owner`);
      await a.page.getByRole("button", { name: "Save group" }).click();
      await a.page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      await line(b.page, "Ann changed the group notice").waitFor();
      await line(b.page, /Ann made joining need approval/).waitFor();
      await b.page.locator(".group-notice", { hasText: "Boots on Saturday" }).waitFor();
      await checkedShot(b.page, `groups-admin-${w}-notice`);
      await details(b.page);
      assertEquals(await b.page.getByLabel("Name of the group").count(), 0);
      await b.page.locator(".settings-list", { hasText: "Anyone can ask" }).waitFor();
      await b.page.locator(".group-notice-text", { hasText: "Boots on Saturday" }).waitFor();
      await checkedShot(b.page, `groups-admin-${w}-settings-member`);
      assertEquals((await ann.group(group.id)).group.joinPolicy, "approval");

      // Roles: Ann makes Bob an admin (his badge; his line), then a plain member again.
      const bobRow = await more(a.page, bobId, "Bob");
      await checkedShot(a.page, `groups-admin-${w}-member-actions`);
      await bobRow.getByRole("button", { name: "Make admin", exact: true }).click();
      await bobRow.locator(".role-badge", { hasText: "Admin" }).waitFor();
      await line(b.page, "Ann made you an admin").waitFor();
      // An admin edits the settings too, and may act on nobody here (the owner is above him).
      await b.page.getByLabel("Name of the group").waitFor();
      await b.page.getByRole("button", { name: /^More for Ann/ }).click();
      await b.page.getByRole("group", { name: /^Actions for Ann/ }).getByRole("button", {
        name: "Profile",
      }).waitFor();
      assertEquals(await b.page.getByRole("button", { name: "Mute 1 hour" }).count(), 0);
      await checkedShot(b.page, `groups-admin-${w}-settings-admin`);
      await b.page.getByRole("button", { name: /^More for Ann/ }).click();
      await bobRow.getByRole("button", { name: "Remove admin" }).click();
      await line(b.page, "Ann removed you as admin").waitFor();
      await b.page.getByLabel("Name of the group").waitFor({ state: "detached" });
      await bobRow.locator(".role-badge", { hasText: "Admin" }).waitFor({ state: "detached" });

      // Mute for an hour: Bob's composer says until when and is disabled; unmuted, it opens.
      await bobRow.getByRole("button", { name: "Mute 1 hour" }).click();
      await bobRow.locator(".role-badge", { hasText: /^Muted until/ }).waitFor();
      // An hour on: a time of day, or a weekday and date when that is tomorrow (after 23:00).
      await line(a.page, /^Bob was muted until (\d|[A-Z][a-z]+day, )/).waitFor();
      const banner = b.page.locator("#composer-muted");
      await banner.filter({ hasText: /^You are muted until (\d|[A-Z][a-z]+day, )/ }).waitFor();
      assert(await composer(b.page).isDisabled(), "a muted member's composer is disabled");
      await checkedShot(b.page, `groups-admin-${w}-muted-banner`);
      await bobRow.getByRole("button", { name: "Unmute", exact: true }).click();
      await line(b.page, "You were unmuted").waitFor();
      await banner.waitFor({ state: "detached" });
      await say(b.page, "back again");
      // Mute all: plain members may not send, the owner may.
      await details(a.page);
      await a.page.getByLabel(/^Mute all/).check();
      await a.page.getByRole("button", { name: "Save group" }).click();
      await banner.filter({ hasText: "Only the owner and admins can send" }).waitFor();
      assert(await composer(b.page).isDisabled(), "a plain member cannot write in a muted group");
      await checkedShot(b.page, `groups-admin-${w}-group-muted`);
      await a.page.getByLabel(/^Mute all/).uncheck();
      await a.page.getByRole("button", { name: "Save group" }).click();
      await banner.waitFor({ state: "detached" });

      // Cy asks to join; Ann sees the request live and accepts; the group appears for Cy.
      await tab(c.page, "Groups");
      await c.page.getByLabel("Find groups").fill("Hikers");
      await c.page.getByRole("button", { name: "Search" }).click();
      await c.page.locator('[data-join="Hikers"]', { hasText: "Ask to join" }).click();
      await c.page.locator('[data-asked="Hikers"]', { hasText: "Request sent" }).waitFor();
      await checkedShot(c.page, `groups-admin-${w}-request-sent`);
      const request = a.page.locator(`#join-requests [data-request="${cyId}"]`);
      await request.waitFor();
      // The header counts it; pressing the count brings the requests into view.
      await a.page.getByRole("button", { name: "1 join request" }).click();
      await eventually(() => request.isVisible());
      await checkedShot(a.page, `groups-admin-${w}-join-request`);
      await request.getByRole("button", { name: /^Accept Cy/ }).click();
      await request.waitFor({ state: "detached" });
      await line(a.page, "You added Cy").waitFor();
      await c.page.locator('[data-group="Hikers"]').waitFor();
      await c.page.locator('[data-group="Hikers"]').click();
      await line(c.page, "Ann added you").waitFor();

      // Ann removes Cy: asked in the page; Cy's open chat closes live, with a notice.
      const cyRow = await more(a.page, cyId, "Cy");
      await cyRow.getByRole("button", { name: "Remove from group" }).click();
      const removeDialog = a.page.getByRole("dialog", { name: "Remove Cy from the group?" });
      await removeDialog.waitFor();
      await checkedShot(a.page, `groups-admin-${w}-remove-dialog`);
      await removeDialog.getByRole("button", { name: "Remove" }).click();
      await removeDialog.waitFor({ state: "detached" });
      await c.page.locator(".chat-title").waitFor({ state: "detached" });
      await c.page.locator(".nav-notice", { hasText: "You were removed from “Hikers”." }).waitFor();
      await checkedShot(c.page, `groups-admin-${w}-removed`);
      await line(a.page, "You removed Cy").waitFor();
      await tab(c.page, "Groups");
      await c.page.getByText("You are in no group yet.").waitFor();
      // The old request is over: Cy may ask again.
      await c.page.getByRole("button", { name: "Search" }).click();
      await c.page.locator('[data-join="Hikers"]', { hasText: "Ask to join" }).waitFor();

      // Ann hands a second group to Bob (asked first); she becomes an admin.
      const second = await ann.createGroup("Climbers", [bobId]);
      await openChat(a.page, "Climbers");
      const bobInSecond = await more(a.page, bobId, "Bob");
      await bobInSecond.getByRole("button", { name: "Make owner" }).click();
      const transfer = a.page.getByRole("dialog", { name: "Make Bob the owner?" });
      await transfer.getByRole("button", { name: "Make owner" }).click();
      await transfer.waitFor({ state: "detached" });
      await bobInSecond.locator(".role-badge", { hasText: "Owner" }).waitFor();
      await line(a.page, "You made Bob the owner").waitFor();
      assertEquals((await ann.group(second.id)).group.ownerId, bobId);
      // Now an admin, Ann has no "Disband group".
      assertEquals(await a.page.getByRole("button", { name: "Disband group" }).count(), 0);

      // Leaving asks in the page: Cancel keeps the group, Leave closes it; Ann, the only one
      // left, sees "Bob left" and gets the group back.
      await openChat(b.page, "Climbers");
      await b.page.getByRole("button", { name: "Leave", exact: true }).click();
      const leaveDialog = b.page.getByRole("dialog", { name: "Leave “Climbers”?" });
      await leaveDialog.waitFor();
      await checkedShot(b.page, `groups-admin-${w}-leave-dialog`);
      await leaveDialog.getByRole("button", { name: "Cancel" }).click();
      await leaveDialog.waitFor({ state: "detached" });
      await b.page.locator(".chat-title", { hasText: "Climbers" }).waitFor();
      await b.page.getByRole("button", { name: "Leave", exact: true }).click();
      await leaveDialog.getByRole("button", { name: "Leave" }).click();
      await b.page.locator(".chat-title").waitFor({ state: "detached" });
      await line(a.page, "Bob left").waitFor();
      await line(a.page, "Bob made you the owner").waitFor();
      assertEquals((await ann.group(second.id)).members.length, 1);

      // Disbanding asks too; every member's chat closes with a notice.
      await openChat(b.page, "Hikers");
      await openChat(a.page, "Hikers");
      await details(a.page);
      await a.page.getByRole("button", { name: "Disband group" }).click();
      const disband = a.page.getByRole("dialog", { name: "Disband “Hikers”?" });
      await disband.waitFor();
      await checkedShot(a.page, `groups-admin-${w}-disband-dialog`);
      await disband.getByRole("button", { name: "Disband" }).click();
      await a.page.locator(".chat-title", { hasText: "Hikers" }).waitFor({ state: "detached" });
      await b.page.locator(".nav-notice", { hasText: "“Hikers” was disbanded by its owner." })
        .waitFor();
      await b.page.locator(".chat-title").waitFor({ state: "detached" });
      await checkedShot(b.page, `groups-admin-${w}-disbanded`);

      // Ann blocks Bob from his profile screen, then unblocks him from Profile → Blocked people.
      await tab(a.page, "Friends");
      await a.page.locator(`[data-friend="${bobId}"]`).click();
      await a.page.locator(".chat-title").getByRole("button", { name: "Bob" }).click();
      const profile = a.page.getByRole("dialog", { name: /^Profile of Bob/ });
      await profile.waitFor();
      await checkedShot(a.page, `groups-admin-${w}-profile`);
      await profile.getByRole("button", { name: "Block" }).click();
      const blockDialog = a.page.getByRole("dialog", { name: "Block Bob?" });
      await blockDialog.waitFor();
      await checkedShot(a.page, `groups-admin-${w}-block-dialog`);
      await blockDialog.getByRole("button", { name: "Block" }).click();
      await blockDialog.waitFor({ state: "detached" });
      await profile.getByText("Blocked by you").waitFor();
      await profile.getByRole("button", { name: "Unblock" }).waitFor();
      assertEquals((await ann.blocks()).map((u) => u.id), [bobId]);
      await profile.getByRole("button", { name: "Close" }).click();
      await profile.waitFor({ state: "detached" });
      const back = a.page.getByRole("button", { name: "Back to the list" });
      if (await back.isVisible()) await back.click();
      await tab(a.page, "Profile");
      await a.page.getByRole("button", { name: "Blocked people…" }).click();
      const blocked = a.page.locator(`#blocked-users [data-blocked="${bobId}"]`);
      await blocked.waitFor();
      await checkedShot(a.page, `groups-admin-${w}-blocked-list`);
      await blocked.getByRole("button", { name: /^Unblock Bob/ }).click();
      await a.page.getByText("You have blocked nobody.").waitFor();
      assertEquals(await ann.blocks(), []);
      // The friendship survived the block.
      assertEquals((await ann.friends()).map((f) => f.user.id), [bobId]);

      // A stranger's friend request: Ann blocks Cy from it; the request ends, and Cy cannot ask again.
      await cy.requestFriend((await ann.me()).id, "let me back in");
      await tab(a.page, "Friends");
      const asking = a.page.locator(".request", { hasText: "let me back in" });
      await asking.getByRole("button", { name: /^Block Cy/ }).click();
      const cyProfile = a.page.getByRole("dialog", { name: /^Profile of Cy/ });
      await cyProfile.getByRole("button", { name: "Block" }).click();
      await a.page.getByRole("dialog", { name: "Block Cy?" }).getByRole("button", { name: "Block" })
        .click();
      await cyProfile.getByText("Blocked by you").waitFor();
      await asking.waitFor({ state: "detached" });
      await checkedShot(a.page, `groups-admin-${w}-blocked-from-request`);
      await cyProfile.getByRole("button", { name: "Close" }).click();
      assertEquals(await errorCode(cy.requestFriend((await ann.me()).id)), "forbidden");

      for (const p of [a, b, c]) assertEquals(p.dialogs, [], "no native dialog");
    } finally {
      await Promise.all([ann.close(), bob.close(), cy.close()]);
      await browser.close();
      await server.stop();
    }
  });
}
