/** Hand-built GIF, PNG and WebP files for the tests of the image checks (no encoder needed). */

type Part = number[] | string | Uint8Array;

/** Bytes from numbers, latin-1 strings and byte arrays. */
export function bytes(...parts: Part[]): Uint8Array {
  return new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : [...p]),
  );
}

const u16le = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u24le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const u32le = (n: number) => [...u16le(n & 0xffff), ...u16le(n >>> 16)];
const u32be = (n: number) => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** A frame's size. */
export interface Size {
  width: number;
  height: number;
}

/**
 * A GIF: a logical screen with a 2-colour global table, then per frame a graphic control
 * extension and an image block of one LZW sub-block, then the trailer (unless `trailer: false`).
 * One 1×1 frame on a 1×1 screen is the 35-byte file of the issue.
 */
export function gif(screen: Size, frames: Size[], { trailer = true } = {}): Uint8Array {
  const blocks = frames.flatMap((f, i) => [
    ...(frames.length > 1 ? [0x21, 0xf9, 4, 0, ...u16le(10), 0, 0] : []),
    ...(i === 0 && frames.length > 1
      ? [0x21, 0xff, 11, ...bytes("NETSCAPE2.0"), 3, 1, 0, 0, 0]
      : []),
    0x2c,
    ...u16le(0),
    ...u16le(0),
    ...u16le(f.width),
    ...u16le(f.height),
    0,
    2,
    2,
    0x44,
    0x01,
    0,
  ]);
  return bytes(
    "GIF89a",
    u16le(screen.width),
    u16le(screen.height),
    [0x80, 0, 0],
    [0, 0, 0, 255, 255, 255],
    blocks,
    trailer ? [0x3b] : [],
  );
}

function pngChunk(type: string, data: number[]): number[] {
  return [...u32be(data.length), ...bytes(type), ...data, 0, 0, 0, 0];
}

/**
 * A PNG: IHDR, then for an APNG (`frames` given) acTL and an fcTL per frame, the first before
 * the IDAT (the default image is the first frame), the others each before an fdAT; then IEND
 * (unless `iend: false`). CRCs are zero: the check does not read them.
 */
export function png(
  size: Size,
  frames: Size[] = [],
  { iend = true }: { iend?: boolean } = {},
): Uint8Array {
  const fctl = (seq: number, f: Size) =>
    pngChunk("fcTL", [
      ...u32be(seq),
      ...u32be(f.width),
      ...u32be(f.height),
      ...u32be(0),
      ...u32be(0),
      ...u16le(1),
      ...u16le(10),
      0,
      0,
    ]);
  const ihdr = [...u32be(size.width), ...u32be(size.height), 8, 6, 0, 0, 0];
  const idat = pngChunk("IDAT", [0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]);
  let seq = 0;
  const animation = frames.length === 0 ? [...idat] : [
    ...pngChunk("acTL", [...u32be(frames.length), ...u32be(0)]),
    ...fctl(seq++, frames[0]),
    ...idat,
    ...frames.slice(1).flatMap((f) => [
      ...fctl(seq++, f),
      ...pngChunk("fdAT", [...u32be(seq++), 0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]),
    ]),
  ];
  return bytes(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    pngChunk("IHDR", ihdr),
    animation,
    iend ? pngChunk("IEND", []) : [],
  );
}

function riffChunk(fourcc: string, data: number[]): number[] {
  return [...bytes(fourcc), ...u32le(data.length), ...data, ...(data.length % 2 ? [0] : [])];
}

/** A lossless (VP8L) bitstream header of a picture of `size`, as a chunk. */
export function vp8l(size: Size): number[] {
  const bits = (size.width - 1) | ((size.height - 1) << 14);
  return riffChunk("VP8L", [0x2f, ...u32le(bits), 0, 0, 0]);
}

/** A WebP of the given chunks (RIFF header with their length). */
export function webp(chunks: number[], { riffSize }: { riffSize?: number } = {}): Uint8Array {
  return bytes("RIFF", u32le(riffSize ?? 4 + chunks.length), "WEBP", chunks);
}

/**
 * An animated WebP: VP8X with the animation flag and the canvas, ANIM, then one ANMF per frame
 * holding a VP8L bitstream of `inner` (the frame's own size unless given).
 */
export function animatedWebp(canvas: Size, frames: (Size & { inner?: Size })[]): Uint8Array {
  return webp([
    ...riffChunk("VP8X", [
      0x02,
      0,
      0,
      0,
      ...u24le(canvas.width - 1),
      ...u24le(canvas.height - 1),
    ]),
    ...riffChunk("ANIM", [0, 0, 0, 0, 0, 0]),
    ...frames.flatMap((f) =>
      riffChunk("ANMF", [
        ...u24le(0),
        ...u24le(0),
        ...u24le(f.width - 1),
        ...u24le(f.height - 1),
        ...u24le(100),
        0,
        ...vp8l(f.inner ?? f),
      ])
    ),
  ]);
}
