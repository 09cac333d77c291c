/** Presence in this process's memory, for the embedded mode. */
import type { Presence } from "./mod.ts";

/** In-memory presence: user → server → connection ids. */
export class MemoryPresence implements Presence {
  readonly #users = new Map<string, Map<string, Set<string>>>();

  connect(userId: string, serverId: string, connectionId: string): Promise<boolean> {
    let servers = this.#users.get(userId);
    const first = !servers;
    if (!servers) this.#users.set(userId, servers = new Map());
    let connections = servers.get(serverId);
    if (!connections) servers.set(serverId, connections = new Set());
    connections.add(connectionId);
    return Promise.resolve(first);
  }

  disconnect(userId: string, serverId: string, connectionId: string): Promise<boolean> {
    const servers = this.#users.get(userId);
    const connections = servers?.get(serverId);
    if (!servers || !connections?.delete(connectionId)) return Promise.resolve(false);
    if (connections.size === 0) servers.delete(serverId);
    if (servers.size > 0) return Promise.resolve(false);
    this.#users.delete(userId);
    return Promise.resolve(true);
  }

  routes(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const routes = new Map<string, string[]>();
    for (const userId of new Set(userIds)) {
      for (const serverId of this.#users.get(userId)?.keys() ?? []) {
        const list = routes.get(serverId);
        if (list) list.push(userId);
        else routes.set(serverId, [userId]);
      }
    }
    return Promise.resolve(routes);
  }

  online(userIds: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(userIds.filter((id) => this.#users.has(id))));
  }

  count(): Promise<number> {
    return Promise.resolve(this.#users.size);
  }

  dropServer(serverId: string): Promise<string[]> {
    const offline: string[] = [];
    for (const [userId, servers] of this.#users) {
      if (servers.delete(serverId) && servers.size === 0) {
        this.#users.delete(userId);
        offline.push(userId);
      }
    }
    return Promise.resolve(offline);
  }

  servers(): Promise<string[]> {
    const servers = new Set<string>();
    for (const byServer of this.#users.values()) for (const id of byServer.keys()) servers.add(id);
    return Promise.resolve([...servers]);
  }

  close(): Promise<void> {
    this.#users.clear();
    return Promise.resolve();
  }
}
