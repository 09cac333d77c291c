/**
 * The presence port: who is online and on which connect servers (routes).
 *
 * Contract:
 * - A user is online while at least one of their connections is recorded on any server.
 * - `connect()` answers true only for the user's first connection anywhere and
 *   `disconnect()` true only for the last, so each transition is reported once.
 * - Routes of a server that died stay until `dropServer()` removes them (its
 *   caller learns of the death from the registry) and names the users who went offline.
 */

/** The presence port. */
export interface Presence {
  connect(userId: string, serverId: string, connectionId: string): Promise<boolean>;
  disconnect(userId: string, serverId: string, connectionId: string): Promise<boolean>;
  /** The servers holding each user: serverId → userIds; offline users are left out. */
  routes(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Which of these users are online. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /** How many users are online (for operators: `deno task admin counts`). */
  count(): Promise<number>;
  /** Forgets every connection of a server; returns the users who are now offline. */
  dropServer(serverId: string): Promise<string[]>;
  /** The servers that hold any route (to find the routes of servers that died unseen). */
  servers(): Promise<string[]>;
  close(): Promise<void>;
}
