/**
 * The web client's social screens in a real browser, at phone and desktop width: friend
 * requests with their whole note, time and a live cancel; a note sent from the page; unfriend;
 * a group's member list and group list kept live; the owner's group settings; adding members
 * from friends; a private chat from a member; the image viewer. Screenshots go to results/web/.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./assert.ts";
import {
  type BrowserContext,
  browserTestsEnabled,
  launch,
  openChat,
  shot,
  signIn,
  tab,
} from "./browser.ts";
import type { ImClient } from "../client/mod.ts";
import { befriend, PNG_2x3, startServer } from "./harness.ts";
import { account, bigPng, checkViewer, details, type Dom, fitsWidth } from "./_social_pages.ts";

const enabled = browserTestsEnabled();
const WIDTHS = [
  { name: "desktop", viewport: { width: 1100, height: 760 } },
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
] as const;
type Width = typeof WIDTHS[number];

/** A note of the longest kind people write: one word longer than a phone is wide, too. */
const NOTE = "Hi! We met at the Lisbon meetup on Saturday, I was the one asking about offline " +
  "sync. Here is my blog: https://example.org/a-very-long-address-without-any-spaces-at-all-" +
  "that-must-wrap-anyway and I would love to keep in touch about it.";

for (const width of WIDTHS) {
  Deno.test({
    name:
      `web social (${width.name}): requests show the whole note and time, cancel live, a note from the page, unfriend`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const contexts: BrowserContext[] = [];
    const page = async (who: ImClient) => {
      const context = await browser.newContext(width);
      contexts.push(context);
      const p = await context.newPage();
      await signIn(p, server.url, (await who.me()).username);
      return p;
    };
    try {
      const [ann, bob] = [await account(server.url, "Ann"), await account(server.url, "Bob")];
      const [annPage, bobPage] = [await page(ann), await page(bob)];
      const bobName = (await bob.me()).username;

      // Ann asks from the page, with a note.
      await tab(annPage, "Friends");
      await annPage.getByLabel("Find people").fill(bobName);
      await annPage.getByRole("button", { name: "Search" }).click();
      await annPage.getByRole("button", { name: "Add a note" }).click();
      await annPage.getByLabel("Note to Bob (optional)").fill(NOTE);
      assert(await fitsWidth(annPage), "the note field fits the window");
      await shot(annPage, `social-${width.name}-note-form`);
      await annPage.locator(`[data-add="${bobName}"]`).click();
      const sent = annPage.locator("[data-outgoing]");
      await sent.getByText("Pending").waitFor();
      assertEquals(await sent.locator(".note").textContent(), `“${NOTE}”`);
      assertEquals(await sent.locator("time").textContent(), "Sent just now");
      await shot(annPage, `social-${width.name}-sent-request`);

      // Bob reads all of it: name, @username, time and the whole note, on screen and unclipped.
      await tab(bobPage, "Friends");
      const request = bobPage.locator("[data-request]");
      await request.waitFor();
      assertEquals(await request.locator(".conv-name").textContent(), "Ann");
      assertEquals(await request.locator(".handle").textContent(), `@${(await ann.me()).username}`);
      assertEquals(await request.locator("time").textContent(), "Received just now");
      const note = request.locator(".note");
      assertEquals(await note.textContent(), `“${NOTE}”`);
      const box = await note.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const font = parseFloat((globalThis as unknown as Dom).getComputedStyle(el).fontSize);
        return {
          cut: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
          lines: Math.floor(r.height / (font * 1.2)),
          right: r.right,
        };
      });
      assert(!box.cut, "the note is not clipped");
      assert(box.lines >= 2, `the note wraps (${box.lines} lines)`);
      assert(box.right <= width.viewport.width, "the note stays on screen");
      assert(await fitsWidth(bobPage), "no sideways scrolling");
      await shot(bobPage, `social-${width.name}-request`);
      if (width.name === "phone") {
        await bobPage.setViewportSize({ width: 320, height: 700 });
        assert(await fitsWidth(bobPage), "no sideways scrolling at 320 px either");
        await shot(bobPage, "social-320-request");
        await bobPage.setViewportSize(width.viewport);
      }

      // Ann cancels: it leaves Bob's list while he looks at it.
      await annPage.getByRole("button", { name: "Cancel request to Bob" }).click();
      await sent.waitFor({ state: "detached" });
      await request.waitFor({ state: "detached" });
      assertEquals(await bobPage.getByRole("heading", { name: "Friend requests" }).count(), 0);
      assertEquals((await bob.friendRequests()).incoming, []);

      // Asked again without a note; Bob accepts.
      await annPage.getByRole("button", { name: "Search" }).click();
      await annPage.locator(`[data-add="${bobName}"]`).click();
      await request.waitFor();
      assertEquals(await request.locator(".note").count(), 0);
      await request.getByRole("button", { name: "Accept" }).click();
      await annPage.locator("[data-friend] .dot.online").waitFor();

      // Bob goes away: Ann sees him offline, with when he was last seen if the server says.
      await bobPage.close();
      const friend = annPage.locator(`[data-friend="${(await bob.me()).id}"]`);
      await friend.locator(".dot.offline").waitFor();
      await friend.click();
      const presence = annPage.locator(".chat-header .presence-text");
      // Said by the friends list, or by the presence event (either may come first in a cluster).
      const told = typeof (await ann.friends())[0].user.lastSeenAt === "number" ||
        /^last seen/.test(await presence.textContent() ?? "");
      if (told) {
        await presence.getByText(/^last seen (just now|\d+ min ago)$/).waitFor();
      } else {
        // A server without lastSeenAt (protocol v1): plain offline. Then the page is handed one,
        // to see how it shows it in the header and the list.
        assertEquals(await presence.textContent(), "offline");
        await annPage.route("**/api/friends", async (route) => {
          const answer = await route.fetch();
          const body = await answer.json() as { friends: { user: { lastSeenAt?: number } }[] };
          for (const f of body.friends) f.user.lastSeenAt = Date.now() - 5 * 60_000;
          await route.fulfill({ response: answer, json: body });
        });
        await annPage.evaluate("im.loadFriends()");
        await presence.getByText("last seen 5 min ago").waitFor();
      }
      await shot(annPage, `social-${width.name}-private-header`);
      if (width.name === "desktop") {
        await tab(annPage, "Friends");
        await friend.getByText(/^last seen (just now|\d+ min ago)$/).waitFor();
        await shot(annPage, `social-${width.name}-friends-last-seen`);
      }

      // Unfriend from the chat, after a confirmation naming him.
      const asked: string[] = [];
      annPage.once("dialog", (dialog) => {
        asked.push(dialog.message());
        void dialog.accept();
      });
      await annPage.getByRole("button", { name: "Unfriend" }).click();
      await annPage.locator(".chat-header").getByText("Not a friend").waitFor();
      assertEquals(asked, [`Remove Bob (@${bobName}) from your friends?`]);
      assertEquals(await ann.friends(), []);
      if (width.name === "phone") {
        await annPage.getByRole("button", { name: "Back to the list" }).click();
      }
      await tab(annPage, "Friends");
      await annPage.getByText("Friends (0)").waitFor();
    } finally {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await server.stop();
    }
  });

  Deno.test({
    name:
      `web social (${width.name}): groups live (nicknames, added member), owner settings, members from friends, chat from a member, image viewer`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    await groupsScenario(width);
  });
}

async function groupsScenario(width: Width): Promise<void> {
  const server = await startServer();
  const browser = await launch();
  const contexts: BrowserContext[] = [];
  const page = async (who: ImClient) => {
    const context = await browser.newContext(width);
    contexts.push(context);
    const p = await context.newPage();
    await signIn(p, server.url, (await who.me()).username);
    return p;
  };
  try {
    const [ann, bob, cat] = [
      await account(server.url, "Ann"),
      await account(server.url, "Bob"),
      await account(server.url, "Cat"),
    ];
    await befriend(ann, bob);
    await befriend(ann, cat);
    const group = await ann.createGroup("Book club", [(await bob.me()).id]);
    const [annPage, bobPage, catPage] = [await page(ann), await page(bob), await page(cat)];

    // Bob looks at the members; Ann renames herself: his list follows at once.
    await tab(bobPage, "Groups");
    await bobPage.locator('[data-group="Book club"]').click();
    await details(bobPage);
    const annMember = bobPage.locator(`#members [data-member="${(await ann.me()).id}"]`);
    await annMember.getByText("Ann", { exact: true }).waitFor();
    await tab(annPage, "Profile");
    await annPage.getByLabel("Nickname").fill("Annabel");
    await annPage.getByRole("button", { name: "Save" }).click();
    await annMember.getByText("Annabel", { exact: true }).waitFor();
    // Bob is no owner: no settings for him, but he may add friends (he has none outside).
    assertEquals(await bobPage.getByLabel("Name of the group").count(), 0);
    assertEquals(await bobPage.getByRole("button", { name: "Save group" }).count(), 0);
    await shot(bobPage, `social-${width.name}-members`);

    // Ann adds Cat from her friends; Cat, who has the Groups tab open, sees it before any message.
    await tab(catPage, "Groups");
    await catPage.getByText("You are in no group yet.").waitFor();
    await tab(annPage, "Groups");
    await annPage.locator('[data-group="Book club"]').click();
    await details(annPage);
    await annPage.getByRole("group", { name: "Add from your friends" }).getByLabel(/^Cat/).check();
    await annPage.getByRole("button", { name: "Add to group" }).click();
    await catPage.locator('[data-group="Book club"]').waitFor();
    await tab(catPage, "Chats");
    await catPage.locator(".conversation", { hasText: "Book club" }).waitFor();
    // Only the group's own lines (Cat's "joined"): nobody wrote.
    const written = (await cat.history(`g:${group.id}`)).filter((m) => m.content.type !== "system");
    assertEquals(written.length, 0, "nobody wrote");
    await annPage.getByText("Every friend of yours is in this group.").waitFor();
    // Bob and Cat are no friends: from the member list Bob may ask, not write.
    const catMember = bobPage.locator(`#members [data-member="${(await cat.me()).id}"]`);
    await catMember.getByRole("button", { name: /^Add friend Cat/ }).click();
    await catMember.getByText("Request sent").waitFor();
    assertEquals((await cat.friendRequests()).incoming.map((r) => r.from.nickname), ["Bob"]);

    // The owner renames the group and gives it a picture; the members see both live.
    await annPage.getByLabel(/^Group picture/).setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("not an image"),
    });
    await annPage.getByRole("button", { name: "Save group" }).click();
    await annPage.getByRole("alert").filter({ hasText: "choose a PNG, JPEG, GIF or WebP" })
      .waitFor();
    await annPage.getByLabel("Name of the group").fill("Readers");
    await annPage.getByLabel(/^Group picture/).setInputFiles({
      name: "club.png",
      mimeType: "image/png",
      buffer: Buffer.from(PNG_2x3),
    });
    await annPage.getByRole("button", { name: "Save group" }).click();
    await annPage.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await bobPage.locator(".chat-title", { hasText: "Readers" }).waitFor();
    await catPage.locator(".conversation", { hasText: "Readers" }).locator("img.avatar").waitFor();
    await shot(annPage, `social-${width.name}-group-settings`);
    assert(await fitsWidth(annPage), "the settings fit the window");

    // Bob starts a private chat from the member list.
    await annMember.getByRole("button", { name: /^online Annabel .*Message$/ }).click();
    await bobPage.locator(".chat-title", { hasText: "Annabel" }).waitFor();
    assert(
      (await bobPage.locator(".chat-header .presence").textContent())?.includes("online"),
      "the private chat's header, with Ann's presence",
    );

    // An image, opened in the viewer at its full size, closed by Escape, Back and Close.
    await bobPage.locator("#image-input").setInputFiles({
      name: "big.png",
      mimeType: "image/png",
      buffer: await bigPng(bobPage),
    });
    if (width.name === "phone") {
      await annPage.getByRole("button", { name: "Back to the list" }).click();
    }
    await openChat(annPage, "Bob");
    const thumb = annPage.locator(".message.theirs .image-link").last();
    await thumb.waitFor();
    await checkViewer(annPage, thumb, width.viewport, `social-${width.name}-image-viewer`);
    await annPage.locator(".chat-title", { hasText: "Bob" }).waitFor();
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await browser.close();
    await server.stop();
  }
}
