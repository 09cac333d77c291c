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
import { auditProblems } from "./web_layout_audit.ts";
import { browserTestsEnabled, launch, openChat, say, shot, signIn, texts } from "./browser.ts";
import { befriend, eventually, PNG_2x3, startServer, uniqueName } from "./harness.ts";
import {
  context,
  dialogs,
  history,
  pair,
  pendingNotes,
  sendPastComposer,
  WIDTHS,
} from "./_web_outbox_page.ts";

const enabled = browserTestsEnabled();

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
      await signIn(page, server.url, (await me.me()).username);
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
      await signIn(page, server.url, (await me.me()).username);
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
      // The warning, like all text shown, reads at 4.5:1 or better.
      assertEquals(await page.evaluate(auditProblems), [], "the warning reads well");
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
      // The reason and the buttons, like all text shown, read at 4.5:1 or better.
      assertEquals(await page.evaluate(auditProblems), [], "the reason and buttons read well");
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
      await page.reload(); // Reopens the chat it shows (its URL), once the lists are in.
      await page.locator(".chat-title", { hasText: friendName }).waitFor();
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
      await signIn(page, server.url, myName);
      await openChat(page, friendName);
      await composer.fill("draft to my friend");
      await openChat(page, group.name);
      assertEquals(await composer.inputValue(), "");
      await composer.fill("draft to the group");
      assertEquals(await drafts(), ["draft to my friend", "draft to the group"]);
      await page.reload(); // Reopens the chat it shows (its URL), once the lists are in.
      await page.locator(".chat-title", { hasText: group.name }).waitFor();
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
      await signIn(page, server.url, friendName);
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
      await signIn(page, server.url, myName);
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
