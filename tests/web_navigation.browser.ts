/**
 * In a real browser, at phone and desktop width: reading older messages while
 * new ones arrive (the view stays, a pill counts them, only what was shown is
 * marked read), a URL for each tab and chat (Back, Forward, reload, a link that
 * needs signing in first), and notifications asked for on a click only. Its
 * page helpers are in tests/_web_navigation_page.ts.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  browserTestsEnabled,
  openChat,
  PASSWORD,
  say,
  shot,
  signIn,
  tab,
  texts,
} from "./browser.ts";
import { befriend, eventually, startServer } from "./harness.ts";
import {
  DEVICES,
  look,
  onServer,
  person,
  readFrames,
  type Recorded,
  run,
  scroll,
  scrollTo,
  shown,
  STUBS,
  username,
} from "./_web_navigation_page.ts";

const enabled = browserTestsEnabled();

for (const device of DEVICES) {
  const phone = device.name === "phone";

  run(
    device,
    "reading history, new messages wait under a pill and are read once shown",
    async (context, url) => {
      const [bob, ann] = [await person(url, "Bob"), await person(url, "Ann")];
      try {
        await befriend(bob, ann);
        const to = { type: "user" as const, id: ann.self!.id };
        const sent = Array.from({ length: 75 }, (_, i) => `old message ${i + 1}`);
        for (const text of sent) await bob.send(to, { type: "text", text });
        const page = await context.newPage();
        const reads = readFrames(page);
        await signIn(page, url, await username(ann));
        await openChat(page, "Bob");
        await page.locator(".message .text", { hasText: "old message 75" }).waitFor();
        const id = (await ann.conversations())[0].id;
        await eventually(async () => (await onServer(ann, id))[0] === 75, 15_000);

        // Up to the start of the conversation, as someone reading history would.
        await eventually(async () => {
          await scrollTo(page, "top");
          return (await texts(page)).length === 75;
        }, 15_000);
        await page.getByText("This is the start of the conversation.").waitFor();
        // The last page loaded above keeps the view where it was: up to the very top again.
        await scrollTo(page, "top");
        await eventually(async () => (await scroll(page)).top === 0);
        const before = await scroll(page);

        await bob.send(to, { type: "text", text: "new message 76" });
        await bob.send(to, { type: "text", text: "new message 77" });
        const pill = page.getByRole("button", { name: "2 new messages" });
        await pill.waitFor();
        await page.locator(".message .text", { hasText: "new message 77" }).waitFor({
          state: "attached",
        });
        assertEquals(await scroll(page), before, "the view stays where the reader is");
        assert(
          await page.locator(".messages .text").getByText("old message 1", { exact: true })
            .isVisible(),
          "still at the top",
        );
        await look(page, `${device.name}-history-pill`);
        // Nothing unseen was marked read: not sent, not on the server.
        assert(reads.every((seq) => seq <= 75), `read frames: ${reads}`);
        assertEquals(await onServer(ann, id), [75, 2]);
        if (!phone) {
          const badge = page.locator(".conversation", { hasText: "Bob" }).locator(".badge.unread");
          assertEquals(await badge.textContent(), "2");
        }

        // Scrolled down until 76 shows, and 77 not yet: read up to 76, one still new.
        await shown(page, "new message 76").evaluate((el) => el.scrollIntoView({ block: "end" }));
        await page.getByRole("button", { name: "1 new message" }).waitFor();
        await eventually(async () => (await onServer(ann, id))[0] === 76);
        assertEquals(await onServer(ann, id), [76, 1]);
        await eventually(() => reads.includes(76));
        assert(reads.every((seq) => seq <= 76), `read frames: ${reads}`);

        // Scrolling down to the last reads it and the pill goes.
        await scrollTo(page, "bottom");
        await pill.waitFor({ state: "detached" });
        await eventually(async () => (await onServer(ann, id))[0] === 77);
        assertEquals(await onServer(ann, id), [77, 0]);

        // Up again; one more arrives; the pill jumps to it.
        await scrollTo(page, "top");
        await bob.send(to, { type: "text", text: "new message 78" });
        const one = page.getByRole("button", { name: "1 new message" });
        await one.waitFor();
        assertEquals((await scroll(page)).top, 0);
        assertEquals(await onServer(ann, id), [77, 1]);
        if (phone) await one.tap();
        else {
          // From the keyboard, focus goes on to the composer as the pill goes.
          await one.focus();
          await page.keyboard.press("Enter");
          await eventually(() =>
            page.getByLabel("Message", { exact: true }).evaluate((el) =>
              el.ownerDocument.activeElement === el
            )
          );
        }
        await one.waitFor({ state: "detached" });
        assert((await scroll(page)).atBottom, "the pill leads to the latest");
        assert(await shown(page, "new message 78").isVisible());
        await eventually(async () => (await onServer(ann, id))[0] === 78);
        await shot(page, `${device.name}-history-latest`);

        // Our own message, sent while scrolled up, brings the view down.
        await scrollTo(page, "top");
        await eventually(async () => (await scroll(page)).top === 0);
        await say(page, "my answer");
        assert((await scroll(page)).atBottom, "own message shown");
        assert(await shown(page, "my answer").isVisible());
      } finally {
        await Promise.all([bob.close(), ann.close()]);
      }
    },
  );

  run(
    device,
    "each tab and chat has its URL; Back, Forward, reload and a link reopen it",
    async (context, url) => {
      const [bob, ann] = [await person(url, "Bob"), await person(url, "Ann")];
      try {
        await befriend(bob, ann);
        await bob.send({ type: "user", id: ann.self!.id }, { type: "text", text: "hello Ann" });
        const group = await bob.createGroup("Book club", [ann.self!.id]);
        await bob.send({ type: "group", id: group.id }, {
          type: "text",
          text: "welcome to the club",
        });
        const chatId = (await ann.conversations()).find((c) => c.type === "user")!.id;
        const groupPath = `/chat/g:${group.id}`;
        const page = await context.newPage();
        const path = () => new URL(page.url()).pathname;
        const listShown = () => page.locator(".conv-name", { hasText: "Bob" }).isVisible();
        // A tab chosen while the lists still load stays chosen once they are in.
        let release = () => {};
        const held = new Promise<void>((resolve) => release = resolve);
        await page.route("**/api/groups", async (route) => {
          await held;
          await route.continue();
        });
        await signIn(page, url, await username(ann));
        await tab(page, "Friends");
        release();
        await eventually(() => path() === "/friends"); // `/` until the lists are in.
        assertEquals(
          await page.getByRole("tab", { name: /^Friends/ }).getAttribute("aria-selected"),
          "true",
        );

        for (
          const [name, to] of [["Friends", "/friends"], ["Groups", "/groups"], [
            "Profile",
            "/profile",
          ], ["Chats", "/chats"]]
        ) {
          await tab(page, name);
          await eventually(() => path() === to);
        }
        await openChat(page, "Bob");
        assertEquals(path(), `/chat/${chatId}`);
        await shown(page, "hello Ann").waitFor();
        if (phone) assert(!(await listShown()), "on a phone the chat replaces the list");
        await shot(page, `${device.name}-nav-chat`);

        // Back: the list (alone on a phone); Forward: the chat again.
        await page.goBack();
        await eventually(() => path() === "/chats");
        await page.locator(".chat-title").waitFor({ state: "detached" });
        assert(await listShown(), "the list is back");
        await page.goForward();
        await page.locator(".chat-title", { hasText: "Bob" }).waitFor();
        assertEquals(path(), `/chat/${chatId}`);

        // A reload reopens the chat; Back then leads to the list, not out of the app.
        await page.reload();
        await page.locator(".chat-title", { hasText: "Bob" }).waitFor();
        await shown(page, "hello Ann").waitFor();
        assertEquals(path(), `/chat/${chatId}`);
        await page.goBack();
        await eventually(() => path() === "/chats");
        assert(await listShown(), "the list, after a reload too");

        // The group from the list, then the way back in the chat's header on a phone.
        await openChat(page, "Book club");
        assertEquals(path(), groupPath);
        if (phone) {
          await page.getByRole("button", { name: "Back to the list" }).click();
          await eventually(() => path() === "/chats");
          await page.goForward();
          await page.locator(".chat-title", { hasText: "Book club" }).waitFor();
        }

        // A chat this account cannot open: the list, with a plain notice.
        await page.goto(`${url}/chat/g:424242`);
        await page.getByRole("status").filter({ hasText: "That chat is not available" }).waitFor();
        assertEquals(path(), "/chats");
        assert(await listShown());
        await look(page, `${device.name}-nav-unavailable`);

        // Signing out goes to `/`; a link to a chat opens it once signed in.
        await page.getByRole("button", { name: "Log out" }).click();
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        assertEquals(path(), "/");
        await page.goto(`${url}${groupPath}`);
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        assertEquals(path(), "/");
        await page.getByLabel("Username").fill(await username(ann));
        await page.getByLabel("Password").fill(PASSWORD);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.locator(".chat-title", { hasText: "Book club" }).waitFor();
        await shown(page, "welcome to the club").waitFor();
        assertEquals(path(), groupPath);
        await shot(page, `${device.name}-nav-deep-link`);
      } finally {
        await Promise.all([bob.close(), ann.close()]);
      }
    },
  );

  run(
    device,
    "notifications: asked for on a click, one for another chat, none for the open one",
    async (context, url) => {
      const [bob, cat, ann] = [
        await person(url, "Bob"),
        await person(url, "Cat"),
        await person(url, "Ann"),
      ];
      try {
        await befriend(bob, ann);
        await befriend(cat, ann);
        const annId = ann.self!.id;
        await cat.send({ type: "user", id: annId }, { type: "text", text: "hi from Cat" });
        await context.grantPermissions(["notifications"]);
        await context.addInitScript(STUBS);
        const page = await context.newPage();
        const record = () =>
          page.evaluate(() => (globalThis as unknown as { record: Recorded }).record) as Promise<
            Recorded
          >;
        await signIn(page, url, await username(ann));
        await page.locator(".conversation", { hasText: "Cat" }).waitFor();
        assertEquals((await record()).requests, 0, "no permission asked on load");

        await tab(page, "Profile");
        await page.getByRole("button", { name: "Enable notifications" }).click();
        await page.getByText(/^On: new messages/).waitFor();
        await page.getByLabel("Play a sound for new messages").check();
        assertEquals((await record()).requests, 1);
        await look(page, `${device.name}-notify-settings`);

        // Cat's chat is open: Cat's message shows there, Bob's in another chat notifies.
        await openChat(page, "Cat");
        await cat.send({ type: "user", id: annId }, {
          type: "text",
          text: "Cat, in the open chat",
        });
        await shown(page, "Cat, in the open chat").waitFor();
        await bob.send({ type: "user", id: annId }, { type: "text", text: "Bob writes elsewhere" });
        await eventually(async () => (await record()).notes.length > 0);
        await say(page, "my own message");
        await cat.send({ type: "user", id: annId }, {
          type: "text",
          text: "Cat again, still open",
        });
        await shown(page, "Cat again, still open").waitFor();
        await bob.send({ type: "user", id: annId }, { type: "text", text: "Bob once more" });
        await eventually(async () => (await record()).notes.length === 2);
        const { notes, tones } = await record();
        assertEquals(notes.map((n) => [n.title, n.body]), [
          ["Bob", "Bob writes elsewhere"],
          ["Bob", "Bob once more"],
        ]);
        assertEquals(tones, 2, "a tone with each");

        // Clicking a notification opens its chat.
        await page.evaluate(() => (globalThis as unknown as { clickLast(): void }).clickLast());
        await page.locator(".chat-title", { hasText: "Bob" }).waitFor();
        await shown(page, "Bob once more").waitFor();

        // The open chat with the tab hidden notifies, and is read only once the tab is back.
        const hidden = (state: "hidden" | "visible") =>
          page.evaluate(
            (state) => (globalThis as unknown as { show(state: string): void }).show(state),
            state,
          );
        await hidden("hidden");
        await bob.send({ type: "user", id: annId }, { type: "text", text: "while you were away" });
        await eventually(async () => (await record()).notes.length === 3);
        assertEquals((await record()).notes[2].body, "while you were away");
        const bobChat = (await ann.conversations()).find((c) => c.peer?.id === bob.self!.id)!;
        assertEquals(bobChat.unread, 1, "not read while hidden");
        await hidden("visible");
        await eventually(async () =>
          (await ann.conversations()).find((c) => c.id === bobChat.id)!.unread === 0
        );

        // The choice is kept for this account: after a reload, still on, nothing asked.
        await page.reload();
        await page.locator(".me-name").waitFor({ state: "attached" });
        if (phone) await page.getByRole("button", { name: "Back to the list" }).click();
        await tab(page, "Profile");
        await page.getByText(/^On: new messages/).waitFor();
        assertEquals((await record()).requests, 0);
      } finally {
        await Promise.all([bob.close(), cat.close(), ann.close()]);
      }
    },
  );
}

Deno.test({
  name: "web: the page is served at each screen's path; other paths stay 404",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer();
  try {
    for (
      const path of ["/", "/chats", "/friends", "/groups", "/profile", "/chat/u:1:2", "/chat/g%3A7"]
    ) {
      const answer = await fetch(`${server.url}${path}`);
      assertEquals(answer.status, 200, path);
      assertEquals(answer.headers.get("content-type"), "text/html; charset=utf-8");
      assertEquals(answer.headers.get("cache-control"), "no-cache");
      assert((await answer.text()).includes("/assets/app.js"), path);
    }
    for (const path of ["/api/chats", "/api/chat/g:1", "/chat/a/b", "/settings"]) {
      const answer = await fetch(`${server.url}${path}`);
      assertEquals(answer.status, 404, path);
      assertEquals(answer.headers.get("content-type"), "application/json; charset=utf-8", path);
      await answer.body?.cancel();
    }
  } finally {
    await server.stop();
  }
});
