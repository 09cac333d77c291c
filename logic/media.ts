/**
 * Media: images and files stored by content, served by unguessable id. An image's type comes
 * from its bytes and it must be one a client can safely decode; a file (`kind=file`) is any
 * bytes with a name, typed as an image only when its bytes are one, else
 * `application/octet-stream`. A client's Content-Type is never believed, so nothing uploaded
 * is ever served as HTML, SVG or script.
 */
import { AppError } from "../shared/errors.ts";
import type { MediaRow } from "../shared/store/mod.ts";
import type { MediaInfo } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { newMediaId } from "./credentials.ts";
import { fileNameHeader } from "./file_name.ts";
import { type ImageInfo, sniffImage } from "./image.ts";
import { isMediaId } from "./validate.ts";
import { mediaView } from "./views.ts";
import { sha256Hex } from "../shared/token_hash.ts";

/** Largest side of an accepted image, in pixels. */
const MAX_SIDE = 16_384;
/** Most pixels of an accepted image, of all its frames together (what a client must decode). */
const MAX_PIXELS = 40_000_000;

/** The type of a file that is not one of the image types. */
export const OPAQUE_TYPE = "application/octet-stream";

/** What `uploadMedia()` takes besides the bytes. */
export type UploadOptions = { kind?: string | null; name?: string | null };

/**
 * Why no client should decode `image`, or null when it is fine: a small file can claim a huge
 * picture (a decompression bomb), or hide one in a frame.
 */
function tooLarge(image: ImageInfo): string | null {
  const { width, height } = image;
  const limits = `at most ${MAX_SIDE} pixels a side and ${MAX_PIXELS / 1e6} megapixels`;
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    return `Image ${width}×${height} is too large: ${limits}`;
  }
  if (
    image.frameWidth > MAX_SIDE || image.frameHeight > MAX_SIDE || image.framePixels > MAX_PIXELS
  ) {
    return `Image ${width}×${height} has a frame too large (up to ${image.frameWidth}×${image.frameHeight}): ${limits}`;
  }
  if (image.pixels > MAX_PIXELS) {
    return `Image ${width}×${height} is too large: its ${image.frames} frames hold ${
      (image.pixels / 1e6).toFixed(1)
    } megapixels in all; ${limits} in all frames`;
  }
  return null;
}

/** An image upload: PNG, JPEG, GIF or WebP that a client can decode, else refused. */
function checkImage(bytes: Uint8Array, limit: number): ImageInfo {
  if (bytes.length > limit) throw new AppError("payload_too_large", `Image over ${limit} bytes`);
  if (bytes.length === 0) throw new AppError("invalid_argument", "Invalid body: empty upload");
  const image = sniffImage(bytes);
  if (!image) {
    throw new AppError(
      "unsupported_media_type",
      "Unsupported upload: expected PNG, JPEG, GIF or WebP bytes",
    );
  }
  const why = tooLarge(image);
  if (why) throw new AppError("invalid_argument", why);
  return image;
}

/**
 * The image a file's bytes are, when they are one a client may show inline; null for anything
 * else. A file is not refused for being a malformed or oversized picture: it is only served as
 * opaque bytes then.
 */
function fileImage(bytes: Uint8Array): ImageInfo | null {
  try {
    const image = sniffImage(bytes);
    return image && !tooLarge(image) ? image : null;
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}

/** Which upload `kind` names; anything but absent, `image` or `file` is `invalid_argument`. */
function uploadKind(kind: string | null | undefined): "image" | "file" {
  if (kind === undefined || kind === null || kind === "image") return "image";
  if (kind === "file") return "file";
  throw new AppError(
    "invalid_argument",
    `Invalid kind: expected "image" or "file", got ${JSON.stringify(kind.slice(0, 40))}`,
  );
}

/** Creates the media part of the logic service. */
export function media(ctx: Context) {
  /** The row of a new upload by `userId`, typed by `image` (null: opaque bytes). */
  async function row(
    userId: string,
    bytes: Uint8Array,
    image: ImageInfo | null,
    name?: string,
  ): Promise<MediaRow> {
    return {
      id: newMediaId(),
      sha256: await sha256Hex(bytes),
      contentType: image?.contentType ?? OPAQUE_TYPE,
      size: bytes.length,
      width: image?.width ?? null,
      height: image?.height ?? null,
      ...(name === undefined ? {} : { name }),
      ownerId: userId,
      createdAt: ctx.now(),
    };
  }

  return {
    /**
     * Stores an upload: an image (`kind` absent or "image") up to `limits.imageBytes`, or a file
     * (`kind` "file") up to `limits.fileBytes` with its name as `X-File-Name` carries it
     * (percent-encoded UTF-8). An image's name, if any, is ignored.
     */
    async uploadMedia(
      userId: string,
      bytes: Uint8Array,
      options: UploadOptions = {},
    ): Promise<MediaInfo> {
      const kind = uploadKind(options.kind);
      await ctx.limit(`upload:${userId}`, ctx.rates.uploadPerUser, "uploads");
      let stored: MediaRow;
      if (kind === "image") {
        stored = await row(userId, bytes, checkImage(bytes, ctx.limits.imageBytes));
      } else {
        const name = fileNameHeader(options.name ?? null);
        if (bytes.length > ctx.limits.fileBytes) {
          throw new AppError("payload_too_large", `File over ${ctx.limits.fileBytes} bytes`);
        }
        stored = await row(userId, bytes, fileImage(bytes), name);
      }
      await ctx.store.media.put(stored, bytes);
      return mediaView(stored);
    },

    async media(mediaId: string) {
      const found = isMediaId(mediaId) ? await ctx.store.media.withBytes(mediaId) : null;
      if (!found) throw new AppError("not_found", `Cannot find media "${mediaId.slice(0, 40)}"`);
      return { info: mediaView(found.info), bytes: found.bytes };
    },
  };
}
