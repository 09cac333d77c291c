/** A fixed registry, for the embedded mode: the connect servers are known at start. */
import type { ConnectService } from "../rpc/connect.ts";
import type { Registry } from "./mod.ts";

/** A registry of connect servers given at construction. */
export class StaticRegistry implements Registry {
  readonly #servers: Map<string, { service: ConnectService; url: string }>;
  #next = 0;

  constructor(servers: Iterable<[string, { service: ConnectService; url: string }]>) {
    this.#servers = new Map(servers);
  }

  connectServers(): string[] {
    return [...this.#servers.keys()];
  }

  connect(serverId: string): ConnectService | undefined {
    return this.#servers.get(serverId)?.service;
  }

  connectUrl(): string {
    const all = [...this.#servers.values()];
    if (all.length === 0) return "/ws";
    return all[this.#next++ % all.length].url;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
