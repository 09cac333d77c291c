/** The client's address of a request, for per-address limits. */

/** The peer address from Deno.serve's connection info ("" for a Unix socket). */
export function remoteAddress(info: Deno.ServeHandlerInfo): string {
  const addr = info.remoteAddr as Deno.Addr;
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : "";
}
