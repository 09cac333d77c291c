/**
 * A real browser for the web client's tests: Debian's `chromium` driven by
 * playwright-core (no browser download). The tests run when chromium is there,
 * and must run (a missing browser fails them) when IM_BROWSER_TESTS=1, as in CI.
 */
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { e2eMode } from "./harness.ts";

export type { Browser, BrowserContext, Locator, Page };

/** The chromium binary (IM_BROWSER_PATH overrides). */
export const CHROMIUM = Deno.env.get("IM_BROWSER_PATH") ?? "/usr/bin/chromium";

/** Whether the browser tests run here. */
export function browserTestsEnabled(): boolean {
  if (Deno.env.get("IM_BROWSER_TESTS") === "1") return true;
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** Launches headless chromium with a fresh profile and nothing that calls home. */
export async function launch(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Where the screenshots go (not committed). */
export const SHOTS = new URL("../results/web/", import.meta.url).pathname;
/** The password of every account the browser tests make. */
export const PASSWORD = "correct horse battery";

/** Saves a screenshot as results/web/<mode>-<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${e2eMode()}-${name}.png` });
}

/** Registers through the sign-up form; resolves once the app shows the signed-in user. */
export async function register(page: Page, url: string, username: string, nickname: string) {
  await page.goto(url);
  await page.getByRole("button", { name: "No account? Create one" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Nickname (optional)").fill(nickname);
  await page.getByRole("button", { name: "Create account" }).click();
  // The name is in the page but hidden at phone width.
  await page.locator(".me-name", { hasText: nickname }).waitFor({ state: "attached" });
}

/** Opens a tab of the side panel by the start of its name. */
export async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole("tab", { name: new RegExp(`^${name}`) }).click();
}

/** Opens a chat from the Chats tab by its title (back to the list first where a phone shows one). */
export async function openChat(page: Page, title: string): Promise<void> {
  const back = page.getByRole("button", { name: "Back to the list" });
  if (await back.isVisible()) await back.click();
  await tab(page, "Chats");
  // By its name: a group's preview may name the same person ("Ann: hello").
  const name = page.locator(".conv-name", { hasText: title });
  await page.locator(".conversation").filter({ has: name }).click();
  await page.locator(".chat-title", { hasText: title }).waitFor();
}

/** Sends a text from the open chat; resolves once it is stored. */
export async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
  // Marked as sending until the server has given it its seq.
  await page.locator(".message.mine.stored .text", { hasText: text }).last().waitFor();
}

/** The texts of the open chat, in the order shown. */
export async function texts(page: Page): Promise<string[]> {
  return await page.locator(".messages .message .text").allTextContents();
}

/** Signs in through the form; resolves once the app shows the signed-in user's name. */
export async function signIn(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".me-name").waitFor({ state: "attached" });
}
