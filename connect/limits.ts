/**
 * Who may open a session: the page's Origin, and the caps on connections per
 * client address (checked at the upgrade) and per user (checked at auth).
 */
import { AppError } from "../shared/errors.ts";

/**
 * Whether a WebSocket upgrade's Origin may connect: clients that send no Origin
 * (not browsers) may; a listed origin may; with no list, a page whose host is
 * the server's own may.
 */
export function originAllowed(request: Request, allowed: readonly string[]): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    // The page's host against the Host the browser connected to (ports may differ:
    // a cluster's page comes from the api, its WebSocket goes to a connect server).
    const page = new URL(origin).hostname;
    const server = new URL(`http://${request.headers.get("host") ?? ""}`).hostname;
    return page !== "" && page === server;
  } catch {
    return false;
  }
}

/** Sockets open per client address, against a cap; the empty address (a Unix socket) is not counted. */
export class AddressLimit {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Sockets open from `address`. */
  count(address: string): number {
    return this.#open.get(address) ?? 0;
  }

  /** Whether `address` already holds as many sockets as it may. */
  full(address: string): boolean {
    return address !== "" && this.count(address) >= this.#max;
  }

  /** Counts a socket opened from `address`. */
  take(address: string): void {
    if (address) this.#open.set(address, this.count(address) + 1);
  }

  /** Counts a socket of `address` closed. */
  release(address: string): void {
    const left = (this.#open.get(address) ?? 1) - 1;
    if (left > 0) this.#open.set(address, left);
    else this.#open.delete(address);
  }
}

/**
 * Why an upgrade from `address` is refused before it is accepted (the address
 * cap first, then the Origin), or null.
 */
export function upgradeRefusal(
  request: Request,
  address: string,
  { addresses, allowedOrigins }: { addresses: AddressLimit; allowedOrigins: readonly string[] },
): AppError | null {
  if (addresses.full(address)) {
    return new AppError("rate_limited", "Too many connections from this address", {
      retryAfter: 10,
    });
  }
  if (!originAllowed(request, allowedOrigins)) {
    return new AppError("forbidden", "This page's origin may not open a session here");
  }
  return null;
}

/** Why a user holding `open` sessions here may not authenticate one more, or null. */
export function userLimitRefusal(open: number, max: number): AppError | null {
  if (open < max) return null;
  return new AppError(
    "rate_limited",
    `Too many connections for this account (at most ${max})`,
  );
}
