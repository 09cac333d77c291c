/** What follows when a connect server is gone: its routes are dropped and its users announced offline. */
import type { StatusQueue } from "../queue/mod.ts";
import type { Presence } from "./mod.ts";

/**
 * Drops every route of a connect server that died (or restarts under the same
 * id) and pushes an offline change for each user who has no connection left
 * anywhere. Returns those users.
 */
export async function dropServerRoutes(
  presence: Presence,
  statusQueue: StatusQueue,
  serverId: string,
  now: () => number = Date.now,
): Promise<string[]> {
  const offline = await presence.dropServer(serverId);
  for (const userId of offline) await statusQueue.push({ userId, online: false, at: now() });
  return offline;
}
