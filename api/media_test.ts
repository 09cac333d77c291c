/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { MediaInfo } from "../shared/types.ts";
import { contentDisposition, MEDIA_CSP, mediaResponse } from "./media.ts";

const info = (patch: Partial<MediaInfo>): MediaInfo => ({
  id: "abcdefghijklmnopqrstuvwx",
  url: "/api/media/abcdefghijklmnopqrstuvwx",
  contentType: "application/octet-stream",
  size: 3,
  width: null,
  height: null,
  ...patch,
});
const get = (headers: Record<string, string> = {}) =>
  new Request("http://host/api/media/abcdefghijklmnopqrstuvwx", { headers });
const bytes = new Uint8Array([1, 2, 3]);

Deno.test("contentDisposition() gives a download, the UTF-8 name and an ASCII fallback", () => {
  assertEquals(
    contentDisposition("report.pdf"),
    `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
  );
  assertEquals(
    contentDisposition("Résumé 履歴書 👩‍💻.txt"),
    `attachment; filename="R_sum_ ___ ___.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E5%B1%A5%E6%AD%B4%E6%9B%B8%20%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB.txt`,
  );
  // Quotes, percent signs and the characters encodeURIComponent keeps but RFC 8187 does not.
  assertEquals(
    contentDisposition(`a "b" 100% (c)*'d'.txt`),
    `attachment; filename="a _b_ 100_ (c)*'d'.txt"; filename*=UTF-8''a%20%22b%22%20100%25%20%28c%29%2A%27d%27.txt`,
  );
  // A line break (logic refuses one in a name) can never split the header.
  assertEquals(
    contentDisposition("a\r\nSet-Cookie: x"),
    `attachment; filename="a__Set-Cookie: x"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x`,
  );
});

Deno.test("mediaResponse() serves a file as an opaque, sandboxed download", async () => {
  const response = mediaResponse(get(), { info: info({ name: "page.html" }), bytes });
  assertEquals(response.status, 200);
  assertEquals(Object.fromEntries(response.headers), {
    "cache-control": "private, no-cache",
    "content-disposition": `attachment; filename="page.html"; filename*=UTF-8''page.html`,
    "content-length": "3",
    "content-security-policy": MEDIA_CSP,
    "content-type": "application/octet-stream",
    etag: `"abcdefghijklmnopqrstuvwx"`,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  });
  assertEquals(new Uint8Array(await response.arrayBuffer()), bytes);
});

Deno.test("mediaResponse() serves only the image types as themselves", async () => {
  for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp"]) {
    const response = mediaResponse(get(), { info: info({ contentType: type }), bytes });
    assertEquals(response.headers.get("content-type"), type);
    assertEquals(response.headers.get("content-disposition"), null, "an image shows inline");
    await response.body?.cancel();
  }
  for (const type of ["text/html", "image/svg+xml", "text/javascript", "application/xml", ""]) {
    const response = mediaResponse(get(), { info: info({ contentType: type }), bytes });
    assertEquals(response.headers.get("content-type"), "application/octet-stream", type);
    await response.body?.cancel();
  }
});

Deno.test("mediaResponse() answers a revalidation that names its ETag with a bodiless 304", async () => {
  for (
    const tag of [
      `"abcdefghijklmnopqrstuvwx"`,
      `W/"abcdefghijklmnopqrstuvwx"`,
      `"x", "abcdefghijklmnopqrstuvwx"`,
      "*",
    ]
  ) {
    const response = mediaResponse(get({ "if-none-match": tag }), { info: info({}), bytes });
    assertEquals(response.status, 304, tag);
    assertEquals(response.body, null);
    assertEquals(response.headers.get("etag"), `"abcdefghijklmnopqrstuvwx"`);
    assertEquals(response.headers.get("cache-control"), "private, no-cache");
  }
  const other = mediaResponse(get({ "if-none-match": `"another"` }), { info: info({}), bytes });
  assertEquals(other.status, 200);
  await other.body?.cancel();
});
