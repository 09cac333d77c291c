/** Password hashing with scrypt, and bearer tokens. */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 32;
const R = 8;
const P = 1;

function derive(password: string, salt: Uint8Array, cost: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, {
      N: cost,
      r: R,
      p: P,
      maxmem: 256 * cost * R + 1024 * 1024,
    }, (error, key) => {
      if (error) reject(error);
      else resolve(new Uint8Array(key));
    });
  });
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Hashes a password as `scrypt$N$r$p$salt$key` (salt and key in base64). */
export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = new Uint8Array(randomBytes(16));
  const key = await derive(password, salt, cost);
  return `scrypt$${cost}$${R}$${P}$${b64(salt)}$${b64(key)}`;
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || Number(r) !== R || Number(p) !== P || !salt || !key) return false;
  const expected = unb64(key);
  const actual = await derive(password, unb64(salt), Number(n));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A new bearer token: 32 random bytes, base64url. */
export function newToken(): string {
  return b64(new Uint8Array(randomBytes(32))).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** Whether a string is shaped like a token this server issues. */
export function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/** A new unguessable media id: 18 random bytes (144 bits), base64url. */
export function newMediaId(): string {
  return b64(new Uint8Array(randomBytes(18))).replaceAll("+", "-").replaceAll("/", "_");
}
