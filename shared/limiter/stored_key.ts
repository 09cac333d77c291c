/** The bounded form in which limiters store keys. */
import { createHash } from "node:crypto";

/** Longest key stored as it is. */
export const MAX_KEY_LENGTH = 64;

/** `key` when short; else its start and its SHA-256, so a stored key has at most 64 characters. */
export function storedKey(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `${key.slice(0, 20)}#${createHash("sha256").update(key).digest("base64url")}`;
}
