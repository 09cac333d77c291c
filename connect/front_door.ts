/**
 * The `/ws` front door, the same for the embedded mode and a cluster's connect
 * servers: refuses what may not become a session, upgrades the rest and hands
 * each socket to the frame pipeline.
 */
import { AppError } from "../shared/errors.ts";
import { errorResponse } from "../shared/http_error.ts";
import { remoteAddress } from "../shared/remote_address.ts";
import { type AddressLimit, upgradeRefusal } from "./limits.ts";

/** Answers a request for `/ws` as `Deno.serve` handed it over. */
export type FrontDoor = (request: Request, info: Deno.ServeHandlerInfo) => Response;

/** What the front door checks against and hands sockets to. */
export interface FrontDoorOptions {
  addresses: AddressLimit;
  allowedOrigins: readonly string[];
  /** True once the server is shutting down: upgrades get 503. */
  closing: () => boolean;
  /** Takes an accepted socket (the frame pipeline). */
  accept: (socket: WebSocket) => void;
  onError: (error: unknown, context: string) => void;
}

/**
 * Creates the front door. In order: a request that is no WebSocket upgrade gets
 * 400, a server shutting down 503, an address at its cap 429 (Retry-After 10), a
 * page of another origin 403; anything else is upgraded and its socket counted
 * against its address until it closes.
 */
export function frontDoor(
  { addresses, allowedOrigins, closing, accept, onError }: FrontDoorOptions,
): FrontDoor {
  const log = (error: unknown) => onError(error, "upgrade");
  return (request, info) => {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(new AppError("invalid_argument", "Expected a WebSocket upgrade"), log);
    }
    if (closing()) return new Response("shutting down", { status: 503 });
    const address = remoteAddress(info);
    const refusal = upgradeRefusal(request, address, { addresses, allowedOrigins });
    if (refusal) return errorResponse(refusal, log);
    const { socket, response } = Deno.upgradeWebSocket(request);
    if (address) {
      addresses.take(address);
      socket.addEventListener("close", () => addresses.release(address));
    }
    accept(socket);
    return response;
  };
}
