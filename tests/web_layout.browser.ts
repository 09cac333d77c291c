/**
 * The web client's layout and everyday details in a real browser: nothing overflows from 320 px up
 * whatever the length of names and texts, every main screen at phone and desktop width (screenshots
 * in results/web/), text contrast and labels computed from the page, times and day separators,
 * plain errors with limits checked before upload, the icon, the unread count in the title, links
 * in messages, and presence marked stale while disconnected.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./assert.ts";
import {
  type BrowserContext,
  browserTestsEnabled,
  launch,
  openChat,
  say,
  shot,
  signIn,
  tab,
} from "./browser.ts";
import { privateConversationId } from "../shared/types.ts";
import { eventually, newUser, PNG_2x3, startServer, uniqueName } from "./harness.ts";
import { auditProblems, focusShown, overflowProblems } from "./web_layout_audit.ts";
import { screens, seed, toList, URL_TEXT } from "./web_layout_world.ts";

const enabled = browserTestsEnabled();
const options = { ignore: !enabled, sanitizeOps: false, sanitizeResources: false };
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1100, height: 760 };

Deno.test({
  name: "web layout: no overflow from 320 to 1100 px with long names and texts; contrast, labels",
  ...options,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const world = await seed(server.url);
  let context: BrowserContext | undefined;
  try {
    context = await browser.newContext({ viewport: DESKTOP, locale: "en-GB", timezoneId: "UTC" });
    const page = await context.newPage();
    const problems: string[] = [];
    // The sign-in screen, with an error under the form.
    await page.goto(server.url);
    await page.getByLabel("Username").fill(world.meName);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#form-error", { hasText: "Wrong username or password." }).waitFor();
    for (const width of [320, 360, 390, 768, 1100]) {
      await page.setViewportSize({ width, height: 760 });
      for (const p of await page.evaluate(overflowProblems)) {
        problems.push(`${width} sign-in: ${p}`);
      }
      for (const p of await page.evaluate(auditProblems)) problems.push(`${width} sign-in: ${p}`);
      if (width === 390) await shot(page, "layout-sign-in-phone");
    }
    await signIn(page, server.url, world.meName);
    // Search results of both kinds, kept by the page across tabs.
    await tab(page, "Friends");
    await page.getByLabel("Find people").fill("S".repeat(10));
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator(".results .person").first().waitFor();
    await tab(page, "Groups");
    await page.getByLabel("Find groups").fill("G".repeat(10));
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator(".results .person").first().waitFor();

    for (const width of [320, 360, 390, 768, 1100]) {
      await page.setViewportSize({ width, height: 760 });
      for (const [name, go] of screens(world.group.name)) {
        await go(page);
        for (const p of await page.evaluate(overflowProblems)) {
          problems.push(`${width} ${name}: ${p}`);
        }
        if (width === 390 || width === 1100) {
          await shot(page, `layout-${name}-${width === 390 ? "phone" : "desktop"}`);
          for (const p of await page.evaluate(auditProblems)) {
            problems.push(`${width} ${name}: ${p}`);
          }
        }
      }
    }
    // The dark scheme's colours too, at desktop width.
    await page.emulateMedia({ colorScheme: "dark" });
    for (const [name, go] of screens(world.group.name)) {
      await go(page);
      for (const p of await page.evaluate(auditProblems)) problems.push(`dark ${name}: ${p}`);
    }
    await shot(page, "layout-group-chat-dark");
    await page.emulateMedia({ colorScheme: "light" });
    assertEquals(problems, []);

    // The full text of a cut-off name or preview is a title away.
    await page.setViewportSize(PHONE);
    await toList(page);
    await tab(page, "Chats");
    const preview = page.locator(".conversation .conv-last", { hasText: "https://example.com" });
    assertEquals(await preview.getAttribute("title"), URL_TEXT);
  } finally {
    await context?.close();
    await Promise.all([world.me, ...world.friends, ...world.others].map((c) => c.close()));
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name: "web layout: the Friends tab's badge stays on its line at 320 px; focus is visible",
  ...options,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const me = await newUser(server.url);
  const others = [await newUser(server.url), await newUser(server.url)];
  try {
    for (const other of others) await other.requestFriend(me.self!.id);
    const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await signIn(page, server.url, (await me.me()).username);
    const friendsTab = page.getByRole("tab", { name: /^Friends/ });
    await friendsTab.locator(".badge", { hasText: "2" }).waitFor();
    const lines = await friendsTab.evaluate((button) => {
      const label = button.querySelector(".tab-label")!.getBoundingClientRect();
      const badge = button.querySelector(".badge")!.getBoundingClientRect();
      return { label, badge, button: button.getBoundingClientRect() };
    });
    assert(
      lines.badge.top < lines.label.bottom && lines.badge.bottom > lines.label.top &&
        lines.badge.left >= lines.label.right - 1 && lines.badge.right <= lines.button.right + 1,
      `badge beside its label: ${JSON.stringify(lines)}`,
    );
    await shot(page, "layout-tabs-320");
    // Every control reached by Tab shows where the focus is.
    await page.locator("body").click({ position: { x: 1, y: 1 } });
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      const focus = await page.evaluate(focusShown);
      if (!focus) continue;
      seen.push(focus.what);
      assert(focus.outline, `focus outline on ${focus.what}`);
    }
    assert(seen.length >= 8, `Tab reached controls: ${seen.join(", ")}`);
    await context.close();
  } finally {
    await Promise.all([me, ...others].map((c) => c.close()));
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name: "web layout: a time on every message, full date on hover and tap, day separators",
  ...options,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const [ann, bob] = [await newUser(server.url), await newUser(server.url)];
  try {
    const { request } = await ann.requestFriend(bob.self!.id);
    await bob.acceptFriend(request!.id);
    for (const text of ["first of the day", "second of the day"]) {
      await ann.send({ type: "user", id: bob.self!.id }, { type: "text", text });
    }
    const bobName = (await bob.me()).username;
    for (const viewport of [PHONE, DESKTOP]) {
      const phone = viewport === PHONE;
      const context = await browser.newContext({
        viewport,
        isMobile: phone,
        hasTouch: phone,
        locale: "en-GB",
        timezoneId: "UTC",
      });
      const page = await context.newPage();
      await signIn(page, server.url, bobName);
      await openChat(page, (await ann.me()).nickname);
      await page.locator(".message .text", { hasText: "second of the day" }).waitFor();
      const days = page.locator(".messages .day");
      assertEquals(await days.allTextContents(), ["Today"]);
      const times = await page.locator(".message .meta time").allTextContents();
      assertEquals(times.length, 2);
      for (const time of times) assert(/^\d{2}:\d{2}$/.test(time), `a time of day: ${time}`);
      const full = await page.locator(".message .meta .time").first().getAttribute("title");
      assert(full && /\d{4} at \d{2}:\d{2}$/.test(full), `full date and time: ${full}`);
      const time = page.locator(".message .meta .time").first();
      // A tap on the bubble on a phone, a click (or Enter) on the time on a desktop.
      if (phone) await page.locator(".message .text").first().tap();
      else await time.click();
      await page.locator(".message .full-time", { hasText: full! }).waitFor();
      assertEquals(await time.getAttribute("aria-expanded"), "true");
      await shot(page, `layout-times-${phone ? "phone" : "desktop"}`);

      // Three days later (the page's clock only), the same messages still show their time, under
      // the weekday they were sent; a day before a week ago, under their date.
      const [{ sentAt }] = await bob.history(privateConversationId(ann.self!.id, bob.self!.id), {
        after: 0,
        limit: 1,
      });
      await page.clock.setFixedTime(sentAt + 3 * 86_400_000);
      await page.reload(); // Reopens the chat it shows (its URL).
      await page.locator(".chat-title", { hasText: (await ann.me()).nickname }).waitFor();
      await page.locator(".message .text", { hasText: "second of the day" }).waitFor();
      const weekday = new Date(sentAt).toLocaleDateString("en-GB", {
        weekday: "long",
        timeZone: "UTC",
      });
      assertEquals(await days.allTextContents(), [weekday]);
      for (const time of await page.locator(".message .meta time").allTextContents()) {
        assert(/^\d{2}:\d{2}$/.test(time), `still a time of day: ${time}`);
      }
      await page.clock.setFixedTime(sentAt + 9 * 86_400_000);
      await page.reload(); // Reopens the chat it shows (its URL).
      await page.locator(".chat-title", { hasText: (await ann.me()).nickname }).waitFor();
      await page.locator(".message .text", { hasText: "second of the day" }).waitFor();
      const date = (await days.allTextContents())[0];
      assert(/\d{4}$/.test(date), `a date: ${date}`);
      await context.close();
    }
  } finally {
    await Promise.all([ann.close(), bob.close()]);
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name: "web layout: plain errors, and images refused in the page before any byte is sent",
  ...options,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const [ann, bob] = [await newUser(server.url), await newUser(server.url)];
  try {
    const { request } = await ann.requestFriend(bob.self!.id);
    await bob.acceptFriend(request!.id);
    await ann.send({ type: "user", id: bob.self!.id }, { type: "text", text: "hi" });
    const big = Buffer.alloc(5 * 1024 * 1024 + 1);
    Buffer.from(PNG_2x3).copy(big);
    for (const viewport of [PHONE, DESKTOP]) {
      const phone = viewport === PHONE;
      const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone });
      const page = await context.newPage();
      const uploads: string[] = [];
      page.on("request", (r) => {
        if (new URL(r.url()).pathname.startsWith("/api/media")) uploads.push(r.method());
      });
      await signIn(page, server.url, (await bob.me()).username);
      await openChat(page, (await ann.me()).nickname);

      // The composer refuses it before sending (the server's refusal reads plain too: errors_test).
      await page.getByLabel("Message", { exact: true }).fill("x".repeat(4001));
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.locator(".chat", { hasText: "Too long to send" }).first().waitFor();
      assert(!(await page.locator(".chat").innerText()).includes("content.text"), "no field name");

      await page.locator("#image-input").setInputFiles({
        name: "huge.png",
        mimeType: "image/png",
        buffer: big,
      });
      await page.locator("#composer-error", { hasText: "larger than 5 MB" }).waitFor();
      await page.locator("#image-input").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("not an image"),
      });
      await page.locator("#composer-error", { hasText: "not an image" }).waitFor();
      await shot(page, `layout-errors-${phone ? "phone" : "desktop"}`);

      await toList(page);
      await tab(page, "Profile");
      await page.getByLabel(/^Avatar/).setInputFiles({
        name: "huge.png",
        mimeType: "image/png",
        buffer: big,
      });
      await page.locator("#profile-avatar-error", { hasText: "larger than 5 MB" }).waitFor();
      await page.getByRole("button", { name: "Save" }).click();
      assertEquals(uploads, [], "no request to /api/media");
      await context.close();
    }
  } finally {
    await Promise.all([ann.close(), bob.close()]);
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name:
    "web layout: icon, no console error, unread count in the title, links, group authors, stale",
  ...options,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const [ann, bob] = [await newUser(server.url), await newUser(server.url)];
  try {
    const icon = await fetch(`${server.url}/favicon.ico`);
    assertEquals(icon.status, 200);
    assertEquals(icon.headers.get("content-type"), "image/x-icon");
    assertEquals([...new Uint8Array(await icon.arrayBuffer()).slice(0, 4)], [0, 0, 1, 0]);

    const { request } = await ann.requestFriend(bob.self!.id);
    await bob.acceptFriend(request!.id);
    const group = await ann.createGroup(uniqueName("club"), [bob.self!.id]);
    const annUser = await ann.me();
    for (const viewport of [PHONE, DESKTOP]) {
      const phone = viewport === PHONE;
      const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      let cut = false;
      const sockets: { close(): Promise<void> }[] = [];
      await page.routeWebSocket(/\/ws/, (ws) => {
        if (cut) return void ws.close({ code: 1006 as 1000, reason: "cut" }).catch(() => {});
        ws.connectToServer();
        sockets.push(ws);
      });
      await signIn(page, server.url, (await bob.me()).username);
      assertEquals(await page.title(), "im");
      // Sent at once, maybe before the page's socket is open: the first open catches up.

      const links = `Read https://example.com/a?b=1, write to ann@example.org; javascript:alert(1)`;
      await ann.send({ type: "user", id: bob.self!.id }, { type: "text", text: links });
      await ann.send({ type: "group", id: group.id }, { type: "text", text: "hello group" });
      await eventually(async () => (await page.title()) === "(2) im");
      await tab(page, "Chats");
      await page.locator(".conversation .conv-last", {
        hasText: `${annUser.nickname}: hello group`,
      })
        .waitFor();
      await page.locator('.conversation[data-conversation^="u:"]').click();
      // The newest of Ann's messages: the second width's run finds the first run's too.
      const anchors = page.locator(".message.theirs").last().locator(".text a");
      await anchors.first().waitFor();
      assertEquals(
        await anchors.evaluateAll((list) =>
          list.map((a) => [a.getAttribute("href"), a.getAttribute("target"), a.getAttribute("rel")])
        ),
        [
          ["https://example.com/a?b=1", "_blank", "noopener noreferrer"],
          ["mailto:ann@example.org", "_blank", "noopener noreferrer"],
        ],
      );
      assertEquals(await page.locator('.messages a[href^="javascript" i]').count(), 0);
      assert((await page.locator(".message .text").last().innerText()).endsWith("alert(1)"));
      await eventually(async () => (await page.title()) === "(1) im");
      await say(page, "You write too");
      await toList(page);
      await tab(page, "Chats");
      await page.locator(".conversation .conv-last", { hasText: "You: You write too" }).waitFor();
      await page.locator('.conversation[data-conversation^="g:"]').click();
      await eventually(async () => (await page.title()) === "im");
      await toList(page);

      // Disconnected: presence and online counts say they may be out of date, until back.
      await tab(page, "Friends");
      await page.locator("[data-friend] .dot").waitFor();
      cut = true;
      for (const ws of sockets.splice(0)) await ws.close();
      await page.getByRole("status").filter({ hasText: "may be out of date" }).waitFor();
      const dot = page.locator("[data-friend] .dot");
      assert((await dot.getAttribute("aria-label"))!.includes("may be out of date"));
      await shot(page, `layout-stale-${phone ? "phone" : "desktop"}`);
      cut = false;
      await eventually(
        async () => !(await dot.getAttribute("aria-label"))!.includes("out of"),
        20_000,
      );
      assertEquals(errors.filter((e) => !/WebSocket|ERR_CONNECTION|1006/.test(e)), []);
      await context.close();
    }
  } finally {
    await Promise.all([ann.close(), bob.close()]);
    await browser.close();
    await server.stop();
  }
});
