/**
 * The Account section of the web client, at phone and desktop width: change the
 * password (another browser signed in with the old session goes to the sign-in
 * screen; the new password works), sign out another device from the list of
 * sessions, delete an account (its friend sees "Deleted account"; its username
 * no longer signs in). Screenshots: results/web/<mode>-<width>-account*.png.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  type BrowserContext,
  browserTestsEnabled,
  launch,
  openChat,
  type Page,
  PASSWORD,
  register,
  shot,
  signIn,
  tab,
  texts,
} from "./browser.ts";
import { eventually, friendPair, startServer, uniqueName } from "./harness.ts";

const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0";
const NEW_PASSWORD = "a fresh password 42";

const WIDTHS = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1100, height: 760 } },
};

/** Opens the Account section from the Profile tab. */
async function openAccount(page: Page): Promise<void> {
  await tab(page, "Profile");
  await page.getByRole("button", { name: "Password, devices and account…" }).click();
  await page.getByRole("heading", { name: "Account", exact: true }).waitFor();
}

/** Fills and submits the sign-in form (with any password). */
async function trySignIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The sign-in screen with its notice, and nothing of the signed-in page. */
async function assertSignedOut(page: Page, notice: RegExp): Promise<void> {
  await page.locator(".auth-form .notice", { hasText: notice }).waitFor();
  assertEquals(await page.locator(".shell").count(), 0, "nothing of the old session shows");
}

/**
 * What a person and a screen reader need of the Account section, checked in the
 * page (plain JavaScript: the tests have no DOM types): every input labelled,
 * every button named, text at 4.5:1 against the first opaque background behind
 * it (WCAG 2), and nothing wider than the screen. Answers the problems found.
 */
const ACCESSIBILITY_CHECK = `(() => {
  const root = document.querySelector(".account");
  const found = [];
  for (const input of root.querySelectorAll("input")) {
    if (input.labels.length === 0 && !input.getAttribute("aria-label")) {
      found.push("input #" + input.id + " has no label");
    }
  }
  for (const button of root.querySelectorAll("button")) {
    if (!button.textContent.trim() && !button.getAttribute("aria-label")) found.push("a button has no name");
  }
  const rgb = (color) => (color.match(/[\\d.]+/g) || []).map(Number);
  const lin = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const luminance = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  };
  const text = ".muted, .this-device, .session-device, button, .success, .field-error, label, h2, h3";
  for (const el of root.querySelectorAll(text)) {
    if (!el.textContent.trim() || el.offsetParent === null) continue;
    const a = luminance(rgb(getComputedStyle(el).color));
    const b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) found.push(JSON.stringify(el.textContent.trim().slice(0, 30)) + " " + ratio.toFixed(2) + ":1");
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) found.push("page " + doc.scrollWidth + "px wide");
  return found;
})()`;

/** Checks the Account section as ACCESSIBILITY_CHECK says. */
async function assertAccessible(page: Page): Promise<void> {
  assertEquals(await page.evaluate(ACCESSIBILITY_CHECK), []);
}

for (const [width, size] of Object.entries(WIDTHS)) {
  Deno.test({
    name: `web account (${width}): password change, devices signed out, account deleted`,
    ignore: !browserTestsEnabled(),
    sanitizeOps: false,
    sanitizeResources: false,
  }, async (t) => {
    const server = await startServer();
    const browser = await launch();
    const contexts: BrowserContext[] = [];
    const newPage = async (userAgent?: string) => {
      const context = await browser.newContext({ ...size, ...(userAgent ? { userAgent } : {}) });
      contexts.push(context);
      return await context.newPage();
    };
    try {
      await t.step("sessions listed; another signed out; the password changed", async () => {
        const name = uniqueName("ada");
        const main = await newPage();
        await register(main, server.url, name, "Ada");
        const iphone = await newPage(SAFARI_IPHONE);
        await signIn(iphone, server.url, name);
        const android = await newPage(FIREFOX_ANDROID);
        await signIn(android, server.url, name);

        await tab(main, "Profile");
        await shot(main, `${width}-profile`);
        await openAccount(main);
        const sessions = main.locator(".session");
        await eventually(async () => await sessions.count() === 3);
        const current = main.locator(".session", { hasText: "This device" });
        assertEquals(await current.count(), 1);
        assert((await current.innerText()).includes("Chrome on Linux"), "the device in words");
        assertEquals(await current.getByRole("button").count(), 0, "no sign-out for oneself");
        await main.locator(".session", { hasText: "Safari on iPhone" }).waitFor();
        await assertAccessible(main);
        await shot(main, `${width}-account`);

        await main.getByRole("button", { name: /^Sign out Firefox on Android/ }).click();
        await assertSignedOut(android, /signed out/i);
        await main.getByText("Signed out Firefox on Android.").waitFor();
        await eventually(async () => await sessions.count() === 2);

        // No network, a wrong current password, two new ones that differ: plain advice, no change.
        const fill = async (current: string, next: string, confirm: string) => {
          await main.getByLabel("Current password").fill(current);
          await main.getByLabel("New password", { exact: true }).fill(next);
          await main.getByLabel("Confirm new password").fill(confirm);
          await main.getByRole("button", { name: "Change password" }).click();
        };
        await main.route("**/api/me/password", (route) => route.abort());
        await fill(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
        await main.getByText("Cannot reach the server. Check your connection and try again.")
          .waitFor();
        await main.unroute("**/api/me/password");
        await fill("not my password", NEW_PASSWORD, NEW_PASSWORD);
        await main.getByText("That is not your current password.").waitFor();
        await fill(PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`);
        await main.getByText("The two new passwords are not the same").waitFor();
        assertEquals(await iphone.locator(".me-name").count(), 1, "still signed in there");
        await fill(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
        await main.getByText("Password changed. Your other devices were signed out.").waitFor();
        await shot(main, `${width}-account-password-changed`);
        await assertSignedOut(iphone, /signed out/i);
        await eventually(async () => await sessions.count() === 1);
        assertEquals(await main.locator(".me-name").count(), 1, "this device stays signed in");

        // The old password no longer signs in; the new one does.
        await trySignIn(iphone, name, PASSWORD);
        await iphone.locator("#form-error", { hasText: /./ }).waitFor();
        await trySignIn(iphone, name, NEW_PASSWORD);
        await iphone.locator(".me-name", { hasText: "Ada" }).waitFor({ state: "attached" });
      });

      await t.step("an account deleted: its friend sees Deleted account", async () => {
        const [gone, friend] = await friendPair(server.url);
        await gone.updateMe({ nickname: "Gus" });
        await friend.updateMe({ nickname: "Fay" });
        await gone.send({ type: "user", id: friend.self!.id }, {
          type: "text",
          text: "See you around",
        });
        const goneName = (await gone.me()).username;
        const friendName = (await friend.me()).username;
        await Promise.all([gone.close(), friend.close()]);

        const fay = await newPage();
        await signIn(fay, server.url, friendName);
        await openChat(fay, "Gus");
        await fay.locator(".message.theirs .text", { hasText: "See you around" }).waitFor();
        const gus = await newPage();
        await signIn(gus, server.url, goneName);
        await openAccount(gus);
        await gus.getByRole("button", { name: "Delete account…" }).click();
        const password = gus.getByLabel("Enter your password to delete your account");
        await password.fill("not my password");
        await gus.getByRole("button", { name: "Delete my account" }).click();
        await gus.getByText("That password is not right. Your account was not deleted.").waitFor();
        await assertAccessible(gus);
        await shot(gus, `${width}-account-delete`);
        await password.fill(PASSWORD);
        await gus.getByRole("button", { name: "Delete my account" }).click();
        await assertSignedOut(gus, /Your account was deleted/);
        await shot(gus, `${width}-account-deleted`);

        // The friend's open chat renames at once; the message stays, after a reload too.
        await fay.locator(".chat-title", { hasText: "Deleted account" }).waitFor();
        assert((await texts(fay)).includes("See you around"), "the message stays");
        await shot(fay, `${width}-account-deleted-friend`);
        await fay.reload(); // Reopens the chat it shows (its URL), once the lists are in.
        await fay.locator(".chat-title", { hasText: "Deleted account" }).waitFor();
        await fay.locator(".message.theirs .text", { hasText: "See you around" }).waitFor();

        await trySignIn(gus, goneName, PASSWORD);
        await gus.locator("#form-error", { hasText: /./ }).waitFor();
        assertEquals(await gus.locator(".me-name").count(), 0);
      });
    } finally {
      for (const context of contexts) await context.close();
      await browser.close();
      await server.stop();
    }
  });
}
