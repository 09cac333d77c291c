/**
 * The pieces of tests/web_search.browser.ts and tests/web_conversation_settings.browser.ts: one
 * scenario at one width with its own server and browser (two contexts for two devices of one
 * user), and the chats list as the page shows it.
 */
import {
  type Browser,
  type BrowserContext,
  browserTestsEnabled,
  launch,
  type Page,
} from "./browser.ts";
import { startServer } from "./harness.ts";
import type { Device } from "./_web_navigation_page.ts";

const enabled = browserTestsEnabled();

/** One scenario at one width: its own server and browser; `device()` opens another context. */
export function runDevices(
  device: Device,
  name: string,
  body: (url: string, newContext: () => Promise<BrowserContext>) => Promise<void>,
) {
  Deno.test({
    name: `web (${device.name}): ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    let browser: Browser | null = null;
    try {
      browser = await launch();
      const opened = browser;
      await body(server.url, () => opened.newContext(device.options));
    } finally {
      await browser?.close();
      await server.stop();
    }
  });
}

/** The names of the chats list, top to bottom. */
export function listNames(page: Page): Promise<string[]> {
  return page.locator(".conversations .conversation .conv-name").allTextContents();
}

/** A conversation of the chats list by its name. */
export function listItem(page: Page, name: string) {
  return page.locator(".conversation-item").filter({
    has: page.locator(".conv-name", { hasText: name }),
  });
}

/** Back to the chats list where a phone shows the chat instead of it. */
export async function toList(page: Page): Promise<void> {
  const back = page.getByRole("button", { name: "Back to the list" });
  if (await back.isVisible()) await back.click();
}
