/**
 * Image type and dimensions read from the bytes themselves, never from a header a client sent.
 * Every frame counts: the GIF blocks, the PNG chunks (APNG's fcTL) and the WebP chunks (ANMF) are
 * walked to the end, so a small picture cannot hide a huge frame, and a truncated or malformed
 * file is refused.
 */
import { AppError } from "../shared/errors.ts";

/** What the bytes are. */
export interface ImageInfo {
  contentType: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  /** The picture's size (an animation's canvas). */
  width: number;
  height: number;
  /** How many frames: 1 for a still picture. */
  frames: number;
  /** The widest and the tallest frame's sides (not necessarily of one frame). */
  frameWidth: number;
  frameHeight: number;
  /** Pixels of the largest frame. */
  framePixels: number;
  /** Pixels of all frames together: what a client decodes to show every frame once. */
  pixels: number;
}

type Format = ImageInfo["contentType"];

function malformed(format: Format, why: string): never {
  throw new AppError("invalid_argument", `Invalid image: ${format.slice(6).toUpperCase()} ${why}`);
}

/** The frames of an image, summed up as they are found. */
class Frames {
  count = 0;
  width = 0;
  height = 0;
  largest = 0;
  pixels = 0;

  add(width: number, height: number): void {
    this.count++;
    this.width = Math.max(this.width, width);
    this.height = Math.max(this.height, height);
    this.largest = Math.max(this.largest, width * height);
    this.pixels += width * height;
  }

  info(contentType: Format, width: number, height: number): ImageInfo {
    if (this.count === 0) malformed(contentType, "has no image");
    return {
      contentType,
      width,
      height,
      frames: this.count,
      frameWidth: this.width,
      frameHeight: this.height,
      framePixels: this.largest,
      pixels: this.pixels,
    };
  }
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((b, i) => bytes[offset + i] === b);
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const fourcc = (bytes: Uint8Array, at: number) =>
  String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
const u24le = (bytes: Uint8Array, at: number) =>
  bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);

/** PNG: chunks from IHDR to IEND; an APNG's frames are its fcTL chunks. */
function png(bytes: Uint8Array, view: DataView): ImageInfo {
  const frames = new Frames();
  let width = 0, height = 0, sawData = false, defaultIsFrame = false;
  for (let at = 8;;) {
    if (at + 12 > bytes.length) malformed("image/png", "is truncated: no IEND chunk");
    const length = view.getUint32(at);
    const type = fourcc(bytes, at + 4);
    const data = at + 8;
    if (length > 0x7fffffff || data + length + 4 > bytes.length) {
      malformed("image/png", `is truncated: chunk ${JSON.stringify(type)} runs past the end`);
    }
    if ((at === 8) !== (type === "IHDR")) malformed("image/png", "must start with one IHDR");
    if (type === "IHDR") {
      if (length < 13) malformed("image/png", "has a short IHDR");
      [width, height] = [view.getUint32(data), view.getUint32(data + 4)];
      if (width === 0 || height === 0) malformed("image/png", "has an empty picture");
    } else if (type === "fcTL") {
      if (length < 26) malformed("image/png", "has a short fcTL");
      // An fcTL before the first IDAT describes the default image: it is the first frame.
      if (!sawData) defaultIsFrame = true;
      frames.add(view.getUint32(data + 4), view.getUint32(data + 8));
    } else if (type === "IDAT") {
      sawData = true;
    } else if (type === "IEND") {
      break;
    }
    at = data + length + 4;
  }
  if (!sawData) malformed("image/png", "has no image data");
  if (!defaultIsFrame) frames.add(width, height);
  return frames.info("image/png", width, height);
}

/** Skips a GIF's data sub-blocks from `at`; returns the offset after their terminator. */
function skipSubBlocks(bytes: Uint8Array, at: number): number {
  while (at < bytes.length) {
    const size = bytes[at];
    at += 1 + size;
    if (size === 0) return at;
  }
  malformed("image/gif", "is truncated inside a block");
}

/** The bytes of a GIF colour table announced by a packed field. */
const colorTable = (packed: number) => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);

/** GIF: the logical screen, then extensions and image blocks up to the trailer. */
function gif(bytes: Uint8Array, view: DataView): ImageInfo {
  if (bytes.length < 13) malformed("image/gif", "is truncated in its header");
  const frames = new Frames();
  let at = 13 + colorTable(bytes[10]);
  for (;;) {
    if (at >= bytes.length) malformed("image/gif", "is truncated: no trailer");
    const block = bytes[at];
    if (block === 0x3b) break;
    if (block === 0x21) {
      at = skipSubBlocks(bytes, at + 2);
    } else if (block === 0x2c) {
      if (at + 10 > bytes.length) malformed("image/gif", "is truncated in an image descriptor");
      frames.add(view.getUint16(at + 5, true), view.getUint16(at + 7, true));
      // Past the descriptor, its local colour table and the LZW code size: the data sub-blocks.
      at = skipSubBlocks(bytes, at + 10 + colorTable(bytes[at + 9]) + 1);
    } else {
      malformed("image/gif", `has an unknown block 0x${block.toString(16)} at byte ${at}`);
    }
  }
  return frames.info("image/gif", view.getUint16(6, true), view.getUint16(8, true));
}

/** JPEG: the size from the first start-of-frame segment. */
function jpeg(bytes: Uint8Array, view: DataView): ImageInfo {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = view.getUint16(i + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isFrame) {
      const [height, width] = [view.getUint16(i + 5), view.getUint16(i + 7)];
      if (width === 0 || height === 0) malformed("image/jpeg", "has an empty picture");
      const frames = new Frames();
      frames.add(width, height);
      return frames.info("image/jpeg", width, height);
    }
    i += 2 + length;
  }
  malformed("image/jpeg", "is truncated: no start-of-frame segment");
}

/** The size a VP8 or VP8L bitstream declares. */
function bitstream(bytes: Uint8Array, view: DataView, type: string, at: number, length: number) {
  if (type === "VP8L" && length >= 5 && bytes[at] === 0x2f) {
    const bits = view.getUint32(at + 1, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (type === "VP8 " && length >= 10 && startsWith(bytes, [0x9d, 0x01, 0x2a], at + 3)) {
    const size = {
      width: view.getUint16(at + 6, true) & 0x3fff,
      height: view.getUint16(at + 8, true) & 0x3fff,
    };
    if (size.width > 0 && size.height > 0) return size;
  }
  malformed("image/webp", `has an invalid ${type.trim()} bitstream`);
}

/** Walks the RIFF chunks in [at, end), calling `chunk` with each one's type, offset and length. */
function chunks(
  bytes: Uint8Array,
  view: DataView,
  [at, end]: [number, number],
  chunk: (type: string, at: number, length: number) => void,
): void {
  while (at < end) {
    if (at + 8 > end) malformed("image/webp", "is truncated in a chunk header");
    const type = fourcc(bytes, at);
    const length = view.getUint32(at + 4, true);
    if (at + 8 + length > end) {
      malformed("image/webp", `is truncated: chunk ${JSON.stringify(type)} runs past the end`);
    }
    chunk(type, at + 8, length);
    at += 8 + length + (length & 1);
  }
}

/** WebP: a simple VP8/VP8L picture, or VP8X with its canvas and, animated, ANMF frames. */
function webp(bytes: Uint8Array, view: DataView): ImageInfo {
  const end = 8 + view.getUint32(4, true);
  if (end > bytes.length) {
    malformed("image/webp", "is truncated: shorter than its RIFF header says");
  }
  const frames = new Frames();
  let canvas: { width: number; height: number } | null = null;
  chunks(bytes, view, [12, end], (type, at, length) => {
    if (type === "VP8X") {
      if (length < 10 || at !== 20) malformed("image/webp", "has a misplaced or short VP8X");
      canvas = { width: 1 + u24le(bytes, at + 4), height: 1 + u24le(bytes, at + 7) };
    } else if (type === "VP8 " || type === "VP8L") {
      const size = bitstream(bytes, view, type, at, length);
      frames.add(size.width, size.height);
      canvas ??= size;
    } else if (type === "ANMF") {
      if (length < 16) malformed("image/webp", "has a short ANMF");
      const width = 1 + u24le(bytes, at + 6), height = 1 + u24le(bytes, at + 9);
      frames.add(width, height);
      // The frame's own bitstream must be the size its ANMF announces.
      chunks(bytes, view, [at + 16, at + length], (inner, innerAt, innerLength) => {
        if (inner !== "VP8 " && inner !== "VP8L") return;
        const size = bitstream(bytes, view, inner, innerAt, innerLength);
        if (size.width !== width || size.height !== height) {
          malformed(
            "image/webp",
            `has a frame of ${size.width}×${size.height} in an ANMF of ${width}×${height}`,
          );
        }
      });
    }
  });
  const { width, height } = canvas ?? { width: 0, height: 0 };
  return frames.info("image/webp", width, height);
}

/**
 * Recognizes PNG, JPEG, GIF and WebP by their magic bytes and reads every frame's size; null for
 * anything else. Throws `invalid_argument` for a truncated or malformed file of those types.
 */
export function sniffImage(bytes: Uint8Array): ImageInfo | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (startsWith(bytes, PNG)) return png(bytes, view);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return jpeg(bytes, view);
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) {
    return gif(bytes, view);
  }
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) {
    return webp(bytes, view);
  }
  return null;
}
