/**
 * Address ranges (CIDR) and whether a client's address is in one: who may read `/metrics` on a
 * public port (`IM_METRICS_FROM`). IPv4 and IPv6; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`,
 * as a dual-stack socket reports an IPv4 client) is matched as the IPv4 address it carries.
 */

/** One parsed range: the address as a 128-bit number (IPv4 mapped into IPv6) and its prefix. */
interface Range {
  base: bigint;
  bits: number;
}

const V4_MAPPED = 0xffffn << 32n;

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text: string): bigint | null {
  // A trailing dotted IPv4 part (`::ffff:1.2.3.4`) is two groups.
  const lastColon = text.lastIndexOf(":");
  let tail: bigint[] = [];
  let head = text;
  if (text.includes(".")) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = text.slice(0, lastColon + 1) + "0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (tail.length) (halves.length === 2 ? right : left).pop();
  const given = left.length + right.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const words: bigint[] = [];
  for (const group of [...left, ...Array(8 - given).fill("0"), ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    words.push(BigInt(`0x${group}`));
  }
  words.push(...tail);
  return words.reduce((value, word) => (value << 16n) | word, 0n);
}

/** An address as a 128-bit number (IPv4 as IPv4-mapped IPv6), or null when it is not one. */
export function parseAddress(text: string): bigint | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!bare.includes(":")) {
    const v4 = parseV4(bare);
    return v4 === null ? null : V4_MAPPED | v4;
  }
  return parseV6(bare.replace(/%.*$/, ""));
}

/** `10.0.0.0/8`, `fc00::/7`, or one address (a range of one); null when malformed. */
export function parseRange(text: string): Range | null {
  const [address, prefix, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const base = parseAddress(address);
  if (base === null) return null;
  const v4 = !address.includes(":");
  const max = v4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return null;
  const given = prefix === undefined ? max : Number(prefix);
  if (given > max) return null;
  const bits = v4 ? given + 96 : given;
  return { base: base & mask(bits), bits };
}

function mask(bits: number): bigint {
  return bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
}

/** Whether an address is in any of a list of ranges. */
export type AddressMatcher = (address: string) => boolean;

/** A matcher of `ranges` (each as `parseRange` reads it); throws on a malformed one. */
export function addressMatcher(ranges: readonly string[]): AddressMatcher {
  const parsed = ranges.map((text) => {
    const range = parseRange(text);
    if (!range) throw new Error(`Not an address range: ${JSON.stringify(text)}`);
    return range;
  });
  return (address) => {
    const value = parseAddress(address);
    if (value === null) return false;
    return parsed.some(({ base, bits }) => (value & mask(bits)) === base);
  };
}
