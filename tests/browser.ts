/**
 * A real browser for the web client's tests: Debian's `chromium` driven by
 * playwright-core (no browser download). The tests run when chromium is there,
 * and must run (a missing browser fails them) when IM_BROWSER_TESTS=1, as in CI.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export type { BrowserContext, Page };

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
