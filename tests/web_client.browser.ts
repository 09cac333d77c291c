/**
 * End-to-end in a real browser: people register, become friends, chat with text
 * and images, form a group, drop off and come back, all through the web client
 * the server serves at `/`. Screenshots go to results/web/.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./assert.ts";
import {
  type BrowserContext,
  browserTestsEnabled,
  launch,
  openChat,
  PASSWORD,
  register,
  say,
  shot,
  tab,
  texts,
} from "./browser.ts";
import { ImClient } from "../client/mod.ts";
import { eventually, friendPair, PNG_2x3, startServer, uniqueName } from "./harness.ts";

const enabled = browserTestsEnabled();

Deno.test({
  name: "web: friends, text and images, a group of three, offline and back, script shown as text",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const contexts: BrowserContext[] = [];
  const dialogs: string[] = [];
  const refused: string[] = [];
  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    return page;
  };
  try {
    const names = { a: uniqueName("ann"), b: uniqueName("bob"), c: uniqueName("cat") };
    const [ann, bob, cat] = [await newPage(), await newPage(), await newPage()];

    // Server errors show next to their field.
    await bob.goto(server.url);
    await shot(bob, "sign-in");
    await bob.getByLabel("Username").fill(names.b);
    await bob.getByLabel("Password").fill(PASSWORD);
    await bob.getByRole("button", { name: "Sign in" }).click();
    await bob.locator("#form-error", { hasText: /invalid|password|credentials/i }).waitFor();

    await register(ann, server.url, names.a, "Ann");
    await register(bob, server.url, names.b, "Bob");
    await register(cat, server.url, names.c, "Cat");

    // Ann finds Bob and asks; Bob accepts; each sees the other online.
    await tab(ann, "Friends");
    await ann.getByLabel("Find people").fill(names.b);
    await ann.getByRole("button", { name: "Search" }).click();
    await ann.locator(`[data-add="${names.b}"]`).click();
    await ann.getByText("Pending").waitFor();
    await tab(bob, "Friends");
    await bob.getByRole("button", { name: "Accept" }).click();
    await bob.locator("[data-friend] .dot.online").waitFor();
    await ann.locator("[data-friend] .dot.online").waitFor();
    await shot(ann, "friends");

    // Text and an image, both ways.
    await ann.locator("[data-friend]").click();
    await say(ann, "Hi Bob!");
    await tab(bob, "Chats");
    await bob.locator(".conversation .badge.unread", { hasText: "1" }).waitFor();
    await openChat(bob, "Ann");
    await bob.locator(".message.theirs .text", { hasText: "Hi Bob!" }).waitFor();
    await say(bob, "Hello Ann");
    await ann.locator(".message.theirs .text", { hasText: "Hello Ann" }).waitFor();
    await ann.locator("#image-input").setInputFiles({
      name: "dot.png",
      mimeType: "image/png",
      buffer: Buffer.from(PNG_2x3),
    });
    const image = bob.locator(".message.theirs img").last();
    await image.waitFor();
    // Loaded from the server, at its real size.
    await eventually(async () =>
      await image.evaluate((el) => {
        const img = el as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth === 2;
      })
    );
    assertEquals(await image.evaluate((img) => img.closest("a")?.getAttribute("target")), "_blank");

    // Markup and script in a message are shown as text and run nothing.
    const hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    await say(ann, hostile);
    await bob.locator(".message.theirs .text").filter({ hasText: "<img src=x" }).waitFor();
    assertEquals((await texts(bob)).at(-1), hostile);
    assertEquals(await bob.locator('.messages img[src="x"]').count(), 0);
    await shot(bob, "chat");

    // Ann makes a group with Bob; Cat finds it and joins; all three chat.
    await tab(ann, "Groups");
    await ann.getByLabel("Group name").fill("Weekend plans");
    await ann.getByLabel("Bob").check();
    await ann.getByRole("button", { name: "Create group" }).click();
    await ann.locator(".chat-title", { hasText: "Weekend plans" }).waitFor();
    await tab(cat, "Groups");
    await cat.getByLabel("Find groups").fill("Weekend");
    await cat.getByRole("button", { name: "Search" }).click();
    await cat.locator('[data-join="Weekend plans"]').click();
    await cat.locator(".chat-title", { hasText: "Weekend plans" }).waitFor();
    await ann.locator('.presence[data-online-count="3"]').waitFor();
    await say(cat, "Hi both, I am Cat");
    await ann.locator(".message.theirs .text", { hasText: "I am Cat" }).waitFor();
    await openChat(bob, "Weekend plans");
    await bob.locator(".message.theirs .text", { hasText: "I am Cat" }).waitFor();
    await say(bob, "Welcome Cat");
    await cat.locator(".message.theirs .text", { hasText: "Welcome Cat" }).waitFor();
    await shot(ann, "group");

    // Cat's connection drops (the socket is cut and reconnects refused): a banner shows, and
    // what is sent meanwhile arrives once, in order, when it comes back.
    let cut = false;
    const sockets: { close(): Promise<void> }[] = [];
    await cat.routeWebSocket(/\/ws/, (ws) => {
      if (cut) return void ws.close({ code: 1006 as 1000, reason: "cut" }).catch(() => {});
      ws.connectToServer();
      sockets.push(ws);
    });
    await cat.reload();
    await openChat(cat, "Weekend plans");
    await say(cat, "Back after a reload");
    cut = true;
    for (const ws of sockets) await ws.close();
    await cat.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    const during = ["one while Cat is away", "two while Cat is away", "three while Cat is away"];
    for (const text of during) await say(ann, text);
    await say(bob, "four while Cat is away");
    await shot(cat, "reconnecting");
    cut = false;
    await cat.locator(".message .text", { hasText: "four while Cat is away" }).waitFor({
      timeout: 20_000,
    });
    assert(await cat.locator(".banner").isHidden(), "the banner goes once reconnected");
    const shown = await texts(cat);
    assertEquals(shown.slice(-4), [...during, "four while Cat is away"]);
    assertEquals(new Set(shown).size, shown.length, "no message shown twice");

    // Cat closes the app; messages arrive; Cat comes back to the right unread count. First the
    // server has Cat's read mark: a read still queued on a socket that closes is dropped.
    await eventually(() =>
      cat.evaluate(async () => {
        const answer = await fetch("/api/conversations", {
          headers: { authorization: `Bearer ${localStorage.getItem("im.token")}` },
        });
        const { conversations } = await answer.json() as {
          conversations: { type: string; unread: number }[];
        };
        return conversations.find((c) => c.type === "group")?.unread === 0 || null;
      }), 10_000);
    await cat.close();
    await say(ann, "five, Cat is gone");
    await say(bob, "six, Cat is gone");
    const back = await contexts[2].newPage();
    await back.goto(server.url);
    await tab(back, "Chats");
    await back.locator(".conversation", { hasText: "Weekend plans" }).locator(".badge.unread", {
      hasText: "2",
    }).waitFor();
    await shot(back, "chats");
    await openChat(back, "Weekend plans");
    await back.locator(".message .text", { hasText: "six, Cat is gone" }).waitFor();
    const again = await texts(back);
    assertEquals(again.slice(-2), ["five, Cat is gone", "six, Cat is gone"]);
    assertEquals(new Set(again).size, again.length, "no message shown twice");
    await tab(back, "Chats");
    assertEquals(
      await back.locator(".conversation", { hasText: "Weekend plans" }).locator(".badge").count(),
      0,
      "read once opened",
    );

    // Profile: a nickname change and an avatar, with the type checked before upload.
    await tab(ann, "Profile");
    await ann.getByLabel(/^Avatar/).setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("not an image"),
    });
    await ann.locator("#profile-avatar-error", { hasText: "PNG, JPEG, GIF or WebP" }).waitFor();
    await ann.getByLabel(/^Avatar/).setInputFiles({
      name: "me.png",
      mimeType: "image/png",
      buffer: Buffer.from(PNG_2x3),
    });
    await ann.getByLabel("Nickname").fill("Ann B.");
    await ann.getByRole("button", { name: "Save" }).click();
    await ann.locator(".me-name", { hasText: "Ann B." }).waitFor();
    await ann.locator(".topbar img.avatar").waitFor();
    await shot(ann, "profile");

    // Phone width: the list, then the chat alone with a way back.
    await back.setViewportSize({ width: 390, height: 780 });
    await back.getByRole("button", { name: "Back to the list" }).click();
    await back.locator(".conversation", { hasText: "Weekend plans" }).waitFor();
    await shot(back, "phone-list");
    await back.locator(".conversation", { hasText: "Weekend plans" }).click();
    await back.getByRole("button", { name: "Back to the list" }).waitFor();
    assert(await back.locator(".sidebar").isHidden(), "the chat takes the whole phone screen");
    await shot(back, "phone-chat");

    await openChat(ann, "Weekend plans");
    await shot(ann, "chat-view");

    assertEquals(dialogs, [], "no script ran");
    assertEquals(refused, [], "nothing the page's policy refuses");
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name: "web: the page and its assets are served with types, caching and a strict policy",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer();
  try {
    const page = await fetch(`${server.url}/`);
    const html = await page.text();
    assertEquals(page.status, 200);
    assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
    assertEquals(page.headers.get("cache-control"), "no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    assert(csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"), csp);
    assert(!/<script>/.test(html) && !/ on[a-z]+=/.test(html), "no inline script");
    const src = /src="([^"]+app\.js[^"]*)"/.exec(html)![1];
    const script = await fetch(`${server.url}${src}`);
    await script.body?.cancel();
    assertEquals(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    assertEquals(script.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assertEquals(script.headers.get("x-content-type-options"), "nosniff");
    const stale = await fetch(`${server.url}/assets/app.js?v=old`);
    await stale.body?.cancel();
    assertEquals(stale.headers.get("cache-control"), "no-cache");
  } finally {
    await server.stop();
  }
});

Deno.test({
  name: "web: older history loads on scrolling up, in order; logging out returns to sign-in",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const [writer, reader] = await friendPair(server.url);
  try {
    const to = { type: "user" as const, id: reader.self!.id };
    const sent = Array.from({ length: 75 }, (_, i) => `old message ${i + 1}`);
    for (const text of sent) await writer.send(to, { type: "text", text });
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel("Username").fill((await reader.me()).username);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".conversation .badge.unread", { hasText: "75" }).waitFor();
    await page.locator(".conversation").click();
    await page.locator(".message .text", { hasText: "old message 75" }).waitFor();
    const first = (await texts(page)).length;
    assert(first < 75, `only the latest page at first, not ${first}`);
    await eventually(async () => {
      await page.locator(".messages").evaluate((el) => el.scrollTop = 0);
      return (await texts(page)).length === 75;
    }, 15_000);
    assertEquals(await texts(page), sent);
    await page.getByText("This is the start of the conversation.").waitFor();

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await context.close();
  } finally {
    await Promise.all([writer.close(), reader.close()]);
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name: "web: signed out elsewhere (4401), the page shows sign-in with a notice and keeps nothing",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const [writer, reader] = await friendPair(server.url);
  try {
    await writer.send({ type: "user", id: reader.self!.id }, { type: "text", text: "secret" });
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel("Username").fill((await reader.me()).username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".conversation", { hasText: "secret" }).waitFor();
    // The socket signed in first: a kick racing the socket's sign-in can miss it (in the note).
    await page.waitForFunction(() =>
      (globalThis as { im?: { state: { everOpen: boolean } } }).im?.state.everOpen
    );
    const token = await page.evaluate(() => localStorage.getItem("im.token"));
    assert(token, "signed in with a stored token");

    // The same token logs out from outside the page: the server closes its socket with 4401.
    const logout = await fetch(`${server.url}/api/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    await logout.body?.cancel();
    assertEquals(logout.status, 204);

    await page.getByText("You were signed out. Sign in again.").waitFor();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await shot(page, "signed-out");
    assertEquals(await page.locator(".shell, .conversation, .me-name").count(), 0);
    assert(!(await page.locator("body").innerText()).includes("secret"), "no old content shown");
    assertEquals(await page.evaluate(() => localStorage.getItem("im.token")), null);
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await context.close();
  } finally {
    await Promise.all([writer.close(), reader.close()]);
    await browser.close();
    await server.stop();
  }
});

Deno.test({
  name: "web: @username beside the nickname in requests, search results and member lists",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer();
  const browser = await launch();
  const [real, me] = await friendPair(server.url);
  const impostor = new ImClient({ baseUrl: server.url });
  try {
    const realName = (await real.me()).username;
    const meName = (await me.me()).username;
    // Same nickname as my friend, and a note that pretends to be their username.
    const fakeName = uniqueName("imp");
    await impostor.register(fakeName, PASSWORD, (await real.me()).nickname);
    await impostor.requestFriend(me.self!.id, `@${realName}`);
    const group = await real.createGroup(uniqueName("club"), [me.self!.id]);
    await real.send({ type: "group", id: group.id }, { type: "text", text: "welcome" });

    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel("Username").fill(meName);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await tab(page, "Friends");
    const request = page.locator("[data-request]");
    await request.waitFor();
    assertEquals(await request.locator(".handle").textContent(), `@${fakeName}`);
    assertEquals(await request.locator(".conv-last").textContent(), `“@${realName}”`);
    await shot(page, "request-username");

    await page.getByLabel("Find people").fill(realName);
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator(".results .handle", { hasText: `@${realName}` }).waitFor();
    await shot(page, "search-username");

    await openChat(page, group.name);
    await page.getByRole("button", { name: "Members", exact: true }).click();
    const members = page.locator("#members .handle");
    await members.first().waitFor();
    assertEquals((await members.allTextContents()).sort(), [`@${meName}`, `@${realName}`].sort());
    await shot(page, "members-username");
    await context.close();
  } finally {
    await Promise.all([real.close(), me.close()]);
    impostor.close();
    await browser.close();
    await server.stop();
  }
});
