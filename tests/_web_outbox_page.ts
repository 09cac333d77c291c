/**
 * Page helpers of tests/web_outbox.browser.ts: the two widths, signing in and
 * opening chats at either, dialogs, what pending bubbles say, text contrast,
 * and two friends to chat with.
 */
import type { ImClient } from "../client/mod.ts";
import type { BrowserContext, launch, Page } from "./browser.ts";
import { befriend, newUser, type Server } from "./harness.ts";

/** The widths every scenario runs at: a phone (touch) and a desktop. */
export const WIDTHS = [
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  { name: "desktop", viewport: { width: 1100, height: 760 }, isMobile: false, hasTouch: false },
];

/** One of the widths. */
export type Width = (typeof WIDTHS)[number];
/** The launched chromium. */
export type Browser = Awaited<ReturnType<typeof launch>>;

/** A browser context at a width. */
export async function context(browser: Browser, width: Width): Promise<BrowserContext> {
  const { viewport, isMobile, hasTouch } = width;
  return await browser.newContext({ viewport, isMobile, hasTouch });
}

/** Records the page's dialogs (type and message) and accepts them unless `dismiss` says. */
export function dialogs(page: Page, dismiss: () => boolean = () => false): string[] {
  const seen: string[] = [];
  page.on("dialog", (dialog) => {
    seen.push(`${dialog.type()}: ${dialog.message()}`);
    void (dismiss() ? dialog.dismiss() : dialog.accept());
  });
  return seen;
}

/** Texts a user's conversation holds on the server, from its history. */
export async function history(client: ImClient, conversationId: string): Promise<string[]> {
  const page = await client.history(conversationId, { after: 0, limit: 200 });
  return page.map((m) => m.content.type === "text" ? m.content.text : "image");
}

/** The texts of the open chat that are ours and not stored yet, with what each says. */
export async function pendingNotes(page: Page): Promise<string[]> {
  return await page.locator(".message.pending, .message.failed").evaluateAll((items) =>
    items.map((li) =>
      `${li.querySelector(".text")?.textContent} | ${li.querySelector(".meta")?.textContent}`
    )
  );
}

/** Sends through the page's session, past the composer's own checks (to get the server's refusal). */
export async function sendPastComposer(page: Page, text: string): Promise<void> {
  await page.evaluate((text) => {
    const session = (globalThis as unknown as { im: { sendText(t: string): Promise<void> } }).im;
    void session.sendText(text);
  }, text);
}

/** Two friends, the first to be signed in in the browser; the second wrote first. */
export async function pair(
  server: Server,
): Promise<{ me: ImClient; friend: ImClient; chat: string }> {
  const me = await newUser(server.url);
  const friend = await newUser(server.url);
  await befriend(me, friend);
  const { conversationId } = await friend.send({ type: "user", id: me.self!.id }, {
    type: "text",
    text: "hello",
  });
  return { me, friend, chat: conversationId };
}
