/**
 * Unsent messages in a real browser (issue 14, point 5): sent while offline they
 * wait, survive closing the tab and go once the connection is back, exactly once
 * and in order, the one the server already had included; the tab asks before
 * closing only while some are unsent; a refused message offers Retry, Edit and
 * Discard; the composer counts near the limit; drafts stay per chat and per
 * account. Each scenario runs at phone and at desktop width.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./assert.ts";
import {
  type BrowserContext,
  browserTestsEnabled,
  launch,
  type Page,
  PASSWORD,
  say,
  shot,
  tab,
  texts,
} from "./browser.ts";
import type { ImClient } from "../client/mod.ts";
import {
  befriend,
  eventually,
  newUser,
  PNG_2x3,
  type Server,
  startServer,
  uniqueName,
} from "./harness.ts";

const enabled = browserTestsEnabled();

const WIDTHS = [
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  { name: "desktop", viewport: { width: 1100, height: 760 }, isMobile: false, hasTouch: false },
];

type Width = (typeof WIDTHS)[number];
type Browser = Awaited<ReturnType<typeof launch>>;

/** A browser context at a width, its dialogs answered by `answer` and recorded. */
async function context(browser: Browser, width: Width): Promise<BrowserContext> {
  const { viewport, isMobile, hasTouch } = width;
  return await browser.newContext({ viewport, isMobile, hasTouch });
}

/** Records the page's dialogs (type and message) and accepts them unless `dismiss` says. */
function dialogs(page: Page, dismiss: () => boolean = () => false): string[] {
  const seen: string[] = [];
  page.on("dialog", (dialog) => {
    seen.push(`${dialog.type()}: ${dialog.message()}`);
    void (dismiss() ? dialog.dismiss() : dialog.accept());
  });
  return seen;
}

/** Signs in through the form (at phone width the name in the top bar is hidden). */
async function signInAs(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".me-name").waitFor({ state: "attached" });
}

/** Opens a chat by its title, going back to the list first where a phone shows one or the other. */
async function openChat(page: Page, title: string): Promise<void> {
  const back = page.getByRole("button", { name: "Back to the list" });
  if (await back.isVisible()) await back.click();
  await tab(page, "Chats");
  await page.locator(".conversation", { hasText: title }).click();
  await page.locator(".chat-title", { hasText: title }).waitFor();
}

/** Texts a user's conversation holds on the server, from its history. */
async function history(client: ImClient, conversationId: string): Promise<string[]> {
  const page = await client.history(conversationId, { after: 0, limit: 200 });
  return page.map((m) => m.content.type === "text" ? m.content.text : "image");
}

/** The texts of the open chat that are ours and not stored yet, with what each says. */
async function pendingNotes(page: Page): Promise<string[]> {
  return await page.locator(".message.pending, .message.failed").evaluateAll((items) =>
    items.map((li) =>
      `${li.querySelector(".text")?.textContent} | ${li.querySelector(".meta")?.textContent}`
    )
  );
}

/**
 * The contrast ratio of an element's text with the first opaque background behind it
 * (WCAG relative luminance).
 */
async function contrast(page: Page, selector: string): Promise<number> {
  return await page.locator(selector).first().evaluate((start) => {
    type Node = { parentElement: Node | null };
    const style = (globalThis as unknown as {
      getComputedStyle(node: Node): { color: string; backgroundColor: string };
    }).getComputedStyle;
    const el = start as unknown as Node;
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const [R, G, B] = [r, g, b].map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    let node: Node | null = el;
    let bg = [255, 255, 255];
    while (node) {
      const c = rgb(style(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) {
        bg = c.slice(0, 3);
        break;
      }
      node = node.parentElement;
    }
    const [a, b] = [luminance(rgb(style(el).color)), luminance(bg)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

/** Sends through the page's session, past the composer's own checks (to get the server's refusal). */
async function sendPastComposer(page: Page, text: string): Promise<void> {
  await page.evaluate((text) => {
    const session = (globalThis as unknown as { im: { sendText(t: string): Promise<void> } }).im;
    void session.sendText(text);
  }, text);
}

/** Two friends, the first to be signed in in the browser; the second wrote first. */
async function pair(server: Server): Promise<{ me: ImClient; friend: ImClient; chat: string }> {
  const me = await newUser(server.url);
  const friend = await newUser(server.url);
  await befriend(me, friend);
  const { conversationId } = await friend.send({ type: "user", id: me.self!.id }, {
    type: "text",
    text: "hello",
  });
  return { me, friend, chat: conversationId };
}

for (const width of WIDTHS) {
  Deno.test({
    name:
      `web outbox (${width.name}): sent offline, kept across a closed tab, delivered once in order`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const { me, friend, chat } = await pair(server);
    try {
      const ctx = await context(browser, width);
      const page = await ctx.newPage();
      const asked = dialogs(page);
      // The socket goes through the test: it can keep the server's answers to some sends from
      // the page (their frames carry the clientMsgId), or be cut.
      let swallow = false;
      const unanswered: string[] = [];
      let cut = false;
      const sockets: { close(): Promise<void> }[] = [];
      await page.routeWebSocket(/\/ws/, (ws) => {
        if (cut) return void ws.close({ code: 1006 as 1000, reason: "cut" }).catch(() => {});
        const upstream = ws.connectToServer();
        ws.onMessage((frame) => {
          const text = String(frame);
          if (swallow) unanswered.push(...(/"clientMsgId":"([^"]+)"/.exec(text)?.slice(1) ?? []));
          upstream.send(frame);
        });
        upstream.onMessage((frame) => {
          const text = String(frame);
          if (unanswered.some((id) => text.includes(id))) return;
          ws.send(frame);
        });
        sockets.push(ws);
      });
      await signInAs(page, server.url, (await me.me()).username);
      const friendName = (await friend.me()).nickname;
      await openChat(page, friendName);
      await say(page, "before anything");

      // One reaches the server, but the tab never hears back, then the connection goes.
      swallow = true;
      const composer = page.getByLabel("Message", { exact: true });
      await composer.fill("one: reached the server");
      await composer.press("Enter");
      await eventually(async () =>
        (await history(friend, chat)).includes("one: reached the server")
      );
      cut = true;
      await ctx.setOffline(true);
      for (const ws of sockets) await ws.close();
      await page.locator(".message.pending .meta", { hasText: "Waiting for connection" }).waitFor();
      for (const text of ["two: typed offline", "three: typed offline"]) {
        await composer.fill(text);
        await page.getByRole("button", { name: "Send" }).click();
      }
      // An image is refused while offline (it could not be uploaded), in plain words.
      await page.locator("#image-input").setInputFiles({
        name: "dot.png",
        mimeType: "image/png",
        buffer: Buffer.from(PNG_2x3),
      });
      await page.locator("#composer-error", {
        hasText: 'Cannot send "dot.png" while offline: send it again once the connection is back',
      }).waitFor();
      assertEquals(await pendingNotes(page), [
        "one: reached the server | Waiting for connection",
        "two: typed offline | Waiting for connection",
        "three: typed offline | Waiting for connection",
      ]);
      await shot(page, `outbox-${width.name}-pending`);

      // Closing the tab asks first, as messages are unsent.
      await page.close({ runBeforeUnload: true });
      await page.waitForEvent("close");
      assertEquals(asked.map((d) => d.split(":")[0]), ["beforeunload"]);

      // A new tab on the same storage, online again: each message arrives once, in order.
      await ctx.setOffline(false);
      const back = await ctx.newPage();
      const askedBack = dialogs(back);
      await back.goto(server.url);
      await openChat(back, friendName);
      const all = [
        "hello",
        "before anything",
        "one: reached the server",
        "two: typed offline",
        "three: typed offline",
      ];
      await eventually(async () => (await history(friend, chat)).length >= all.length, 15_000);
      assertEquals(await history(friend, chat), all);
      await eventually(async () => JSON.stringify(await texts(back)) === JSON.stringify(all));
      await back.locator(".message.pending").waitFor({ state: "detached" });
      assertEquals(
        await back.evaluate((id) => localStorage.getItem(`im.outbox.${id}`), me.self!.id),
        "[]",
      );
      await shot(back, `outbox-${width.name}-delivered`);

      // Nothing unsent: closing asks nothing.
      await back.close({ runBeforeUnload: true });
      await back.waitForEvent("close");
      assertEquals(askedBack, []);
      await ctx.close();
    } finally {
      await Promise.all([me.close(), friend.close()]);
      await browser.close();
      await server.stop();
    }
  });
}

for (const width of WIDTHS) {
  Deno.test({
    name:
      `web outbox (${width.name}): a counter near the limit; refused messages offer Retry, Edit and Discard`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const { me, friend, chat } = await pair(server);
    try {
      const ctx = await context(browser, width);
      const page = await ctx.newPage();
      const refusals: string[] = [];
      page.on("websocket", (ws) =>
        ws.on("framereceived", ({ payload }) => {
          const frame = JSON.parse(String(payload));
          if (frame.op === "error" && frame.ref) refusals.push(frame.code);
        }));
      await signInAs(page, server.url, (await me.me()).username);
      const friendName = (await friend.me()).nickname;
      await openChat(page, friendName);
      const composer = page.getByLabel("Message", { exact: true });
      const send = page.getByRole("button", { name: "Send" });
      const counter = page.locator(".composer-count");

      // The counter counts characters (code points: each emoji is one) from 3,500 on.
      await composer.fill("a".repeat(3499));
      assertEquals(await counter.count(), 0);
      await composer.fill("😀".repeat(3500));
      assertEquals(await counter.textContent(), "3,500 / 4,000");
      assert(await send.isEnabled());
      await shot(page, `outbox-${width.name}-counter`);
      await composer.fill("😀".repeat(4001));
      await page.locator(".composer-count.over #composer-count", { hasText: "4,001 / 4,000" })
        .waitFor();
      assertEquals(
        await page.locator("#composer-limit").textContent(),
        "Too long to send: remove 1 character. A message can have up to 4,000 characters.",
      );
      assert(await send.isDisabled(), "Send is off over the limit");
      assert((await contrast(page, ".composer-count.over")) >= 4.5, "the warning reads well");
      await shot(page, `outbox-${width.name}-counter-over`);
      await composer.press("Enter");
      assertEquals(await page.locator(".message.pending, .message.failed").count(), 0);
      await composer.fill("😀".repeat(4000));
      assert(await send.isEnabled(), "4,000 is allowed");
      await composer.fill("");

      // Past the composer, the server refuses it: it says why, and offers what to do.
      const long = "x".repeat(4001);
      await sendPastComposer(page, long);
      const failed = page.locator(".message.failed");
      await failed.locator(".meta", {
        hasText: "Not sent: too long (4,001 characters, at most 4,000). Edit it to shorten it.",
      }).waitFor();
      const actions = failed.getByRole("group", { name: /^Not sent/ });
      assertEquals(await actions.getByRole("button").allTextContents(), [
        "Retry",
        "Edit",
        "Discard",
      ]);
      assert((await contrast(page, ".message.failed .meta")) >= 4.5, "the reason reads well");
      assert((await contrast(page, ".pending-actions button")) >= 4.5, "the buttons read well");
      await shot(page, `outbox-${width.name}-failed`);

      // Retry sends it again (refused again); Edit takes it back to the composer.
      await actions.getByRole("button", { name: "Retry" }).click();
      await eventually(() => refusals.length === 2);
      await failed.getByRole("button", { name: "Edit" }).waitFor();
      await failed.getByRole("button", { name: "Edit" }).click();
      await failed.waitFor({ state: "detached" });
      assertEquals(await composer.inputValue(), long);
      assert(await send.isDisabled());
      await composer.press("End");
      await composer.press("Backspace");
      await send.click();
      await page.locator(".message.mine.stored .text", { hasText: "x".repeat(4000) }).waitFor();

      // No longer friends: refused; one is discarded, the other kept across a reload.
      await friend.removeFriend(me.self!.id);
      await composer.fill("are we still friends?");
      await composer.press("Enter");
      await composer.fill("second try");
      await composer.press("Enter");
      await page.locator(".message.failed .meta", { hasText: "only friends can write" }).nth(1)
        .waitFor();
      await shot(page, `outbox-${width.name}-former-friend`);
      await page.locator(".message.failed", { hasText: "second try" }).getByRole("button", {
        name: "Discard",
      }).click();
      await page.locator(".message.failed", { hasText: "second try" }).waitFor({
        state: "detached",
      });
      await page.reload();
      await openChat(page, friendName);
      const kept = page.locator(".message.failed", { hasText: "are we still friends?" });
      await kept.getByRole("button", { name: "Retry" }).waitFor();
      assertEquals(await page.locator(".message.failed").count(), 1);

      // Friends again: Retry delivers it, once; the discarded one never went.
      await befriend(me, friend);
      await kept.getByRole("button", { name: "Retry" }).click();
      await page.locator(".message.mine.stored .text", { hasText: "are we still friends?" })
        .waitFor();
      const held = await history(friend, chat);
      assertEquals(held.filter((t) => t === "are we still friends?").length, 1);
      assertEquals(held.includes("second try"), false);
      assertEquals(held.includes(long), false);
      await ctx.close();
    } finally {
      await Promise.all([me.close(), friend.close()]);
      await browser.close();
      await server.stop();
    }
  });
}

for (const width of WIDTHS) {
  Deno.test({
    name: `web outbox (${width.name}): drafts per chat and account; logging out asks, then clears`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const { me, friend } = await pair(server);
    const group = await me.createGroup(uniqueName("club"), [friend.self!.id]);
    await friend.send({ type: "group", id: group.id }, { type: "text", text: "group hello" });
    try {
      const ctx = await context(browser, width);
      const page = await ctx.newPage();
      let refuse = true;
      const asked = dialogs(page, () => refuse);
      const [myName, friendName] = [(await me.me()).username, (await friend.me()).username];
      const composer = page.getByLabel("Message", { exact: true });
      const drafts = async (): Promise<string[]> => {
        const shown: string[] = [];
        for (const title of [friendName, group.name]) {
          await openChat(page, title);
          shown.push(await composer.inputValue());
        }
        return shown;
      };

      // Each chat keeps its own unsent text, when switching and across a reload.
      await signInAs(page, server.url, myName);
      await openChat(page, friendName);
      await composer.fill("draft to my friend");
      await openChat(page, group.name);
      assertEquals(await composer.inputValue(), "");
      await composer.fill("draft to the group");
      assertEquals(await drafts(), ["draft to my friend", "draft to the group"]);
      await page.reload();
      assertEquals(await drafts(), ["draft to my friend", "draft to the group"]);
      await sendPastComposer(page, "x".repeat(4001));
      await page.locator(".message.failed").waitFor();

      // Signed out elsewhere, then another account on the same browser: none of it shows.
      const token = await page.evaluate(() => localStorage.getItem("im.token"));
      const logout = await fetch(`${server.url}/api/auth/logout`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      await logout.body?.cancel();
      await page.getByText("You were signed out").waitFor();
      await signInAs(page, server.url, friendName);
      await openChat(page, group.name);
      assertEquals(await composer.inputValue(), "");
      assertEquals(await page.locator(".message.failed, .message.pending").count(), 0);
      await openChat(page, (await me.me()).nickname);
      assertEquals(await composer.inputValue(), "");
      await shot(page, `outbox-${width.name}-other-account`);
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      assertEquals(asked, [], "nothing unsent: no question");

      // Back: all there. Logging out asks first (refused: still signed in), then clears.
      await signInAs(page, server.url, myName);
      assertEquals(await drafts(), ["draft to my friend", "draft to the group"]);
      await page.locator(".message.failed").waitFor();
      await page.getByRole("button", { name: "Log out" }).click();
      await eventually(() => asked.length === 1);
      assertEquals(asked, [
        "confirm: 1 message is not sent. Logging out deletes unsent messages from this browser. Log out?",
      ]);
      await page.locator(".message.failed").waitFor();
      refuse = false;
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      const left = await page.evaluate((id) => [
        localStorage.getItem(`im.outbox.${id}`),
        localStorage.getItem(`im.drafts.${id}`),
      ], me.self!.id);
      assertEquals(left, [null, null]);
      await ctx.close();
    } finally {
      await Promise.all([me.close(), friend.close()]);
      await browser.close();
      await server.stop();
    }
  });
}
