/** A ConnectDirectory kept in step with the registry: one client per live connect server. */
import type { Registry, ServiceInstance } from "../registry/mod.ts";
import type { ConnectDirectory, ConnectService } from "./connect.ts";

/** A client that can be closed. */
export type ClosableConnect = ConnectService & { close(): void };

/** Options of the pool. */
export interface ConnectPoolOptions {
  registry: Registry;
  /** Makes a client for a connect instance (gRPC in a cluster). */
  client: (instance: ServiceInstance) => ClosableConnect;
  /** Called with the id of each connect server that disappears from the registry. */
  onRemoved?: (serverId: string) => void;
}

/** Connect clients by server id, following the registry. */
export class ConnectPool implements ConnectDirectory {
  readonly #clients = new Map<string, { address: string; client: ClosableConnect }>();
  readonly #options: ConnectPoolOptions;
  readonly #unwatch: () => void;

  constructor(options: ConnectPoolOptions) {
    this.#options = options;
    this.#sync(options.registry.instances("connect"));
    this.#unwatch = options.registry.watch("connect", (instances) => this.#sync(instances));
  }

  #sync(instances: ServiceInstance[]): void {
    const live = new Map(instances.map((i) => [i.id, i]));
    for (const [id, entry] of this.#clients) {
      const instance = live.get(id);
      if (!instance || instance.grpc !== entry.address) {
        entry.client.close();
        this.#clients.delete(id);
        if (!instance) this.#options.onRemoved?.(id);
      }
    }
    for (const instance of instances) {
      if (!this.#clients.has(instance.id)) {
        this.#clients.set(instance.id, {
          address: instance.grpc,
          client: this.#options.client(instance),
        });
      }
    }
  }

  connectServers(): string[] {
    return [...this.#clients.keys()];
  }

  connect(serverId: string): ConnectService | undefined {
    return this.#clients.get(serverId)?.client;
  }

  close(): void {
    this.#unwatch();
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
