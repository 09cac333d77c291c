/** HTTP plumbing: JSON answers, the one error mapping, and bodies read under a limit. */
import { AppError } from "../shared/errors.ts";
import { nestsDeeperThan } from "../shared/json_depth.ts";
export { errorResponse } from "../shared/http_error.ts";

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

/**
 * Headers of every answer that is not JSON (the page, its assets, uploads): browsers take the
 * declared type, never one guessed from the bytes, and send no referrer onwards.
 */
export const SAFE_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** A JSON answer. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

/** An empty 204 answer. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/**
 * The slowest a large body may arrive (bytes a second, 512 kbit/s): each chunk received extends
 * the body's time by what it would take at this rate, so a 25 MiB file has time on a slow
 * mobile link while a client that trickles a few bytes gains almost nothing (the rule of Apache's
 * mod_reqtimeout `MinRate`).
 */
export const MIN_BODY_RATE = 64 * 1024;

/**
 * Reads a body, failing `payload_too_large` as soon as it passes `limit` bytes, and
 * `invalid_argument` if it has not all arrived within `timeoutMs` plus the time its bytes take
 * at `minRate` (a client trickling a body must not hold the request open).
 */
export async function readBytes(
  request: Request,
  limit: number,
  timeoutMs = 10_000,
  minRate = MIN_BODY_RATE,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new AppError("payload_too_large", `Body over ${limit} bytes`);
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Re-armed when it fires early: the deadline moves with every chunk, the timer only when due.
  const deadline = () => started + timeoutMs + (size * 1000) / minRate;
  const late = new Promise<never>((_, reject) => {
    const check = () => {
      const left = deadline() - Date.now();
      if (left > 0) {
        timer = setTimeout(check, left);
        return;
      }
      const more = `1 s more for each ${Math.round(minRate / 1024)} KiB received`;
      reject(
        new AppError("invalid_argument", `Body not received within ${timeoutMs} ms, ${more}`),
      );
    };
    timer = setTimeout(check, timeoutMs);
  });
  try {
    while (true) {
      const { done, value } = await Promise.race([reader.read(), late]).catch(async (error) => {
        await reader.cancel().catch(() => {});
        throw error;
      });
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new AppError("payload_too_large", `Body over ${limit} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Reads a JSON body under a size, time and nesting limit; malformed JSON is `invalid_argument`. */
export async function readJson(
  request: Request,
  { bytes: limit, depth, timeoutMs }: { bytes: number; depth: number; timeoutMs: number },
): Promise<unknown> {
  const bytes = await readBytes(request, limit, timeoutMs);
  if (bytes.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("invalid_argument", "Invalid body: not UTF-8");
  }
  if (nestsDeeperThan(text, depth)) {
    throw new AppError("invalid_argument", `Invalid body: JSON nested deeper than ${depth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_argument", "Invalid body: malformed JSON");
  }
}

/** The bearer token of a request, or an `unauthenticated` error. */
export function bearer(request: Request): string {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (!match) throw new AppError("unauthenticated", "Missing bearer token");
  return match[1];
}
