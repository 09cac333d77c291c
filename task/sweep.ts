/**
 * The route sweep: finds routes of connect servers that are not registered
 * (they died while no task watched their lease) and drops them, announcing
 * their users offline. A server must be absent in two sweeps in a row, so one
 * that is starting (routes before its registration) is spared.
 */
import { dropServerRoutes } from "../shared/presence/gone.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusQueue } from "../shared/queue/mod.ts";
import type { ConnectDirectory } from "../shared/rpc/connect.ts";

/** Creates a sweep; each call of the returned function is one sweep. */
export function routeSweep(
  { presence, statusQueue, connects }: {
    presence: Presence;
    statusQueue: StatusQueue;
    connects: Pick<ConnectDirectory, "connectServers">;
  },
): () => Promise<string[]> {
  let suspects = new Set<string>();
  /** Returns the servers whose routes it dropped. */
  return async () => {
    const live = new Set(connects.connectServers());
    const absent = (await presence.servers()).filter((id) => !live.has(id));
    const gone = absent.filter((id) => suspects.has(id));
    for (const serverId of gone) await dropServerRoutes(presence, statusQueue, serverId);
    suspects = new Set(absent.filter((id) => !gone.includes(id)));
    return gone;
  };
}
