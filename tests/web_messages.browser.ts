/**
 * Messages version 2 in a real browser (issue 15, point 7), at phone (touch) and desktop width,
 * two or three users on an embedded server:
 *
 * - a private chat: a reply through the actions menu quotes the message; a quote of a message
 *   from long ago loads older history and goes there; the sender's ticks go from delivered to
 *   read when the peer opens the chat; the peer's typing line comes and goes (by their message,
 *   and after 5 s without a typing event); an edit shows "edited" on both sides; a recall asks
 *   in a dialog of the page (never a native one) and shows "Message recalled" on both sides,
 *   quotes of it included; a file shows its name and size and its link downloads it; a file over
 *   25 MB is refused before any upload. On a touch screen a swipe to the right answers.
 * - a group: `@` opens the member picker (filtered, arrow keys and Enter, or a tap), the mention
 *   is sent and the mentioned member sees the "@" badge in the list and the mention marked; the
 *   owner's "everyone" entry sends mentionAll; "Read by N" counts the members who read; the
 *   owner recalls a member's message, which a plain member cannot.
 *
 * Screenshots: results/web/<mode>-messages-<width>-*.png, each checked for sideways overflow,
 * contrast and accessible names.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./assert.ts";
import { browserTestsEnabled, launch, openChat, say } from "./browser.ts";
import { befriend, eventually, startServer, waitFor } from "./harness.ts";
import type { Message } from "../shared/types.ts";
import {
  act,
  bubble,
  checkedShot,
  pageOf,
  person,
  swipeRight,
  WIDTHS,
} from "./_web_messages_page.ts";

const enabled = browserTestsEnabled();
const OPTIONS = { ignore: !enabled, sanitizeOps: false, sanitizeResources: false };

for (const width of WIDTHS) {
  const w = width.name;
  Deno.test({
    ...OPTIONS,
    name: `web messages (${w}): reply, quote, ticks, typing, edit, recall and files in a chat`,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const ann = await person(server.url, "Ann");
    const bob = await person(server.url, "Bob");
    try {
      await befriend(ann, bob);
      const bobId = (await bob.me()).id;
      const annId = (await ann.me()).id;
      const to = { type: "user" as const, id: bobId };
      // A message from long ago, then more than a page of others, then Bob's answer to it.
      const original = await ann.send(to, { type: "text", text: "the original question" });
      for (let i = 1; i <= 35; i++) {
        await bob.send({ type: "user", id: annId }, { type: "text", text: `filler ${i}` });
      }
      await bob.send({ type: "user", id: annId }, {
        type: "text",
        text: "answering the original",
        replyTo: original.id,
      });
      const a = await pageOf(browser, width, server.url, ann);
      const b = await pageOf(browser, width, server.url, bob);

      // The quote of a message not loaded: pressing it loads older history and goes there.
      await openChat(a.page, "Bob");
      const answer = bubble(a.page, "answering the original");
      await answer.locator(".quote", { hasText: "the original question" }).waitFor();
      assertEquals(
        await a.page.locator(".message", { hasText: "the original question" }).count(),
        1,
      );
      await answer.locator(".quote").click();
      const first = a.page.locator(".message.flash", { hasText: "the original question" });
      await first.waitFor();
      assert(await first.isVisible(), "the original is scrolled into view");
      await checkedShot(a.page, `messages-${w}-quote-reached`);

      // On a touch screen, swiping a message to the right answers it.
      if (width.hasTouch) {
        await swipeRight(a.page, bubble(a.page, "filler 35"));
        await a.page.locator(".composer-banner", { hasText: "filler 35" }).waitFor();
        await a.page.getByRole("button", { name: "Cancel reply" }).click();
        await a.page.locator(".composer-banner").waitFor({ state: "detached" });
      }
      // A reply from the actions menu: the composer quotes it, the sent bubble too.
      await act(a.page, "answering the original", "Reply");
      await a.page.locator(".composer-banner", { hasText: "Replying to Bob" }).waitFor();
      await a.page.locator(".composer-banner", { hasText: "answering the original" }).waitFor();
      await checkedShot(a.page, `messages-${w}-replying`);
      await say(a.page, "my reply");
      const reply = bubble(a.page, "my reply");
      await reply.locator(".quote", { hasText: "answering the original" }).waitFor();
      assertEquals(await a.page.locator(".composer-banner").count(), 0);
      // Not read yet: one tick, "Delivered" for screen readers.
      await reply.locator(".receipt", { hasText: "Delivered" }).waitFor();

      // Bob opens the chat: Ann's ticks turn to read.
      await openChat(b.page, "Ann");
      await bubble(b.page, "my reply").locator(".quote", { hasText: "answering the original" })
        .waitFor();
      await reply.locator(".receipt.read", { hasText: "Read" }).waitFor();
      await checkedShot(a.page, `messages-${w}-read`);
      // The actions menu of one's own message, at the narrowest phone too.
      await reply.getByRole("button", { name: "Message actions" }).click();
      await a.page.getByRole("menuitem", { name: "Recall" }).waitFor();
      await checkedShot(a.page, `messages-${w}-actions`);
      if (w === "phone") {
        await a.page.setViewportSize({ width: 320, height: 640 });
        await reply.scrollIntoViewIfNeeded();
        await checkedShot(a.page, `messages-${w}-actions-320`);
        await a.page.setViewportSize(width.viewport);
      }
      await a.page.keyboard.press("Escape");
      await a.page.getByRole("menu").waitFor({ state: "detached" });

      // Bob types: Ann sees it under the header; his message ends it.
      await b.page.getByLabel("Message", { exact: true }).pressSequentially("on my w");
      const typing = a.page.locator(".typing-line", { hasText: "Bob is typing…" });
      await typing.waitFor();
      await checkedShot(a.page, `messages-${w}-typing`);
      await b.page.getByLabel("Message", { exact: true }).fill("on my way");
      await b.page.getByLabel("Message", { exact: true }).press("Enter");
      await bubble(a.page, "on my way").waitFor();
      await typing.waitFor({ state: "detached" });
      // Typing without sending: the line goes by itself after about 5 s.
      await b.page.waitForTimeout(2100); // The SDK sends at most one typing frame per 2 s.
      await b.page.getByLabel("Message", { exact: true }).pressSequentially("hm");
      await typing.waitFor();
      const shownAt = Date.now();
      await typing.waitFor({ state: "detached", timeout: 8000 });
      assert(Date.now() - shownAt > 3500, "the typing line stays about 5 s");
      await b.page.getByLabel("Message", { exact: true }).fill("");

      // Ann edits her reply: "edited" on both sides, the new text on both.
      await act(a.page, "my reply", "Edit");
      await a.page.locator(".composer-banner", { hasText: "Editing message" }).waitFor();
      const composer = a.page.getByLabel("Message", { exact: true });
      assertEquals(await composer.inputValue(), "my reply");
      await composer.fill("my reply, corrected");
      await checkedShot(a.page, `messages-${w}-editing`);
      await composer.press("Enter");
      await bubble(a.page, "my reply, corrected").locator(".time.edited").waitFor();
      await bubble(b.page, "my reply, corrected").locator(".time.edited").waitFor();
      assertEquals(await composer.inputValue(), "");
      await checkedShot(b.page, `messages-${w}-edited`);

      // Bob recalls his answer: a dialog of the page asks; both sides show it recalled, and
      // Ann's reply quoting it says so too.
      await act(b.page, "answering the original", "Recall");
      const dialog = b.page.getByRole("dialog", { name: "Recall this message?" });
      await dialog.waitFor();
      await checkedShot(b.page, `messages-${w}-recall-dialog`);
      await dialog.getByRole("button", { name: "Recall" }).click();
      await dialog.waitFor({ state: "detached" });
      for (const page of [a.page, b.page]) {
        await page.locator(".message.is-recalled", { hasText: "Message recalled" }).first()
          .waitFor();
        await bubble(page, "my reply, corrected").locator(".quote", {
          hasText: "Message recalled",
        }).waitFor();
        assertEquals(
          await page.locator(".message", { hasText: "answering the original" }).count(),
          0,
        );
      }
      await checkedShot(a.page, `messages-${w}-recalled`);

      // A file: name and size on both sides; the link downloads it.
      await a.page.locator("#file-input").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("x".repeat(3000)),
      });
      const file = bubble(a.page, "notes.txt");
      await file.locator(".file-size", { hasText: "3 KB" }).waitFor();
      await a.page.locator(".message.mine.stored", { hasText: "notes.txt" }).waitFor();
      const download = b.page.waitForEvent("download");
      await bubble(b.page, "notes.txt").locator("a.file").click();
      const got = await download;
      assertEquals(got.suggestedFilename(), "notes.txt");
      assertEquals((await Deno.readFile((await got.path())!)).length, 3000);
      await checkedShot(b.page, `messages-${w}-file`);
      // The dark scheme keeps every new mark readable.
      await b.page.emulateMedia({ colorScheme: "dark" });
      await checkedShot(b.page, `messages-${w}-dark`);
      await b.page.emulateMedia({ colorScheme: "light" });
      // Over 25 MB: refused before any upload, in plain words.
      await a.page.locator("#file-input").setInputFiles({
        name: "huge.bin",
        mimeType: "application/octet-stream",
        buffer: Buffer.alloc(25 * 1024 * 1024 + 1),
      });
      await a.page.locator("#composer-error", {
        hasText: '"huge.bin" is larger than 25 MB. Choose a smaller file.',
      }).waitFor();
      assertEquals(a.dialogs, []);
      assertEquals(b.dialogs, []);
      await a.ctx.close();
      await b.ctx.close();
    } finally {
      await browser.close();
      await ann.close();
      await bob.close();
      await server.stop();
    }
  });

  Deno.test({
    ...OPTIONS,
    name:
      `web messages (${w}): mentions in a group (picker, badge, highlight), Read by N, the owner's recall`,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const ann = await person(server.url, "Ann");
    const bob = await person(server.url, "Bob");
    const cy = await person(server.url, "Cy");
    try {
      await befriend(ann, bob);
      await befriend(ann, cy);
      const [bobId, cyId] = [(await bob.me()).id, (await cy.me()).id];
      const group = await ann.createGroup("Hikers", [bobId, cyId]);
      const conversationId = `g:${group.id}`;
      await ann.send({ type: "group", id: group.id }, { type: "text", text: "welcome" });
      const a = await pageOf(browser, width, server.url, ann);
      const b = await pageOf(browser, width, server.url, bob);
      await openChat(a.page, "Hikers");

      // "@b" offers Bob (not Cy); Enter inserts him; the send names him.
      const composer = a.page.getByLabel("Message", { exact: true });
      await composer.pressSequentially("hello @b");
      const picker = a.page.getByRole("listbox", { name: "Mention" });
      await picker.getByRole("option", { name: /Bob/ }).waitFor();
      assertEquals(await picker.getByRole("option").count(), 1);
      await checkedShot(a.page, `messages-${w}-mention-picker`);
      // A finger taps the entry; a keyboard takes it with Enter.
      if (width.viewport.width < 720) await picker.getByRole("option", { name: /Bob/ }).tap();
      else await composer.press("Enter");
      assertEquals(await composer.inputValue(), "hello @Bob ");
      await composer.pressSequentially("see the map");
      const heard = waitFor(cy, "message", (m) => m.conversationId === conversationId);
      await composer.press("Enter");
      const sent = await heard as Message;
      assertEquals(sent.content, {
        type: "text",
        text: "hello @Bob see the map",
        mentions: [bobId],
      });

      // Bob's list marks the group with "@"; in the chat, the mention of him stands out.
      const item = b.page.locator(".conversation", { hasText: "Hikers" });
      await item.locator(".badge.mention").waitFor();
      await checkedShot(b.page, `messages-${w}-mention-badge`);
      await openChat(b.page, "Hikers");
      await bubble(b.page, "see the map").locator("mark.mention-me", { hasText: "@Bob" })
        .waitFor();
      assert(
        await bubble(b.page, "see the map").evaluate((li) => li.classList.contains("mentions-me")),
      );
      await checkedShot(b.page, `messages-${w}-mentioned`);
      // Read: the badge goes.
      if (await b.page.getByRole("button", { name: "Back to the list" }).isVisible()) {
        await b.page.getByRole("button", { name: "Back to the list" }).click();
      }
      await item.locator(".badge.mention").waitFor({ state: "detached" });

      // Bob has read it; Cy reads it too: Read by 1, then 2.
      const mine = bubble(a.page, "see the map");
      await mine.locator(".receipt", { hasText: "Read by 1" }).waitFor();
      cy.read(conversationId, sent.seq);
      await mine.locator(".receipt", { hasText: "Read by 2" }).waitFor();
      await checkedShot(a.page, `messages-${w}-read-by`);

      // The owner's "everyone" entry, chosen with the arrow keys among all the entries.
      await composer.pressSequentially("@");
      await picker.getByRole("option").nth(2).waitFor();
      await composer.press("ArrowDown");
      await composer.press("ArrowUp");
      const everyone = picker.getByRole("option", { name: /everyone/ });
      assertEquals(await everyone.getAttribute("aria-selected"), "true");
      await composer.press("Enter");
      await composer.pressSequentially("we leave at 8");
      const all = waitFor(cy, "message", (m) => m.conversationId === conversationId);
      await composer.press("Enter");
      assertEquals((await all as Message).content, {
        type: "text",
        text: "@everyone we leave at 8",
        mentionAll: true,
      });
      await eventually(async () =>
        (await b.page.locator(".badge.mention").count()) === 1 ||
        (await b.page.locator("mark.mention-me", { hasText: "@everyone" }).count()) === 1
      );

      // The owner recalls a member's message (Cy's); a plain member gets no Recall on others'.
      await cy.send({ type: "group", id: group.id }, { type: "text", text: "spam spam" });
      await openChat(b.page, "Hikers");
      await bubble(b.page, "spam spam").getByRole("button", { name: "Message actions" }).click();
      await b.page.getByRole("menuitem", { name: "Reply" }).waitFor();
      assertEquals(await b.page.getByRole("menuitem", { name: "Recall" }).count(), 0);
      await b.page.keyboard.press("Escape");
      await act(a.page, "spam spam", "Recall");
      const dialog = a.page.getByRole("dialog", { name: "Recall Cy's message?" });
      await dialog.getByRole("button", { name: "Recall" }).click();
      for (const page of [a.page, b.page]) {
        await page.locator(".message.is-recalled", { hasText: "Message recalled" }).waitFor();
        assertEquals(await page.locator(".message", { hasText: "spam spam" }).count(), 0);
      }
      assertEquals(a.dialogs, []);
      await a.ctx.close();
      await b.ctx.close();
    } finally {
      await browser.close();
      for (const c of [ann, bob, cy]) await c.close();
      await server.stop();
    }
  });
}
