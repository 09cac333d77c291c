/**
 * The web client's files, served by the api in both modes: the page (at `/` and
 * at each screen's path of web/router.ts, so a reload or a link opens that
 * screen), the bundle `deno task build:web` writes to web/dist/, and the style
 * sheet. Asset URLs carry a version (a hash of the files), so they can be
 * cached for good; the page itself is always revalidated.
 */
import { SAFE_HEADERS } from "./http.ts";

/** The loaded files of the web client. */
export interface WebAssets {
  version: string;
  page: string;
  files: Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>;
}

/** The policy of the page: scripts and styles from this origin only, nothing inline. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  // The WebSocket may be another origin: a cluster's connect servers listen on their own ports.
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const ROOT = new URL("../web/", import.meta.url);

/** The web client's style sheets (`web/styles/`), in the order they are joined. */
const STYLES = ["base", "sign_in", "shell", "lists", "chat", "outbox", "account", "social", "nav"];

/** Reads the web client's files; null when the bundle has not been built. */
export async function loadWebAssets(root: URL = ROOT): Promise<WebAssets | null> {
  let script: Uint8Array<ArrayBuffer>;
  try {
    script = await Deno.readFile(new URL("dist/app.js", root));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  // One style sheet, from one file per part of the page, in cascade order.
  const style = new TextEncoder().encode(
    (await Promise.all(
      STYLES.map((name) => Deno.readTextFile(new URL(`styles/${name}.css`, root))),
    )).join("\n"),
  );
  const [icon, ico] = await Promise.all(
    ["icons/icon.svg", "icons/favicon.ico"].map((path) => Deno.readFile(new URL(path, root))),
  );
  const parts = [script, style, icon, ico];
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((at, part) => (joined.set(part, at), at + part.length), 0);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
  const version = [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const page = (await Deno.readTextFile(new URL("index.html", root)))
    .replaceAll("%VERSION%", version);
  return {
    version,
    page,
    files: new Map([
      ["/assets/app.js", { body: script, type: "text/javascript; charset=utf-8" }],
      ["/assets/app.css", { body: style, type: "text/css; charset=utf-8" }],
      ["/assets/icon.svg", { body: icon, type: "image/svg+xml" }],
      // Asked for by browsers (and bookmarks, feed readers) that ignore the page's icon link.
      ["/favicon.ico", { body: ico, type: "image/x-icon" }],
    ]),
  };
}

const COMMON = SAFE_HEADERS;

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>im</title>
<p>The web client is not built. Run <code>deno task build:web</code> (or start with
<code>deno task start</code>, which builds it) and reload.</p>`;

/**
 * The paths of the page's screens (web/router.ts): each is answered with the page,
 * so a reload or a link opens the same screen or chat.
 */
const PAGE_PATH = /^\/(?:|chats|friends|groups|profile|chat\/[^/]+)$/;

/** Whether a path is one of the page's screens. */
export function isPagePath(pathname: string): boolean {
  return PAGE_PATH.test(pathname);
}

/** Answers the page's paths, `/favicon.ico` and `/assets/*`; null for every other path. */
export function webResponse(assets: WebAssets | null, request: Request, url: URL): Response | null {
  const { pathname } = url;
  const page = isPagePath(pathname);
  if (!page && pathname !== "/favicon.ico" && !pathname.startsWith("/assets/")) return null;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const headers = { ...COMMON, "content-security-policy": WEB_CSP };
  if (page) {
    return new Response(request.method === "HEAD" ? null : assets?.page ?? NOT_BUILT, {
      status: assets ? 200 : 503,
      headers: {
        ...headers,
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
      },
    });
  }
  const file = assets?.files.get(url.pathname);
  if (!file) {
    return new Response("Not found", {
      status: 404,
      headers: { ...COMMON, "content-type": "text/plain" },
    });
  }
  const etag = `"${assets!.version}"`;
  const cache = url.searchParams.get("v") === assets!.version
    ? "public, max-age=31536000, immutable"
    : "no-cache";
  if (request.headers.get("if-none-match") === etag) {
    return new Response(null, {
      status: 304,
      headers: { ...COMMON, etag, "cache-control": cache },
    });
  }
  return new Response(request.method === "HEAD" ? null : file.body, {
    headers: { ...COMMON, "content-type": file.type, "cache-control": cache, etag },
  });
}
