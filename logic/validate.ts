/** Input validation: every input from a client passes through here, with field-naming errors. */
import { AppError } from "../shared/errors.ts";

/** A plain JSON object with only the allowed fields. */
export function object(
  input: unknown,
  allowed: readonly string[],
  what = "body",
): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new AppError("invalid_argument", `Invalid ${what}: expected a JSON object`);
  }
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      throw new AppError("invalid_argument", `Invalid ${what}: unknown field "${key}"`);
    }
  }
  return input as Record<string, unknown>;
}

/** Length in characters (code points), as limits count them. */
export function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

interface StringRule {
  min: number;
  max: number;
  pattern?: RegExp;
  patternText?: string;
}

/** A required string field within length limits. */
export function requiredString(
  obj: Record<string, unknown>,
  field: string,
  rule: StringRule,
): string {
  const value = obj[field];
  if (value === undefined) throw new AppError("invalid_argument", `Invalid ${field}: required`);
  return checkString(value, field, rule);
}

/** An optional string field; undefined when absent. */
export function optionalString(
  obj: Record<string, unknown>,
  field: string,
  rule: StringRule,
): string | undefined {
  const value = obj[field];
  return value === undefined ? undefined : checkString(value, field, rule);
}

/** Checks a string value against a rule. */
export function checkString(
  value: unknown,
  field: string,
  { min, max, pattern, patternText }: StringRule,
): string {
  if (typeof value !== "string") {
    throw new AppError("invalid_argument", `Invalid ${field}: expected a string`);
  }
  checkText(value, field);
  const length = charLength(value);
  if (length < min || length > max) {
    throw new AppError(
      "invalid_argument",
      `Invalid ${field}: expected ${min} to ${max} characters, got ${length}`,
    );
  }
  if (pattern && !pattern.test(value)) {
    throw new AppError(
      "invalid_argument",
      `Invalid ${field}: ${patternText ?? `must match ${pattern}`}`,
    );
  }
  return value;
}

/**
 * Refuses text no store can hold as sent: a NUL (PostgreSQL text refuses it) or
 * an unpaired surrogate (UTF-8 cannot encode it). Every text field passes here,
 * before any rate limit or database work.
 */
export function checkText(value: string, field: string): void {
  if (value.includes("\0")) {
    throw new AppError("invalid_argument", `Invalid ${field}: must not contain a NUL character`);
  }
  if (!value.isWellFormed()) {
    throw new AppError("invalid_argument", `Invalid ${field}: must not contain a lone surrogate`);
  }
}

/** Invisible characters that belong to emoji: joiners between pictographs, variation selectors, flag tags. */
const EMOJI_PARTS = new RegExp(
  [
    "(?<=\\p{Extended_Pictographic}[\\u{FE0F}\\u{1F3FB}-\\u{1F3FF}]?)\\u200D(?=\\p{Extended_Pictographic})",
    "(?<=[\\p{L}\\p{N}\\p{S}\\p{P}])[\\u{FE00}-\\u{FE0F}]",
    "(?<=\\u{1F3F4}[\\u{E0020}-\\u{E007E}]*)[\\u{E0020}-\\u{E007F}]",
  ].join("|"),
  "gu",
);
/** Controls, format characters (zero-width, bidirectional), line separators, private use and other invisibles. */
const NOT_IN_NAMES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Default_Ignorable_Code_Point}]/u;

/**
 * A display name (nickname, group name) after the RFC 8266 nickname profile,
 * with NFC as the protocol asks: normalized, every space mapped to U+0020,
 * runs of spaces collapsed and the ends trimmed; controls, zero-width and
 * bidirectional formatting characters are refused (zero-width joiners inside
 * emoji sequences stay). Length limits count the result.
 */
export function checkName(value: unknown, field: string, rule: { min: number; max: number }) {
  const raw = checkString(value, field, { min: 0, max: rule.max * 4 });
  const name = raw.normalize("NFC");
  if (NOT_IN_NAMES.test(name.replace(EMOJI_PARTS, ""))) {
    throw new AppError(
      "invalid_argument",
      `Invalid ${field}: must not contain control, invisible or bidirectional formatting characters`,
    );
  }
  return checkString(name.replace(/\p{Zs}+/gu, " ").trim(), field, rule);
}

/** An optional display name; undefined when absent. */
export function optionalName(
  obj: Record<string, unknown>,
  field: string,
  rule: { min: number; max: number },
): string | undefined {
  return obj[field] === undefined ? undefined : checkName(obj[field], field, rule);
}

/** The shortest user or group search query: one character would list everyone. */
export const SEARCH_MIN = 2;

const ID = /^[1-9][0-9]{0,18}$/;
const MAX_ID = (1n << 63n) - 1n;

/** A snowflake id given as a decimal string. */
export function checkId(value: unknown, field: string): string {
  if (typeof value !== "string" || !ID.test(value) || BigInt(value) > MAX_ID) {
    throw new AppError("invalid_argument", `Invalid ${field}: expected an id as a decimal string`);
  }
  return value;
}

/** An id from a URL path: malformed ids are simply unknown. */
export function pathId(value: string, what: string): string {
  if (!ID.test(value) || BigInt(value) > MAX_ID) {
    throw new AppError("not_found", `Cannot find ${what} "${value.slice(0, 40)}"`);
  }
  return value;
}

/** A non-negative integer from a query string or body; `fallback` when absent. */
export function checkInt(
  value: unknown,
  field: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  const n = typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new AppError(
      "invalid_argument",
      `Invalid ${field}: expected an integer from ${min} to ${max}`,
    );
  }
  return n;
}

const MEDIA_ID = /^[A-Za-z0-9_-]{24}$/;

/** A media id (24 base64url characters). */
export function checkMediaId(value: unknown, field: string): string {
  if (typeof value !== "string" || !MEDIA_ID.test(value)) {
    throw new AppError("invalid_argument", `Invalid ${field}: expected a media id`);
  }
  return value;
}

/** Whether a string is shaped like a media id. */
export function isMediaId(value: string): boolean {
  return MEDIA_ID.test(value);
}
