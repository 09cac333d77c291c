/**
 * The presence port: who is online and on which connect servers (routes).
 *
 * Contract:
 * - A user is online while at least one of their connections is recorded on any server.
 * - `connect()` answers true only for the user's first connection anywhere and
 *   `disconnect()` true only for the last, so each transition is reported once.
 * - Shared implementations expire a server's routes when it stops refreshing them;
 *   `dropServer()` removes them at once and names the users who went offline.
 */

/** The presence port. */
export interface Presence {
  connect(userId: string, serverId: string, connectionId: string): Promise<boolean>;
  disconnect(userId: string, serverId: string, connectionId: string): Promise<boolean>;
  /** The servers holding each user: serverId → userIds; offline users are left out. */
  routes(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Which of these users are online. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /** Marks a connect server alive for the routes' time to live; called on a heartbeat. */
  heartbeat(serverId: string): Promise<void>;
  /** Forgets every connection of a server; returns the users who are now offline. */
  dropServer(serverId: string): Promise<string[]>;
  close(): Promise<void>;
}
