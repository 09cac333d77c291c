/**
 * The web client and the admin tool, at phone and desktop width: a signed-in
 * user whom an operator disables (`deno task admin disable`) lands on the
 * sign-in screen (the server closed the socket with 4401), and signing in
 * again says the account is disabled; once enabled, signing in works. A
 * message an operator recalls (`deno task admin recall`) shows as removed by a
 * moderator, in the chat and in the list of chats.
 * Screenshots: results/web/<mode>-<width>-admin-*.png.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  browserTestsEnabled,
  launch,
  openChat,
  PASSWORD,
  register,
  shot,
  signIn,
} from "./browser.ts";
import { friendPair, startServer, uniqueName } from "./harness.ts";
import { runAdmin } from "./_admin.ts";

const WIDTHS = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1100, height: 760 } },
};

for (const [width, options] of Object.entries(WIDTHS)) {
  Deno.test({
    name: `web (${width}): a disabled user lands on sign-in, which says the account is disabled`,
    ignore: !browserTestsEnabled(),
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    try {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const name = uniqueName("Dis");
      await register(page, server.url, name, "Disa");
      // The socket signed in first: a kick racing the socket's sign-in can miss it.
      await page.waitForFunction(() =>
        (globalThis as { im?: { state: { everOpen: boolean } } }).im?.state.everOpen
      );

      const disabled = await runAdmin(server, "disable", name, "--reason", "spam");
      assertEquals(disabled.code, 0, disabled.out + disabled.err);
      await page.locator(".auth-form .notice", { hasText: "You were signed out" }).waitFor();
      assertEquals(await page.locator(".shell").count(), 0, "nothing of the session shows");
      assertEquals(await page.evaluate(() => localStorage.getItem("im.token")), null);
      await shot(page, `${width}-admin-signed-out`);

      await page.getByLabel("Username").fill(name);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      const error = page.locator("#form-error", { hasText: "This account is disabled." });
      await error.waitFor();
      assert(await error.isVisible(), "the message is on screen");
      assertEquals(await page.locator(".shell").count(), 0);
      await shot(page, `${width}-admin-disabled`);

      // A wrong password says only that the password is wrong: the state is not revealed.
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("#form-error", { hasNotText: "disabled" }).filter({ hasText: /\S/ })
        .waitFor();

      const enabled = await runAdmin(server, "enable", name);
      assertEquals(enabled.code, 0, enabled.out + enabled.err);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator(".me-name", { hasText: "Disa" }).waitFor({ state: "attached" });
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}

for (const [width, options] of Object.entries(WIDTHS)) {
  Deno.test({
    name: `web (${width}): a message recalled by a moderator shows as removed by a moderator`,
    ignore: !browserTestsEnabled(),
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const [writer, reader] = await friendPair(server.url);
    try {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      await signIn(page, server.url, (await reader.me()).username);
      const sent = await writer.send({ type: "user", id: reader.self!.id }, {
        type: "text",
        text: "an abusive message",
      });
      const writerName = (await writer.me()).nickname;
      await openChat(page, writerName);
      await page.locator(".message .text", { hasText: "an abusive message" }).waitFor();

      const recalled = await runAdmin(server, "recall", sent.id);
      assertEquals(recalled.code, 0, recalled.out + recalled.err);
      await page.locator(".message.is-recalled", { hasText: "Message removed by a moderator" })
        .waitFor();
      assert(!(await page.locator(".messages").innerText()).includes("an abusive message"));
      await shot(page, `${width}-admin-recalled`);
      const back = page.getByRole("button", { name: "Back to the list" });
      if (await back.isVisible()) await back.click();
      await page.locator(".conversation", { hasText: "Message removed by a moderator" }).waitFor();
      await context.close();
    } finally {
      await Promise.all([writer.close(), reader.close()]);
      await browser.close();
      await server.stop();
    }
  });
}
