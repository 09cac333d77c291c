/**
 * The `/ws` front door, the same for the embedded mode and a cluster's connect
 * servers: refuses what may not become a session, and hands each accepted
 * socket to the frame pipeline. The upgrade itself (and the frame size, enforced
 * while reading) is the HTTP server's (shared/http_server.ts).
 */
import { AppError } from "../shared/errors.ts";
import { errorResponse } from "../shared/http_error.ts";
import type { UpgradeAnswer } from "../shared/http_server.ts";
import { type AddressLimit, upgradeRefusal } from "./limits.ts";
import { countRateLimited } from "./metrics.ts";

/** Answers a WebSocket upgrade request from the client at `address`. */
export type FrontDoor = (request: Request, address: string) => UpgradeAnswer;

/** A session as the front door follows it: until it authenticates or closes. */
export interface Session {
  readonly authenticated: boolean;
  readonly closed: boolean;
}

/** What the front door checks against and hands sockets to. */
export interface FrontDoorOptions {
  addresses: AddressLimit;
  /** Sockets one address may hold open before they authenticate (far below `addresses`' cap). */
  maxUnauthenticatedPerAddress: number;
  /**
   * Sockets this server holds open before they authenticate, from every address: past it an
   * upgrade gets 503 at once. Under a reconnect storm (a connect server killed under thousands of
   * clients) only this many wait for their `auth` to be checked, each soon, instead of thousands
   * whose checks queue past the clients' and the server's timeouts so that none gets through.
   */
  maxHandshakes: number;
  allowedOrigins: readonly string[];
  /** True once the server is shutting down: upgrades get 503. */
  closing: () => boolean;
  /**
   * Takes an accepted socket (the frame pipeline), which must call `socketClosed(address,
   * session)` once when the socket has closed: the front door then stops counting it against
   * its address. One such function serves every socket, so a socket costs no listener here.
   */
  accept: (
    socket: WebSocket,
    address: string,
    socketClosed: (address: string, session: Session) => void,
  ) => Session;
  onError: (error: unknown, context: string) => void;
}

/** Sessions of each address that had not authenticated when last looked at. */
class Unauthenticated {
  readonly #sessions = new Map<string, Set<Session>>();
  /** Every address's, for the server's cap. */
  readonly #all = new Set<Session>();

  /**
   * Whether `max` sessions are still unauthenticated and open. Those that authenticated or closed
   * are forgotten only when the count reaches `max`, so a server far below it pays nothing.
   */
  atLeast(max: number): boolean {
    if (this.#all.size < max) return false;
    for (const session of this.#all) {
      if (session.authenticated || session.closed) this.#all.delete(session);
    }
    return this.#all.size >= max;
  }

  /** Sessions of `address` still unauthenticated and open (forgetting the others). */
  count(address: string): number {
    const sessions = this.#sessions.get(address);
    if (!sessions) return 0;
    for (const session of sessions) {
      if (session.authenticated || session.closed) sessions.delete(session);
    }
    if (sessions.size === 0) this.#sessions.delete(address);
    return sessions.size;
  }

  add(address: string, session: Session): void {
    this.#all.add(session);
    if (!address) return;
    let sessions = this.#sessions.get(address);
    if (!sessions) this.#sessions.set(address, sessions = new Set());
    sessions.add(session);
  }

  remove(address: string, session: Session): void {
    this.#all.delete(session);
    const sessions = this.#sessions.get(address);
    if (!sessions?.delete(session) || sessions.size > 0) return;
    this.#sessions.delete(address);
  }
}

const refuse = (response: Response): UpgradeAnswer => ({ refuse: response });

/** The answer to a request for `/ws` that is no WebSocket upgrade: 400. */
export function notAnUpgrade(onError: (error: unknown, context: string) => void): Response {
  return errorResponse(
    new AppError("invalid_argument", "Expected a WebSocket upgrade"),
    (error) => onError(error, "upgrade failed"),
  );
}

/**
 * Creates the front door. In order: a request that is no WebSocket upgrade gets
 * 400, a server shutting down 503, an address at its cap of sockets, or of
 * sockets not yet authenticated, 429 (Retry-After 10), a page of another origin
 * 403, a server holding `maxHandshakes` sockets not yet authenticated 503;
 * anything else is accepted, its socket counted against its address until it
 * closes (and as unauthenticated until it authenticates): the taker of the
 * socket says when (`FrontDoorOptions.accept`).
 */
export function frontDoor(
  {
    addresses,
    maxUnauthenticatedPerAddress,
    maxHandshakes,
    allowedOrigins,
    closing,
    accept,
    onError,
  }: FrontDoorOptions,
): FrontDoor {
  const log = (error: unknown) => onError(error, "upgrade failed");
  const unauthenticated = new Unauthenticated();
  const socketClosed = (address: string, session: Session) => {
    unauthenticated.remove(address, session);
    if (address) addresses.release(address);
  };
  return (request, address) => {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return refuse(notAnUpgrade(onError));
    }
    if (closing()) return refuse(new Response("shutting down", { status: 503 }));
    let refusal = upgradeRefusal(request, address, { addresses, allowedOrigins });
    if (refusal?.code === "rate_limited") countRateLimited("connections_per_address");
    if (!refusal && address && unauthenticated.count(address) >= maxUnauthenticatedPerAddress) {
      countRateLimited("unauthenticated_per_address");
      refusal = new AppError(
        "rate_limited",
        "Too many unauthenticated connections from this address",
        { retryAfter: 10 },
      );
    }
    if (!refusal && unauthenticated.atLeast(maxHandshakes)) {
      countRateLimited("handshakes");
      refusal = new AppError(
        "unavailable",
        "Too many connections are signing in to this server; retry shortly",
      );
    }
    if (refusal) return refuse(errorResponse(refusal, log));
    return {
      accept(socket) {
        if (address) addresses.take(address);
        const session = accept(socket, address, socketClosed);
        unauthenticated.add(address, session);
      },
    };
  };
}
