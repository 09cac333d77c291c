import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { PNG_2x3 } from "../tests/harness.ts";
import { AppError } from "../shared/errors.ts";
import { animatedWebp, bytes, gif, png, vp8l, webp } from "./_image_bytes.ts";
import { type ImageInfo, sniffImage } from "./image.ts";

/** What a still picture of `width`×`height` reads as. */
function still(contentType: ImageInfo["contentType"], width: number, height: number): ImageInfo {
  const pixels = width * height;
  return {
    contentType,
    width,
    height,
    frames: 1,
    frameWidth: width,
    frameHeight: height,
    framePixels: pixels,
    pixels,
  };
}

Deno.test("sniffImage() reads type and size of PNG, GIF, JPEG and WebP", () => {
  assertEquals(sniffImage(PNG_2x3), still("image/png", 2, 3));
  assertEquals(
    sniffImage(gif({ width: 10, height: 20 }, [{ width: 10, height: 20 }])),
    still("image/gif", 10, 20),
  );
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
  assertEquals(sniffImage(jpeg), still("image/jpeg", 40, 30));
  assertEquals(sniffImage(webp(vp8l({ width: 100, height: 50 }))), still("image/webp", 100, 50));
});

Deno.test("sniffImage() reads every frame of an animated GIF, APNG and WebP", () => {
  // Frames far larger than the 1×1 picture they belong to.
  const frames = [{ width: 16000, height: 2 }, { width: 3, height: 15000 }];
  const canvas = { width: 1, height: 1 };
  const expected = {
    width: 1,
    height: 1,
    frames: 2,
    frameWidth: 16000,
    frameHeight: 15000,
    framePixels: 45_000,
    pixels: 77_000,
  };
  assertEquals(sniffImage(gif(canvas, frames)), { contentType: "image/gif", ...expected });
  // The default image is the first frame when its fcTL comes before the IDAT.
  assertEquals(sniffImage(png(canvas, frames)), { contentType: "image/png", ...expected });
  assertEquals(sniffImage(animatedWebp(canvas, frames)), {
    contentType: "image/webp",
    ...expected,
  });
});

Deno.test("sniffImage() refuses a truncated or malformed image with invalid_argument", () => {
  const one = { width: 1, height: 1 };
  const broken: [string, Uint8Array][] = [
    ["GIF without trailer", gif(one, [one], { trailer: false })],
    ["GIF cut in its header", gif(one, [one]).slice(0, 12)],
    ["GIF cut in an image descriptor", gif(one, [one]).slice(0, 25)],
    ["GIF with an unknown block", bytes(gif(one, []).slice(0, -1), [0x99, 0x3b])],
    ["GIF without image", gif(one, [])],
    ["PNG without IEND", png(one, [], { iend: false })],
    ["PNG without IDAT", bytes(png(one).slice(0, 33), png(one).slice(-12))],
    ["PNG of 0×1", png({ width: 0, height: 1 })],
    ["PNG not starting with IHDR", bytes(png(one).slice(0, 8), png(one).slice(33))],
    ["JPEG without start of frame", bytes([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0, 0, 0, 0])],
    ["WebP longer than sent", webp(vp8l(one), { riffSize: 100 })],
    ["WebP without image", webp([])],
    ["WebP with a bad VP8L signature", webp(vp8l(one)).map((b, i) => i === 20 ? 0x2e : b)],
  ];
  for (const [name, data] of broken) {
    const error = assertThrows(() => sniffImage(data));
    assert(error instanceof AppError, `${name}: ${error}`);
    assertEquals(error.code, "invalid_argument", name);
  }
});

Deno.test("sniffImage() refuses anything else, whatever it claims", () => {
  for (const data of ["<svg/>", "<html>", "%PDF-1.4", "", "GIF8", "RIFF0000WAVE"]) {
    assertEquals(sniffImage(bytes(data)), null, data);
  }
});
