/**
 * No upload runs script in the page's origin, at phone and desktop width. A signed-in user opens,
 * as a link in the app would, the URL of an HTML file and of an SVG file whose scripts try to
 * leave a mark (a title, a localStorage key, a request carrying the user's token): each is a
 * download (an attachment of opaque bytes), nothing runs, and the origin's storage is as the app
 * left it. An image opened on its own is shown in a sandboxed document: an opaque origin that
 * cannot read the app's storage. A recalled image stops being served to the page, whose HTTP
 * cache revalidates it. Screenshots: results/web/<mode>-<width>-files-*.png.
 */
import { assert, assertEquals } from "./assert.ts";
import { browserTestsEnabled, launch, type Page, register, shot } from "./browser.ts";
import { befriend, eventually, newUser, startServer, uniqueName } from "./harness.ts";
import { ImClient } from "../client/mod.ts";
import { isPagePath } from "../api/web.ts";
import type { MediaInfo } from "../shared/types.ts";

const WIDTHS = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1100, height: 760 } },
};

/** The path a script that ran would call: no route has it, so it shows only in the requests. */
const MARK_PATH = "/api/pwned";

/** What a script that ran would do: change the title, write storage, send the token away. */
const ATTACK = `document.title = "PWNED";
localStorage.setItem("pwned", "1");
fetch("/api/me", { headers: { authorization: "Bearer " + localStorage.getItem("im.token") } })
  .then((r) => r.text())
  .then((me) => fetch("${MARK_PATH}?" + encodeURIComponent(me)));`;

const HTML = `<!doctype html><html><head><title>invoice</title></head><body>
<h1>Your invoice</h1><script>${ATTACK}</script></body></html>`;
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload='${
  ATTACK.replaceAll("\n", " ")
}'><script>${ATTACK}</script><circle cx="50" cy="50" r="40" fill="red"/></svg>`;

/** Uploads a file as the signed-in user of `token` would, through the API. */
async function uploadFile(url: string, token: string, text: string, name: string) {
  const response = await fetch(`${url}/api/media?kind=file`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "x-file-name": encodeURIComponent(name),
      // What a browser would claim for such a file: the server must not believe it.
      "content-type": name.endsWith(".svg") ? "image/svg+xml" : "text/html",
    },
    body: new TextEncoder().encode(text),
  });
  assertEquals(response.status, 201);
  return await response.json() as MediaInfo;
}

/** The origin's localStorage as a plain object. */
function storage(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => ({ ...localStorage }));
}

for (const [width, size] of Object.entries(WIDTHS)) {
  Deno.test({
    name: `web files security (${width}): an uploaded HTML or SVG file never runs in the origin`,
    ignore: !browserTestsEnabled(),
    sanitizeOps: false,
    sanitizeResources: false,
  }, async (t) => {
    const server = await startServer();
    const browser = await launch();
    try {
      const context = await browser.newContext({ ...size, acceptDownloads: true });
      const requested: string[] = [];
      context.on("request", (request) => void requested.push(new URL(request.url()).pathname));
      const page = await context.newPage();
      await register(page, server.url, uniqueName("eve"), "Eve");
      const before = await storage(page);
      const token = before["im.token"];
      assert(token, "the app keeps its token in localStorage");
      const title = await page.title();

      for (
        const [kind, text, name] of [
          ["html", HTML, "請求書 invoice.html"],
          ["svg", SVG, "logo «red».svg"],
        ]
      ) {
        await t.step(`a ${kind} file is downloaded, not run`, async () => {
          const file = await uploadFile(server.url, token, text, name);
          assertEquals(file.contentType, "application/octet-stream");
          const [download, navigation] = await Promise.all([
            page.waitForEvent("download"),
            page.goto(`${server.url}${file.url}`).then(() => null, (error: Error) => error),
          ]);
          assert(navigation, "the navigation does not open a page");
          assertEquals(download.suggestedFilename(), name);
          assertEquals(download.url(), `${server.url}${file.url}`);
          // The downloaded bytes are the upload's, untouched.
          const saved = await download.path();
          assertEquals(await Deno.readTextFile(saved!), text);
          // The app is still the page shown, with its own title and storage.
          assert(isPagePath(new URL(page.url()).pathname), page.url());
          await page.locator(".me-name").waitFor({ state: "attached" });
          assertEquals(await page.title(), title);
          assertEquals(await storage(page), before);
          await shot(page, `${width}-files-${kind}-downloaded`);
        });
      }

      await t.step("an image opened on its own is a sandboxed document", async () => {
        // A picture large enough to see: a corner of the app as a PNG.
        const picture = await page.screenshot({ clip: { x: 0, y: 0, width: 240, height: 160 } });
        const response = await fetch(`${server.url}/api/media`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "text/html" },
          body: new Uint8Array(picture),
        });
        const image = await response.json() as MediaInfo;
        assertEquals(image.contentType, "image/png");
        const viewer = await context.newPage();
        const answer = await viewer.goto(`${server.url}${image.url}`);
        assertEquals(answer!.headers()["content-type"], "image/png");
        // The document is sandboxed: its origin is opaque, so the app's storage is out of reach.
        assertEquals(await viewer.evaluate("self.origin"), "null");
        const read = await viewer.evaluate(() => {
          try {
            return localStorage.getItem("im.token");
          } catch (error) {
            return (error as Error).name;
          }
        });
        assertEquals(read, "SecurityError");
        await shot(viewer, `${width}-files-image-sandboxed`);
        await viewer.close();
      });

      await t.step("a recalled image is gone from the browser's cache too", async () => {
        // Eve sends an image to a friend; the page fetches it as an <img> would (HTTP cache on).
        const eve = new ImClient({ baseUrl: server.url, token });
        await eve.connect();
        const friend = await newUser(server.url, { connect: false });
        await befriend(eve, friend);
        const picture = await page.screenshot({ clip: { x: 0, y: 0, width: 120, height: 80 } });
        const image = await eve.uploadMedia(new Uint8Array(picture), "image/png");
        const { id } = await eve.send({ type: "user", id: (await friend.me()).id }, {
          type: "image",
          mediaId: image.id,
        });
        const fetchImage = () =>
          page.evaluate((path) => fetch(path).then((r) => r.status), image.url);
        assertEquals(await fetchImage(), 200);
        const recall = await fetch(`${server.url}/api/messages/${id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${token}` },
        });
        assertEquals(recall.status, 204);
        // Cached for a year (as media once was), the page would keep getting 200 from its cache.
        await eventually(async () => await fetchImage() === 404);
        await Promise.all([eve.close(), friend.close()]);
      });

      await t.step("nothing ran: no mark, the origin's storage as the app left it", async () => {
        // Give a script that ran a moment to send its request.
        await page.waitForTimeout(300);
        assertEquals(requested.filter((path) => path === MARK_PATH), []);
        await page.reload();
        await page.locator(".me-name").waitFor({ state: "attached" });
        assertEquals(await storage(page), before);
        assertEquals(await page.title(), title);
      });
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
