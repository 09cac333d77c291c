/** Media: images stored by content, served by unguessable id. */
import { AppError } from "../shared/errors.ts";
import type { MediaInfo } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { newMediaId } from "./credentials.ts";
import { sniffImage } from "./image.ts";
import { isMediaId } from "./validate.ts";
import { mediaView } from "./views.ts";
import { sha256Hex } from "../shared/token_hash.ts";

/** Largest side of an accepted image, in pixels. */
const MAX_SIDE = 16_384;
/** Most pixels of an accepted image, of all its frames together (what a client must decode). */
const MAX_PIXELS = 40_000_000;

/** Creates the media part of the logic service. */
export function media(ctx: Context) {
  return {
    async uploadMedia(userId: string, bytes: Uint8Array): Promise<MediaInfo> {
      await ctx.limit(`upload:${userId}`, ctx.rates.uploadPerUser, "uploads");
      if (bytes.length > ctx.limits.imageBytes) {
        throw new AppError("payload_too_large", `Image over ${ctx.limits.imageBytes} bytes`);
      }
      if (bytes.length === 0) throw new AppError("invalid_argument", "Invalid body: empty upload");
      const image = sniffImage(bytes);
      if (!image) {
        throw new AppError(
          "unsupported_media_type",
          "Unsupported upload: expected PNG, JPEG, GIF or WebP bytes",
        );
      }
      // A small file can claim a huge picture (a decompression bomb), or hide one in a frame:
      // refuse what no client should decode.
      const { width, height } = image;
      const limits = `at most ${MAX_SIDE} pixels a side and ${MAX_PIXELS / 1e6} megapixels`;
      if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
        throw new AppError("invalid_argument", `Image ${width}×${height} is too large: ${limits}`);
      }
      if (
        image.frameWidth > MAX_SIDE || image.frameHeight > MAX_SIDE ||
        image.framePixels > MAX_PIXELS
      ) {
        throw new AppError(
          "invalid_argument",
          `Image ${width}×${height} has a frame too large (up to ${image.frameWidth}×${image.frameHeight}): ${limits}`,
        );
      }
      if (image.pixels > MAX_PIXELS) {
        throw new AppError(
          "invalid_argument",
          `Image ${width}×${height} is too large: its ${image.frames} frames hold ${
            (image.pixels / 1e6).toFixed(1)
          } megapixels in all; ${limits} in all frames`,
        );
      }
      const row = {
        id: newMediaId(),
        sha256: await sha256Hex(bytes),
        contentType: image.contentType,
        size: bytes.length,
        width,
        height,
        ownerId: userId,
        createdAt: ctx.now(),
      };
      await ctx.store.media.put(row, bytes);
      return mediaView(row);
    },

    async media(mediaId: string) {
      const found = isMediaId(mediaId) ? await ctx.store.media.withBytes(mediaId) : null;
      if (!found) throw new AppError("not_found", `Cannot find media "${mediaId.slice(0, 40)}"`);
      return { info: mediaView(found.info), bytes: found.bytes };
    },
  };
}
