/** Image type and dimensions read from the bytes themselves, never from a header a client sent. */

/** What the bytes are. */
export interface ImageInfo {
  contentType: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  width: number | null;
  height: number | null;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((b, i) => bytes[offset + i] === b);
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function png(bytes: Uint8Array, view: DataView): ImageInfo {
  const ihdr = startsWith(bytes, ascii("IHDR"), 12) && bytes.length >= 24;
  return {
    contentType: "image/png",
    width: ihdr ? view.getUint32(16) : null,
    height: ihdr ? view.getUint32(20) : null,
  };
}

function gif(bytes: Uint8Array, view: DataView): ImageInfo {
  const ok = bytes.length >= 10;
  return {
    contentType: "image/gif",
    width: ok ? view.getUint16(6, true) : null,
    height: ok ? view.getUint16(8, true) : null,
  };
}

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
      return {
        contentType: "image/jpeg",
        height: view.getUint16(i + 5),
        width: view.getUint16(i + 7),
      };
    }
    i += 2 + length;
  }
  return { contentType: "image/jpeg", width: null, height: null };
}

function webp(bytes: Uint8Array, view: DataView): ImageInfo {
  const info: ImageInfo = { contentType: "image/webp", width: null, height: null };
  if (bytes.length < 30) return info;
  if (startsWith(bytes, ascii("VP8X"), 12)) {
    info.width = 1 + (bytes[24] | (bytes[25] << 8) | (bytes[26] << 16));
    info.height = 1 + (bytes[27] | (bytes[28] << 8) | (bytes[29] << 16));
  } else if (startsWith(bytes, ascii("VP8L"), 12) && bytes[20] === 0x2f) {
    const bits = view.getUint32(21, true);
    info.width = (bits & 0x3fff) + 1;
    info.height = ((bits >> 14) & 0x3fff) + 1;
  } else if (startsWith(bytes, ascii("VP8 "), 12) && startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) {
    info.width = view.getUint16(26, true) & 0x3fff;
    info.height = view.getUint16(28, true) & 0x3fff;
  }
  return info;
}

/** Recognizes PNG, JPEG, GIF and WebP by their magic bytes; null for anything else. */
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
