/**
 * Serving uploads (`GET /api/media/:id`) so that none can run script in the page's origin: only
 * the image types are served as themselves, everything else as opaque bytes; a file is an
 * attachment (a download, never a page); and should a browser still open one as a document, its
 * policy makes it a sandbox (a unique origin, no script) that may load nothing.
 *
 * Caching: a media id names bytes that never change, but a recalled image or file must stop
 * being shown, so answers are `private, no-cache` with the id as a strong ETag. A cache keeps
 * the bytes and asks again each time; while the media exists the answer is a 304 without a body,
 * and after a recall (or its owner's account is deleted) it is the 404 of any unknown id. Private:
 * shared caches (proxies, CDNs) keep nothing that a recall could not reach.
 */
import type { MediaInfo } from "../shared/types.ts";
import { SAFE_HEADERS } from "./http.ts";

/** The policy of every served upload, opened as a page or not. */
export const MEDIA_CSP = "sandbox; default-src 'none'";

/** The types served as themselves: the image types logic reads from the bytes. */
const IMAGE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

/** RFC 8187 attr-chars that encodeURIComponent leaves as they are but a header value may not. */
const NOT_ATTR_CHAR = /['()*]/g;

/**
 * `Content-Disposition` of a file named `name`: a download, with the name in UTF-8 (RFC 6266
 * `filename*`) and an ASCII fallback for clients that read only `filename`, in which any other
 * character, a quote, a backslash or a percent sign (which some clients decode) is `_`.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/gu, "_");
  const encoded = encodeURIComponent(name).replace(
    NOT_ATTR_CHAR,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** Whether an `If-None-Match` header names `etag` (weak comparison, as RFC 9110 asks). */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

/** The answer to `GET /api/media/:id` for media that exists. */
export function mediaResponse(
  request: Request,
  { info, bytes }: { info: MediaInfo; bytes: Uint8Array },
): Response {
  const etag = `"${info.id}"`;
  const headers: Record<string, string> = {
    ...SAFE_HEADERS,
    "content-security-policy": MEDIA_CSP,
    "cache-control": "private, no-cache",
    etag,
  };
  if (matches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers["content-type"] = IMAGE_TYPES.has(info.contentType)
    ? info.contentType
    : "application/octet-stream";
  headers["content-length"] = String(bytes.length);
  if (info.name !== undefined) headers["content-disposition"] = contentDisposition(info.name);
  return new Response(bytes as Uint8Array<ArrayBuffer>, { headers });
}
