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
