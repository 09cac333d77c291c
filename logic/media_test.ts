/** Uploads: image bombs and malformed images are refused before anything is stored. */
import { assert, assertEquals } from "../tests/assert.ts";
import { PNG_2x3 } from "../tests/harness.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { AppError } from "../shared/errors.ts";
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
