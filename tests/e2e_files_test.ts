/**
 * End-to-end: file uploads (`POST /api/media?kind=file`) and how media is served. Names travel
 * percent-encoded in `X-File-Name` and are checked; any bytes up to IM_MAX_FILE_BYTES are
 * taken, typed by their bytes (never by the client's Content-Type); a file is served as an
 * opaque, sandboxed attachment and revalidated on every use. Uploads go through `fetch`, as any
 * HTTP client would send them.
 */
import { assert, assertEquals } from "./assert.ts";
import type { ImClient } from "../client/mod.ts";
import type { MediaInfo } from "../shared/types.ts";
import { collect, eventually, friendPair, newUser, PNG_2x3, startServer } from "./harness.ts";

/** Files up to 1 MiB in this suite (images stay at the harness's 64 KiB). */
const FILE_BYTES = 1024 * 1024;
const IMAGE_BYTES = 64 * 1024;

const server = await startServer({ env: { IM_MAX_FILE_BYTES: String(FILE_BYTES) } });
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The HTTP answer to an upload: its status and JSON body. */
interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/**
 * Uploads `bytes` as `client`: `kind` and `name` (the raw X-File-Name, already percent-encoded)
 * only when given, and a Content-Type the server must not believe.
 */
async function upload(
  client: ImClient,
  bytes: Uint8Array,
  { kind, name, type = "text/html" }: { kind?: string; name?: string; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${client.token}`,
    "content-type": type,
  };
  if (name !== undefined) headers["x-file-name"] = name;
  const query = kind === undefined ? "" : `?kind=${encodeURIComponent(kind)}`;
  const response = await fetch(`${url}/api/media${query}`, {
    method: "POST",
    headers,
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  return { status: response.status, body: await response.json() };
}

/** Uploads a file named `name` (encoded here) and returns its media info. */
async function uploadFile(client: ImClient, bytes: Uint8Array, name: string): Promise<MediaInfo> {
  const answer = await upload(client, bytes, { kind: "file", name: encodeURIComponent(name) });
  assertEquals(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

Deno.test(
  "files: any bytes with a unicode name, typed by the bytes, served as a sandboxed attachment",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const html = utf8("<!doctype html><script>fetch('/api/me')</script><h1>hi</h1>");
    const name = "Résumé «final» 履歴書 👩‍💻.html";
    const file = await uploadFile(a, html, name);
    assertEquals(file, {
      id: file.id,
      url: `/api/media/${file.id}`,
      contentType: "application/octet-stream",
      size: html.length,
      width: null,
      height: null,
      name,
    });

    const served = await fetch(`${url}${file.url}`);
    assertEquals(served.status, 200);
    assertEquals(new Uint8Array(await served.arrayBuffer()), html);
    const headers = Object.fromEntries(served.headers);
    assertEquals(headers["content-type"], "application/octet-stream");
    assertEquals(
      headers["content-disposition"],
      `attachment; filename="R_sum_ _final_ ___ ___.html"; filename*=UTF-8''${
        encodeURIComponent(name)
      }`,
    );
    assertEquals(headers["x-content-type-options"], "nosniff");
    assertEquals(headers["content-security-policy"], "sandbox; default-src 'none'");
    assertEquals(headers["cache-control"], "private, no-cache");
    assertEquals(headers.etag, `"${file.id}"`);

    // A cache revalidates: the same ETag gets a 304 without the bytes.
    const again = await fetch(`${url}${file.url}`, { headers: { "if-none-match": headers.etag } });
    assertEquals([again.status, await again.text()], [304, ""]);

    // SVG and anything else that is not a PNG, JPEG, GIF or WebP is opaque bytes.
    const svg = await uploadFile(
      a,
      utf8('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      "logo.svg",
    );
    assertEquals(svg.contentType, "application/octet-stream");
    const svgServed = await fetch(`${url}${svg.url}`);
    await svgServed.body?.cancel();
    assertEquals(svgServed.headers.get("content-type"), "application/octet-stream");

    // A picture sent as a file keeps its type and size, and is still an attachment.
    const photo = (await upload(a, PNG_2x3, { kind: "file", name: "photo.bin" })).body;
    assertEquals([photo.contentType, photo.width, photo.height], ["image/png", 2, 3]);
    const photoServed = await fetch(`${url}${photo.url}`);
    assertEquals(new Uint8Array(await photoServed.arrayBuffer()), PNG_2x3);
    assertEquals(photoServed.headers.get("content-type"), "image/png");
    assert(photoServed.headers.get("content-disposition")!.startsWith("attachment;"));

    // An image upload is unchanged: no name, shown inline, refused unless it is an image.
    const image = (await upload(a, PNG_2x3, { name: "ignored.png" })).body;
    assertEquals([image.contentType, "name" in image], ["image/png", false]);
    const imageServed = await fetch(`${url}${image.url}`);
    await imageServed.body?.cancel();
    assertEquals(imageServed.headers.get("content-disposition"), null);
    assertEquals(imageServed.headers.get("content-security-policy"), "sandbox; default-src 'none'");
    const notImage = await upload(a, html, { kind: "image", type: "image/png" });
    assertEquals([notImage.status, notImage.body.error.code], [415, "unsupported_media_type"]);
    await a.close();
  },
);

Deno.test(
  "files: X-File-Name is percent-encoded UTF-8; missing, malformed or unsafe names are refused",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const bytes = utf8("hello");
    // A percent sign in the name travels as %25; plain ASCII needs no encoding at all.
    assertEquals((await uploadFile(a, bytes, "100% done.txt")).name, "100% done.txt");
    const plain = await upload(a, bytes, { kind: "file", name: "notes.txt" });
    assertEquals([plain.status, plain.body.name], [201, "notes.txt"]);
    // NFC-normalized and trimmed.
    assertEquals((await uploadFile(a, bytes, " cafe\u0301.txt  ")).name, "caf\u00e9.txt");

    const refused: [string, string | undefined, string][] = [
      ["no X-File-Name", undefined, "Missing X-File-Name"],
      ["an empty name", "", "1 to 255 characters"],
      ["10,000 characters", "a".repeat(10_000), "got 10000"],
      ["a slash", encodeURIComponent("../../etc/passwd"), "/ or \\"],
      ["a backslash", encodeURIComponent("..\\windows\\win.ini"), "/ or \\"],
      ["a control character", encodeURIComponent("a\u0007b.txt"), "control"],
      ["a line break", "a%0D%0Ab.txt", "control"],
      ["a bidi override", encodeURIComponent("invoice\u202Egpj.exe"), "control"],
      ["malformed percent-encoding", "%E0%A4%A", "percent-encoded UTF-8"],
      ["bytes that are not UTF-8", "%C3%28.txt", "percent-encoded UTF-8"],
    ];
    for (const [what, name, message] of refused) {
      const answer = await upload(a, bytes, { kind: "file", name });
      assertEquals([answer.status, answer.body.error.code], [400, "invalid_argument"], what);
      assert(answer.body.error.message.includes(message), `${what}: ${answer.body.error.message}`);
    }

    for (const kind of ["video", "", "FILE"]) {
      const answer = await upload(a, bytes, { kind, name: "a.txt" });
      assertEquals([answer.status, answer.body.error.code], [400, "invalid_argument"], kind);
    }
    const stranger = await fetch(`${url}/api/media?kind=file`, {
      method: "POST",
      headers: { "x-file-name": "a.txt" },
      body: bytes,
    });
    assertEquals([stranger.status, (await stranger.json()).error.code], [401, "unauthenticated"]);
    await a.close();
  },
);

Deno.test(
  "files: up to IM_MAX_FILE_BYTES, past the image limit; one byte more is payload_too_large",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const full = new Uint8Array(FILE_BYTES).map((_, i) => i % 251);
    const file = await uploadFile(a, full, "full.bin");
    assertEquals(file.size, FILE_BYTES);
    const served = await fetch(`${url}${file.url}`);
    assertEquals(new Uint8Array(await served.arrayBuffer()), full);

    const over = await upload(a, new Uint8Array(FILE_BYTES + 1), { kind: "file", name: "x.bin" });
    assertEquals([over.status, over.body.error.code], [413, "payload_too_large"]);
    // The image limit stays for images, whatever size a file may be.
    const bigImage = await upload(a, new Uint8Array(IMAGE_BYTES + 1), { kind: "image" });
    assertEquals([bigImage.status, bigImage.body.error.code], [413, "payload_too_large"]);
    const bigFile = await uploadFile(a, new Uint8Array(IMAGE_BYTES + 1), "past-image-limit.bin");
    assertEquals(bigFile.size, IMAGE_BYTES + 1);
    await a.close();
  },
);

Deno.test(
  "files: a file message carries the name, url, size and type, and its url serves the file",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const bytes = utf8("quarterly numbers");
    const file = await uploadFile(a, bytes, "Q3 報告.txt");
    const got = collect(b, "message");
    await a.send(
      { type: "user", id: b.self!.id },
      { type: "file", mediaId: file.id, name: "Q3 報告.txt" },
    );
    await eventually(() => got.length === 1);
    assertEquals(got[0].content, {
      type: "file",
      mediaId: file.id,
      name: "Q3 報告.txt",
      url: file.url,
      size: bytes.length,
      contentType: "application/octet-stream",
    });
    const served = await fetch(`${url}${got[0].content.type === "file" ? got[0].content.url : ""}`);
    assertEquals(new Uint8Array(await served.arrayBuffer()), bytes);
    await Promise.all([a.close(), b.close()]);
  },
);

Deno.test(
  "files: a recalled file or image is no longer served, not even to a cache that revalidates",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const to = { type: "user" as const, id: b.self!.id };
    const file = await uploadFile(a, utf8("secret plans"), "plans.txt");
    const image = (await upload(a, PNG_2x3, { kind: "image" })).body as MediaInfo;
    for (
      const [media, content] of [
        [file, { type: "file" as const, mediaId: file.id, name: "plans.txt" }],
        [image, { type: "image" as const, mediaId: image.id }],
      ] as const
    ) {
      const { id } = await a.send(to, content);
      const first = await fetch(`${url}${media.url}`);
      await first.body?.cancel();
      const etag = first.headers.get("etag")!;
      assertEquals(first.status, 200);
      // Kept by a cache only as long as the server still says yes.
      assertEquals(first.headers.get("cache-control"), "private, no-cache");
      const recall = await fetch(`${url}/api/messages/${id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${a.token}` },
      });
      assertEquals(recall.status, 204);
      // A browser that kept the bytes asks again with its ETag: the answer is 404, not 304.
      const status = async (headers: Record<string, string>) => {
        const response = await fetch(`${url}${media.url}`, { headers });
        await response.body?.cancel();
        return response.status;
      };
      await eventually(async () => await status({ "if-none-match": etag }) === 404);
      assertEquals(await status({}), 404);
    }
    await Promise.all([a.close(), b.close()]);
  },
);
