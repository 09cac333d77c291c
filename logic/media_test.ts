/**
 * Uploads: image bombs and malformed images are refused before anything is stored; files
 * (`kind=file`) take any bytes with a checked name and are typed by their bytes, never by a
 * client.
 */
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { PNG_2x3 } from "../tests/harness.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { loadConfig } from "../shared/config.ts";
import { AppError } from "../shared/errors.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import { animatedWebp, gif, png, vp8l, webp } from "./_image_bytes.ts";
import { testLogic } from "./_test_logic.ts";

/** Refusals and acceptances of `uploadMedia()` on an in-memory store. */
const cases: [string, Uint8Array, string | null][] = [
  // [name, bytes, null when accepted or a pattern of the refusal's message]
  [
    "the issue's 35-byte GIF: a 1×1 screen, an image block of 60000×60000",
    gif({ width: 1, height: 1 }, [{ width: 60000, height: 60000 }]),
    "frame",
  ],
  [
    "a GIF whose second frame is 20000×2",
    gif({ width: 10, height: 10 }, [{ width: 10, height: 10 }, { width: 20000, height: 2 }]),
    "frame",
  ],
  [
    "a GIF of 3 frames of 5000×5000 (75 megapixels in all)",
    gif({ width: 5000, height: 5000 }, Array(3).fill({ width: 5000, height: 5000 })),
    "in all",
  ],
  [
    "a GIF without its trailer",
    gif({ width: 1, height: 1 }, [{ width: 1, height: 1 }], { trailer: false }),
    "truncated",
  ],
  [
    "a GIF cut inside its image data",
    gif({ width: 1, height: 1 }, [{ width: 1, height: 1 }]).slice(0, 31),
    "truncated",
  ],
  ["a GIF with no image", gif({ width: 1, height: 1 }, []), "no image"],
  [
    "an APNG of 1×1 with a 60000×60000 frame",
    png({ width: 1, height: 1 }, [{ width: 1, height: 1 }, { width: 60000, height: 60000 }]),
    "frame",
  ],
  [
    "an APNG of 40 frames of 2000×1000 (80 megapixels in all)",
    png({ width: 2000, height: 1000 }, Array(40).fill({ width: 2000, height: 1000 })),
    "in all",
  ],
  ["a PNG without IEND", png({ width: 1, height: 1 }, [], { iend: false }), "truncated"],
  ["a PNG cut inside a chunk", PNG_2x3.slice(0, 40), "truncated"],
  [
    "an animated WebP of 1×1 with a 16384×16384 frame",
    animatedWebp({ width: 1, height: 1 }, [{ width: 16384, height: 16384 }]),
    "frame",
  ],
  [
    "an animated WebP of 4 frames of 4000×4000",
    animatedWebp({ width: 4000, height: 4000 }, Array(4).fill({ width: 4000, height: 4000 })),
    "in all",
  ],
  [
    "a WebP frame whose bitstream is larger than its ANMF",
    animatedWebp({ width: 1, height: 1 }, [{
      width: 1,
      height: 1,
      inner: { width: 16000, height: 16000 },
    }]),
    "frame",
  ],
  [
    "a WebP whose RIFF claims more bytes than sent",
    webp(vp8l({ width: 1, height: 1 }), { riffSize: 1000 }),
    "truncated",
  ],
  ["the 2×3 PNG", PNG_2x3, null],
  ["a 1×1 GIF", gif({ width: 1, height: 1 }, [{ width: 1, height: 1 }]), null],
  [
    "a GIF of 3 frames of 100×100",
    gif({ width: 100, height: 100 }, Array(3).fill({ width: 100, height: 100 })),
    null,
  ],
  [
    "an APNG of 3 frames of 100×50",
    png({ width: 100, height: 50 }, Array(3).fill({ width: 100, height: 50 })),
    null,
  ],
  [
    "an animated WebP of 2 frames of 64×64",
    animatedWebp({ width: 64, height: 64 }, Array(2).fill({ width: 64, height: 64 })),
    null,
  ],
  ["a still lossless WebP of 30×20", webp(vp8l({ width: 30, height: 20 })), null],
];

Deno.test("uploadMedia() refuses image bombs and malformed images, and takes good ones", async (t) => {
  const store = await openSqliteStore({ dataDir: "memory://" });
  const dedupe = new MemoryDedupe();
  try {
    const logic = testLogic({ store, dedupe });
    await store.accounts.createUser({
      id: "1",
      username: "u1",
      passwordHash: "x",
      nickname: "u1",
      createdAt: Date.now(),
    });
    for (const [name, image, refusal] of cases) {
      await t.step(`${refusal ? "refuses" : "takes"} ${name}`, async () => {
        const result = await logic.uploadMedia("1", image).catch((e) => e);
        if (refusal === null) {
          assert(!(result instanceof Error), String(result));
          return;
        }
        assert(result instanceof AppError, `accepted: ${JSON.stringify(result)}`);
        assertEquals(result.code, "invalid_argument", result.message);
        assert(result.message.includes(refusal), result.message);
      });
    }
  } finally {
    await dedupe.close();
    await store.close();
  }
});

/** Limits small enough to pass in a test: 2 KiB images, 4 KiB files. */
const SMALL = { ...loadConfig({}).logic.limits, imageBytes: 2048, fileBytes: 4096 };

/** Runs `fn` with a logic under SMALL limits on a fresh in-memory store holding user "1". */
async function withLogic(fn: (logic: LogicService) => Promise<void>): Promise<void> {
  const store = await openSqliteStore({ dataDir: "memory://" });
  const dedupe = new MemoryDedupe();
  try {
    await store.accounts.createUser({
      id: "1",
      username: "u1",
      passwordHash: "x",
      nickname: "u1",
      createdAt: Date.now(),
    });
    await fn(testLogic({ store, dedupe, limits: SMALL }));
  } finally {
    await dedupe.close();
    await store.close();
  }
}

/** The code and message an upload fails with. */
async function refusal(upload: Promise<unknown>): Promise<[string, string]> {
  const error = await assertRejects(() => upload, AppError) as AppError;
  return [error.code, error.message];
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const file = (name: string) => ({ kind: "file", name: encodeURIComponent(name) });

Deno.test("uploadMedia() takes a file of any bytes with its name, typed by its bytes", async (t) => {
  await withLogic(async (logic) => {
    await t.step("a document is opaque bytes, named as X-File-Name says", async () => {
      const bytes = utf8("%PDF-1.7 not really");
      const info = await logic.uploadMedia("1", bytes, file("Résumé 2026 – 履歴書.pdf"));
      assertEquals(info, {
        id: info.id,
        url: `/api/media/${info.id}`,
        contentType: "application/octet-stream",
        size: bytes.length,
        width: null,
        height: null,
        name: "Résumé 2026 – 履歴書.pdf",
      });
    });
    await t.step("HTML, SVG and script are opaque bytes whatever their name says", async () => {
      for (
        const [name, text] of [
          ["page.html", "<!doctype html><script>fetch('/api/me')</script>"],
          ["drawing.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
          ["app.js", "localStorage.clear()"],
        ]
      ) {
        const info = await logic.uploadMedia("1", utf8(text), file(name));
        assertEquals([info.contentType, info.name], ["application/octet-stream", name]);
      }
    });
    await t.step("a picture sent as a file is typed and sized as that picture", async () => {
      const info = await logic.uploadMedia("1", PNG_2x3, file("photo.bin"));
      assertEquals([info.contentType, info.width, info.height], ["image/png", 2, 3]);
    });
    await t.step("a truncated picture or an image bomb is a file of opaque bytes", async () => {
      const bomb = gif({ width: 1, height: 1 }, [{ width: 60000, height: 60000 }]);
      for (const bytes of [PNG_2x3.slice(0, 40), bomb]) {
        const info = await logic.uploadMedia("1", bytes, file("odd.png"));
        assertEquals([info.contentType, info.width, info.height], [OPAQUE, null, null]);
      }
    });
    await t.step("an empty file is a file", async () => {
      const info = await logic.uploadMedia("1", new Uint8Array(), file("empty.txt"));
      assertEquals([info.size, info.name], [0, "empty.txt"]);
    });
    await t.step("the name is NFC-normalized and trimmed", async () => {
      const info = await logic.uploadMedia("1", utf8("x"), file("  cafe\u0301.txt "));
      assertEquals(info.name, "caf\u00e9.txt");
    });
  });
});

const OPAQUE = "application/octet-stream";

Deno.test("uploadMedia() refuses a file without a good name, over its limit or of an unknown kind", async (t) => {
  await withLogic(async (logic) => {
    const bytes = utf8("hello");
    const bad: [string, string | null, string][] = [
      ["no X-File-Name", null, "Missing X-File-Name"],
      ["an empty name", "", "1 to 255 characters"],
      ["a name of spaces", encodeURIComponent("   "), "1 to 255 characters"],
      ["a name of 10,000 characters", "a".repeat(10_000), "got 10000"],
      ["a name of 256 characters", "é".repeat(256), "got 256"],
      ["a slash", encodeURIComponent("../etc/passwd"), "/ or \\"],
      ["a backslash", encodeURIComponent("..\\boot.ini"), "/ or \\"],
      ["a newline", encodeURIComponent("a\nb.txt"), "control"],
      ["a NUL", "a%00b.txt", "control"],
      ["a right-to-left override", encodeURIComponent("invoice\u202Efdp.exe"), "control"],
      ["a zero-width space", encodeURIComponent("a\u200Bb.txt"), "control"],
      ["a malformed percent-encoding", "%E0%A4%A", "percent-encoded UTF-8"],
      ["percent-encoded bytes that are not UTF-8", "%FF%FE.txt", "percent-encoded UTF-8"],
    ];
    for (const [what, name, message] of bad) {
      await t.step(`refuses ${what}`, async () => {
        const [code, text] = await refusal(logic.uploadMedia("1", bytes, { kind: "file", name }));
        assertEquals(code, "invalid_argument", text);
        assert(text.includes(message), text);
      });
    }
    await t.step("a 255-character name with an emoji ZWJ sequence is fine", async () => {
      const name = "👩‍💻" + "a".repeat(251);
      const info = await logic.uploadMedia("1", bytes, file(name));
      assertEquals(info.name, name);
    });
    await t.step("files are limited by fileBytes, images still by imageBytes", async () => {
      const [code] = await refusal(logic.uploadMedia("1", new Uint8Array(4097), file("big.bin")));
      assertEquals(code, "payload_too_large");
      const info = await logic.uploadMedia("1", new Uint8Array(4096), file("full.bin"));
      assertEquals(info.size, 4096);
      const picture = gif({ width: 1, height: 1 }, Array(120).fill({ width: 1, height: 1 }));
      assert(picture.length > 2048 && picture.length <= 4096);
      assertEquals((await refusal(logic.uploadMedia("1", picture)))[0], "payload_too_large");
      assertEquals(
        (await logic.uploadMedia("1", picture, file("big.gif"))).contentType,
        "image/gif",
      );
    });
    await t.step("kind is absent, image or file; anything else is invalid_argument", async () => {
      assertEquals(
        (await logic.uploadMedia("1", PNG_2x3, { kind: "image" })).contentType,
        "image/png",
      );
      assertEquals(
        (await logic.uploadMedia("1", PNG_2x3, { kind: null })).contentType,
        "image/png",
      );
      for (const kind of ["video", "", "FILE"]) {
        const [code, text] = await refusal(logic.uploadMedia("1", bytes, { kind, name: "a.txt" }));
        assertEquals(code, "invalid_argument", text);
        assert(text.includes("kind"), text);
      }
    });
    await t.step("an image upload is still refused when its bytes are no image", async () => {
      const [code] = await refusal(logic.uploadMedia("1", utf8("<svg onload=alert(1)>")));
      assertEquals(code, "unsupported_media_type");
    });
  });
});

Deno.test("media() serves a file with its name, and an image without one", async () => {
  await withLogic(async (logic) => {
    const bytes = utf8("report body");
    const uploaded = await logic.uploadMedia("1", bytes, file("Q3 report.txt"));
    const { info, bytes: stored } = await logic.media(uploaded.id);
    assertEquals(info, uploaded);
    assertEquals(stored, bytes);
    const image = await logic.uploadMedia("1", PNG_2x3, { kind: "image", name: "ignored.png" });
    const served = await logic.media(image.id);
    assertEquals(served.info, image);
    assert(!("name" in served.info), "an image has no name");
  });
});
