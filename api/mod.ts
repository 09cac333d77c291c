/** The api layer: the HTTP API of the protocol over a LogicService. */
import { AppError } from "../shared/errors.ts";
import { logger } from "../shared/log.ts";
import type { AddressMatcher } from "../shared/address_match.ts";
import { type Dependency, opsResponse, Readiness } from "../shared/ops_http.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import { bearer, errorResponse, readBytes, readJson } from "./http.ts";
import { type Route, ROUTES } from "./routes.ts";
import { type WebAssets, webResponse } from "./web.ts";

export { ROUTES } from "./routes.ts";
export type { Route } from "./routes.ts";
export { loadWebAssets } from "./web.ts";

/** Options of `createApi()`. */
export interface ApiOptions {
  logic: LogicService;
  /** The WebSocket URL for `GET /api/connect`. */
  connectUrl: () => string;
  jsonBodyBytes?: number;
  jsonDepth?: number;
  bodyTimeoutMs?: number;
  imageBytes?: number;
  /** Bytes of a file upload (`POST /api/media?kind=file`). */
  fileBytes?: number;
  onError?: (error: unknown) => void;
  /** The web client served at `/`; null serves a page saying it is not built. */
  web?: WebAssets | null;
  /** Origins of other sites whose pages may call the API (CORS); none by default. */
  corsOrigins?: readonly string[];
  /**
   * What `/readyz` asks (each within 2 s): logic by default; the api process adds etcd, the
   * embedded server asks its store instead.
   */
  ready?: readonly Dependency[];
  /**
   * Who may read `/metrics` here, by the client's address (`IM_METRICS_FROM`); anyone when
   * absent. Others get 404, as for a path that does not exist.
   */
  metricsFrom?: AddressMatcher;
}

/** An HTTP handler for the API. */
export interface Api {
  /** `address`: the client's network address, as the server saw it. */
  handle(request: Request, address?: string): Promise<Response>;
}

interface Compiled {
  route: Route;
  segments: string[];
}

function match(segments: string[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].startsWith(":")) {
      try {
        params[segments[i].slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return null;
      }
    } else if (segments[i] !== parts[i]) return null;
  }
  return params;
}

/** CORS grants for one configured origin (bearer tokens, so no credentials mode). */
function corsHeaders(origin: string, preflight: boolean): Record<string, string> {
  return {
    "access-control-allow-origin": origin,
    vary: "Origin",
    ...(preflight
      ? {
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "600",
      }
      : { "access-control-expose-headers": "retry-after" }),
  };
}

const apiLog = logger("api");

/** Creates the API handler. */
export function createApi(
  {
    logic,
    connectUrl,
    jsonBodyBytes = 64 * 1024,
    jsonDepth = 16,
    bodyTimeoutMs = 10_000,
    imageBytes = 5 * 1024 * 1024,
    fileBytes = 25 * 1024 * 1024,
    onError = (error) => apiLog.error("request failed", { error }),
    web = null,
    corsOrigins = [],
    ready = [{ name: "logic", check: () => logic.ready() }],
    metricsFrom = () => true,
  }: ApiOptions,
): Api {
  const compiled: Compiled[] = ROUTES.map((route) => ({ route, segments: route.path.split("/") }));
  const log = (error: unknown) => onError(error);
  const readiness = new Readiness(ready);

  async function handle(request: Request, address: string): Promise<Response> {
    const url = new URL(request.url);
    // `/healthz`, `/readyz`, `/metrics`.
    const ops = opsResponse(url.pathname, readiness, metricsFrom(address));
    if (ops) return await ops;
    const page = webResponse(web, request, url);
    if (page) return page;
    const parts = url.pathname.split("/");
    let pathMatched = false;
    for (const { route, segments } of compiled) {
      const params = match(segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      let userId = "";
      let token = "";
      if (route.auth) {
        token = bearer(request);
        userId = (await logic.authenticate(token)).id;
      }
      return await route.handle({
        request,
        url,
        params,
        userId,
        token,
        address,
        logic,
        body: () =>
          readJson(request, { bytes: jsonBodyBytes, depth: jsonDepth, timeoutMs: bodyTimeoutMs }),
        bytes: (limit) => readBytes(request, limit, bodyTimeoutMs),
        connectUrl,
        imageBytes,
        fileBytes,
      });
    }
    throw new AppError(
      "not_found",
      pathMatched ? `No route for ${request.method} ${url.pathname}` : `No route ${url.pathname}`,
    );
  }

  return {
    async handle(request, address = "") {
      const origin = request.headers.get("origin");
      const cors = origin !== null && corsOrigins.includes(origin) &&
        new URL(request.url).pathname.startsWith("/api/");
      if (cors && request.method === "OPTIONS") {
        return new Response(null, { status: 204, headers: corsHeaders(origin, true) });
      }
      let response: Response;
      try {
        response = await handle(request, address);
      } catch (error) {
        response = errorResponse(error, log);
      }
      if (cors) {
        for (const [name, value] of Object.entries(corsHeaders(origin, false))) {
          response.headers.set(name, value);
        }
      }
      return response;
    },
  };
}
