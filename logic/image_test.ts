import { assertEquals } from "../tests/assert.ts";
import { PNG_2x3 } from "../tests/harness.ts";
import { sniffImage } from "./image.ts";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)),
  );

Deno.test("sniffImage() reads type and size of PNG, GIF, JPEG and WebP", () => {
  assertEquals(sniffImage(PNG_2x3), { contentType: "image/png", width: 2, height: 3 });
  assertEquals(sniffImage(bytes("GIF89a", [10, 0, 20, 0], [0, 0, 0])), {
    contentType: "image/gif",
    width: 10,
    height: 20,
  });
  const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0], [
    0xff,
    0xc0,
    0,
    11,
    8,
    0,
    30,
    0,
    40,
    3,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(sniffImage(jpeg), { contentType: "image/jpeg", width: 40, height: 30 });
  const webp = bytes(
    "RIFF",
    [0, 0, 0, 0],
    "WEBP",
    "VP8X",
    [10, 0, 0, 0],
    [0, 0, 0, 0],
    [99, 0, 0],
    [49, 0, 0],
  );
  assertEquals(sniffImage(webp), { contentType: "image/webp", width: 100, height: 50 });
});

Deno.test("sniffImage() refuses anything else, whatever it claims", () => {
  for (const data of ["<svg/>", "<html>", "%PDF-1.4", "", "GIF8", "RIFF0000WAVE"]) {
    assertEquals(sniffImage(bytes(data)), null, data);
  }
});
