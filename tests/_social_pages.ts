/**
 * Page helpers of tests/web_social.browser.ts: accounts made through the API, signing in at
 * any width, layout and focus checks, an image drawn in the page, and the image viewer's checks.
 */
import { Buffer } from "node:buffer";
import { assert } from "./assert.ts";
import { type Page, PASSWORD, shot } from "./browser.ts";
import { ImClient } from "../client/mod.ts";
import { eventually, uniqueName } from "./harness.ts";

type Locator = ReturnType<Page["locator"]>;

/** The few page globals the checks read (the tests are type-checked without the DOM library). */
export interface Dom {
  document: {
    activeElement: unknown;
    createElement(tag: "canvas"): {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        fillStyle: string;
        fillRect(x: number, y: number, w: number, h: number): void;
      };
      toDataURL(type: string): string;
    };
  };
  getComputedStyle(el: unknown): { fontSize: string };
}

/** Registers an account through the API (no socket: the page is the person's only connection). */
export async function account(url: string, nickname: string): Promise<ImClient> {
  const client = new ImClient({ baseUrl: url });
  await client.register(uniqueName(nickname.toLowerCase()), PASSWORD, nickname);
  return client;
}

/** Whether nothing on the page is wider than the window (no sideways scrolling). */
export async function fitsWidth(page: Page): Promise<boolean> {
  return await page.evaluate<boolean>("document.documentElement.scrollWidth <= innerWidth");
}

/** Opens a group's details (the Members button) unless open. */
export async function details(page: Page): Promise<void> {
  const button = page.getByRole("button", { name: "Members", exact: true });
  if (await button.getAttribute("aria-expanded") !== "true") await button.click();
  await page.locator("#group-details").waitFor();
}

/** Whether the element has the keyboard focus. */
export async function focused(locator: Locator): Promise<boolean> {
  return await locator.evaluate((el) =>
    el === (globalThis as unknown as Dom).document.activeElement
  );
}

/** An 800×600 PNG drawn by the page: blue, with a yellow corner to see it is all there. */
export async function bigPng(page: Page): Promise<Buffer> {
  const url = await page.evaluate(() => {
    const canvas = (globalThis as unknown as Dom).document.createElement("canvas");
    [canvas.width, canvas.height] = [800, 600];
    const g = canvas.getContext("2d");
    g.fillStyle = "#2563eb";
    g.fillRect(0, 0, 800, 600);
    g.fillStyle = "#fde68a";
    g.fillRect(700, 500, 100, 100);
    return canvas.toDataURL("image/png");
  });
  return Buffer.from(url.split(",")[1], "base64");
}

/**
 * The viewer opened from `thumb` (an 800×600 image) shows all of it, larger than in the chat,
 * keeps the focus inside, and closes with Escape (focus back on the thumbnail), Back and Close.
 */
export async function checkViewer(
  page: Page,
  thumb: Locator,
  viewport: { width: number; height: number },
  name: string,
): Promise<void> {
  const viewer = page.getByRole("dialog", { name: "Image viewer" });
  const open = async () => {
    await thumb.click();
    await viewer.waitFor();
  };
  await open();
  const image = viewer.locator("img");
  await eventually(() =>
    image.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth === 800)
  );
  const shown = await image.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { width: r.width, height: r.height, left: r.left, right: r.right, bottom: r.bottom };
  });
  assert(shown.width > 240, `larger than in the chat: ${shown.width}`);
  assert(shown.left >= 0 && shown.right <= viewport.width + 0.5, "all of its width");
  assert(shown.bottom <= viewport.height + 0.5, "all of its height");
  assert(Math.abs(shown.width / shown.height - 4 / 3) < 0.02, "not stretched or cropped");
  assert(await focused(viewer.getByRole("button", { name: "Close" })), "Close has the focus");
  for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
  assert(
    await viewer.evaluate((el) =>
      el.contains((globalThis as unknown as Dom).document.activeElement)
    ),
    "focus stays in",
  );
  await shot(page, name);
  await page.keyboard.press("Escape");
  await viewer.waitFor({ state: "detached" });
  assert(await focused(thumb), "focus returns to the image");
  await open();
  await page.goBack();
  await viewer.waitFor({ state: "detached" });
  await open();
  await viewer.getByRole("button", { name: "Close" }).click();
  await viewer.waitFor({ state: "detached" });
}
