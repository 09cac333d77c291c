/**
 * File names (PROTOCOL.md, Version 2, precise rules): `X-File-Name` is
 * percent-encoded UTF-8; a name is NFC-normalized and trimmed, 1–255 code
 * points, without `/`, `\`, control characters, or invisible and bidirectional
 * formatting characters other than zero-width joiners.
 */
import { AppError } from "../shared/errors.ts";

/** Most code points of a file name. */
export const FILE_NAME_MAX = 255;

// Controls (C0, DEL, C1), bidirectional and invisible formatting characters (ZWJ U+200D allowed).
const FORBIDDEN = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b\\u200c\\u200e\\u200f" +
    "\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]",
  "u",
);

/** A file name as given in a message's content or decoded from `X-File-Name`. */
export function checkFileName(value: unknown, field: string): string {
  if (typeof value !== "string") {
    throw new AppError("invalid_argument", `Invalid ${field}: expected a string`);
  }
  const name = value.normalize("NFC").trim();
  const length = [...name].length;
  if (length < 1 || length > FILE_NAME_MAX) {
    throw new AppError(
      "invalid_argument",
      `Invalid ${field}: expected 1 to ${FILE_NAME_MAX} characters, got ${length}`,
    );
  }
  if (/[/\\]/.test(name)) {
    throw new AppError("invalid_argument", `Invalid ${field}: a name cannot contain / or \\`);
  }
  if (FORBIDDEN.test(name)) {
    throw new AppError(
      "invalid_argument",
      `Invalid ${field}: control or invisible formatting characters are not allowed`,
    );
  }
  return name;
}

/** Decodes `X-File-Name` (percent-encoded UTF-8) and checks it. */
export function fileNameHeader(value: string | null): string {
  if (value === null) {
    throw new AppError("invalid_argument", "Missing X-File-Name: a file upload needs its name");
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new AppError("invalid_argument", "Invalid X-File-Name: expected percent-encoded UTF-8");
  }
  return checkFileName(decoded, "X-File-Name");
}
