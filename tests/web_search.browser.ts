/**
 * In a real browser, at phone and desktop width: message search over all chats and inside one
 * chat. A Chinese and an English substring are found in two chats with every match marked
 * (and a message's markup shown as text, never run); a 1-character query shows the hint, a
 * server refusal its message, "Load more" the next page. Choosing a result 140 messages back
 * opens the chat at it, in view and marked; scrolling loads older and newer pages; a message
 * arriving meanwhile is not put after the old window, and "Jump to latest" shows it.
 */
import { assert, assertEquals } from "./assert.ts";
import { type Page, say, signIn, texts } from "./browser.ts";
import { befriend, eventually } from "./harness.ts";
import { DEVICES, look, onServer, person, scrollTo, username } from "./_web_navigation_page.ts";
import { runDevices, toList } from "./_web_search_page.ts";

/** The search box of the Chats tab. */
function searchAll(page: Page) {
  return page.getByRole("searchbox", { name: "Search messages in all chats" });
}

/** The marked parts of the results, top to bottom. */
function marks(page: Page): Promise<string[]> {
  return page.locator(".search-results mark").allTextContents();
}

/** The results' chat names, top to bottom. */
function chats(page: Page): Promise<string[]> {
  return page.locator(".search-results .result-chat").allTextContents();
}

/** Whether an element lies inside the message list's visible box. */
async function inView(page: Page, selector: string): Promise<boolean> {
  return await page.locator(".messages").evaluate((list, selector) => {
    const el = list.querySelector(selector);
    if (!el) return false;
    const box = list.getBoundingClientRect();
    const rect = el.getBoundingClientRect();
    return rect.top >= box.top && rect.bottom <= box.bottom && box.height > 0;
  }, selector);
}

const OLD = "旧消息：明天去北京开会，带上 Quarterly REPORT";
const MARKUP = "<img src=x onerror=alert(1)> report draft";
const TOTAL = 180;
/** The old message's place: 140 messages before the newest. */
const OLD_AT = 40;

for (const device of DEVICES) {
  runDevices(device, "search across chats, open a chat at an old message", async (url, open) => {
    const [ann, bob, cara] = [
      await person(url, "Ann"),
      await person(url, "Bob"),
      await person(url, "Cara"),
    ];
    try {
      await befriend(ann, bob);
      await befriend(ann, cara);
      const toAnn = { type: "user" as const, id: ann.self!.id };
      for (let i = 1; i <= TOTAL; i++) {
        const text = i === OLD_AT ? OLD : i === OLD_AT + 30 ? MARKUP : `filler ${i}`;
        await bob.send(toAnn, { type: "text", text });
      }
      await cara.send(toAnn, { type: "text", text: "北京烤鸭 tonight? Reporting back later" });
      const page = await (await open()).newPage();
      const alerts: string[] = [];
      page.on("dialog", (dialog) => {
        alerts.push(dialog.message());
        void dialog.dismiss();
      });
      await signIn(page, url, await username(ann));

      // Chinese: both chats, newest first, each match marked.
      await searchAll(page).fill("北京");
      await eventually(async () => (await chats(page)).length === 2, 10_000);
      assertEquals(await chats(page), ["Cara", "Bob"]);
      assertEquals(await marks(page), ["北京", "北京"]);
      assertEquals(
        await page.locator(".search-results .result-sender").allTextContents(),
        ["Cara", "Bob"],
      );
      await look(page, `${device.name}-search-chinese`);

      // English, any case; the message's markup is text in the result, and nothing ran.
      await searchAll(page).fill("report");
      await eventually(async () => (await marks(page)).length === 3, 10_000);
      assertEquals(await marks(page), ["Report", "report", "REPORT"]);
      const markup = page.locator(".search-result", { hasText: "onerror" });
      assertEquals(await markup.locator(".result-text").textContent(), `Bob: ${MARKUP}`);
      assertEquals(await page.locator(".search-results img").count(), 0);
      await look(page, `${device.name}-search-english`);

      // One character: the hint, and no request.
      await searchAll(page).fill("北");
      await page.getByText("Type at least 2 characters").waitFor();
      assertEquals(await page.locator(".search-result").count(), 0);

      // Paging: 20, then 20 more older ones.
      await searchAll(page).fill("filler");
      await eventually(async () => (await page.locator(".search-result").count()) === 20, 10_000);
      await page.getByRole("button", { name: "Load more" }).click();
      await eventually(async () => (await page.locator(".search-result").count()) === 40, 10_000);
      const last = await page.locator(".search-result .result-text").last().textContent();
      assertEquals(last, `Bob: filler ${TOTAL - 39}`, "the second page goes on below the first");

      // The server refuses: its reason, in plain words.
      await page.route("**/api/messages/search?*", (route) =>
        route.fulfill({
          status: 429,
          contentType: "application/json",
          headers: { "retry-after": "3" },
          body: JSON.stringify({ error: { code: "rate_limited", message: "Too many searches" } }),
        }));
      await searchAll(page).fill("fillers");
      await page.getByText("Too many tries in a short time. Wait 3 seconds and try again.")
        .waitFor();
      await look(page, `${device.name}-search-error`);
      await page.unroute("**/api/messages/search?*");
      // Enter asks again: this time the server answers, and nothing matches.
      await searchAll(page).press("Enter");
      await page.getByText("No messages found.").waitFor();

      // The old message opens its chat at it: in view and marked, with older and newer around.
      await searchAll(page).fill("quarterly");
      await eventually(async () => (await page.locator(".search-result").count()) === 1, 10_000);
      await page.locator(".search-result").click();
      await page.locator(".chat-title", { hasText: "Bob" }).waitFor();
      await page.locator(`.message.flash[data-seq="${OLD_AT}"]`).waitFor();
      assert(await inView(page, `[data-seq="${OLD_AT}"]`), "the message is in view");
      const jump = page.getByRole("button", { name: /Jump to latest/ });
      await jump.waitFor();
      await look(page, `${device.name}-search-opened`);
      assert(!(await texts(page)).includes(`filler ${TOTAL}`), "the latest is not loaded");

      // A message arriving now is not put after the old window.
      await bob.send(toAnn, { type: "text", text: "live while reading old" });
      await page.getByRole("button", { name: /Jump to latest \(\d+ new\)/ }).waitFor();
      assert(!(await texts(page)).includes("live while reading old"));
      // Only what was shown is read: nothing after the window.
      const id = (await ann.conversations()).find((c) => c.peer?.id === bob.self!.id)!.id;
      const [readSeq] = await onServer(ann, id);
      assert(readSeq >= OLD_AT && readSeq <= OLD_AT + 25, `read up to ${readSeq}`);

      // Up: older pages, to the start. Down: newer pages after the window.
      await eventually(async () => {
        await scrollTo(page, "top");
        return await page.getByText("This is the start of the conversation.").isVisible();
      }, 15_000);
      assertEquals((await texts(page))[0], "filler 1");
      await eventually(async () => {
        await scrollTo(page, "bottom");
        return (await texts(page)).includes(`filler ${OLD_AT + 75}`);
      }, 15_000);
      const shown = await texts(page);
      assertEquals(
        shown.indexOf(`filler ${OLD_AT + 26}`) - shown.indexOf(`filler ${OLD_AT + 24}`),
        2,
        "one run, in order",
      );
      assert(!shown.includes("live while reading old"));

      // Jump to latest: the newest, the live one last.
      await jump.click();
      await page.locator(".message .text", { hasText: "live while reading old" }).waitFor();
      await jump.waitFor({ state: "detached" });
      assertEquals((await texts(page)).at(-1), "live while reading old");
      assert(await inView(page, ".message:last-of-type"), "at the bottom");
      await look(page, `${device.name}-search-latest`);

      // Inside the chat: only its messages.
      await page.locator(".chat-header").getByRole("button", { name: "Search in this chat" })
        .click();
      const inChat = page.getByRole("searchbox", { name: "Search messages in this chat" });
      await inChat.fill("北京");
      const found = page.locator("#chat-search .search-result");
      await eventually(async () => (await found.count()) === 1, 10_000);
      assertEquals(await found.locator("mark").allTextContents(), ["北京"]);
      await look(page, `${device.name}-search-in-chat`);
      await found.click();
      await page.locator(`.message.flash[data-seq="${OLD_AT}"]`).waitFor();
      assert(await inView(page, `[data-seq="${OLD_AT}"]`));
      // Sent from the old window: the latest shows, with the new message last.
      await say(page, "sent from the old window");
      await page.getByRole("button", { name: /Jump to latest/ }).waitFor({ state: "detached" });
      assertEquals((await texts(page)).at(-1), "sent from the old window");
      assert(await inView(page, ".message:last-of-type"), "at the bottom");
      assertEquals(alerts, [], "no markup of a message ran");
      await toList(page);
    } finally {
      for (const client of [ann, bob, cara]) await client.close();
    }
  });
}
