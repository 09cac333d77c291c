/**
 * Page helpers of tests/web_messages.browser.ts: users with nicknames signed in at a width, a
 * message's actions menu, and the screen checks every screenshot gets (nothing sideways, text
 * contrast, accessible names).
 */
import type { ImClient } from "../client/mod.ts";
import { assertEquals } from "./assert.ts";
import { type BrowserContext, type Locator, type Page, shot, signIn } from "./browser.ts";
import { newUser, uniqueName } from "./harness.ts";
import { type Browser, context, type Width } from "./_web_outbox_page.ts";
import { auditProblems, overflowProblems } from "./web_layout_audit.ts";

export { type Browser, type Width, WIDTHS } from "./_web_outbox_page.ts";

/** A user made through the SDK with a nickname of its own, for the browser to sign in as. */
export async function person(url: string, nickname: string): Promise<ImClient> {
  const client = await newUser(url, { name: uniqueName(nickname.toLowerCase()) });
  await client.updateMe({ nickname });
  return client;
}

/** A page at a width signed in as `who`, its native dialogs recorded (none may appear). */
export async function pageOf(
  browser: Browser,
  width: Width,
  url: string,
  who: ImClient,
): Promise<{ ctx: BrowserContext; page: Page; dialogs: string[] }> {
  const ctx = await context(browser, width);
  const page = await ctx.newPage();
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await signIn(page, url, (await who.me()).username);
  return { ctx, page, dialogs };
}

/** The bubble of the open chat whose own text or file name holds `text` (not a quote; the last). */
export function bubble(page: Page, text: string | RegExp) {
  const own = page.locator("p.text, a.file", { hasText: text });
  return page.locator(".messages .message").filter({ has: own }).last();
}

/** Opens the actions menu of the bubble holding `text` and chooses `action`. */
export async function act(page: Page, text: string | RegExp, action: string): Promise<void> {
  await bubble(page, text).getByRole("button", { name: "Message actions" }).click();
  await page.getByRole("menuitem", { name: action }).click();
}

/** Swipes a finger from the left part of an element to the right (touch events, as a phone sends). */
export async function swipeRight(page: Page, target: Locator): Promise<void> {
  await target.scrollIntoViewIfNeeded();
  const box = (await target.boundingBox())!;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  const touch = (type: string, x: number) =>
    cdp.send("Input.dispatchTouchEvent", {
      type,
      touchPoints: type === "touchEnd" ? [] : [{ x, y }],
    } as never);
  await touch("touchStart", box.x + 10);
  for (let dx = 20; dx <= 100; dx += 20) await touch("touchMove", box.x + 10 + dx);
  await touch("touchEnd", box.x + 110);
  await cdp.detach();
}

/** Saves a screenshot after checking the screen: nothing sideways, contrast and names. */
export async function checkedShot(page: Page, name: string): Promise<void> {
  await shot(page, name);
  assertEquals(await page.evaluate(overflowProblems), [], `overflow on ${name}`);
  assertEquals(await page.evaluate(auditProblems), [], `audit of ${name}`);
}
