/**
 * The registry on etcd: instances live under `<prefix>services/<layer>/<id>`
 * attached to this process's lease (kept alive; TTL ≤ 10 s), and worker ids
 * under `<prefix>workers/<n>`, claimed by a transaction on the same lease, so
 * two live instances never share one. Callers watch the services prefix.
 */
import { Etcd3, type Lease, type Watcher } from "etcd3";
import { AppError } from "../errors.ts";
import { within } from "../timeout.ts";
import type { Registry, ServiceInstance } from "./mod.ts";

/** Options of the etcd registry. */
export interface EtcdRegistryOptions {
  endpoints: string[];
  /** Key prefix, e.g. `/im/`. */
  prefix: string;
  /** Lease time to live in seconds (at most 10). */
  ttlSeconds: number;
  onError?: (error: unknown) => void;
}

type Layer = ServiceInstance["layer"];

/** The etcd registry; `open()` connects and starts watching. */
export class EtcdRegistry implements Registry {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #ttlSeconds: number;
  readonly #onError: (error: unknown) => void;
  readonly #instances = new Map<string, ServiceInstance>();
  readonly #listeners = new Set<
    { layer: Layer; listener: (instances: ServiceInstance[]) => void }
  >();
  readonly #registered = new Map<string, ServiceInstance>();
  #lease: Lease | null = null;
  #watcher: Watcher | null = null;
  #workerId: number | null = null;
  #closed = false;

  private constructor(client: Etcd3, options: EtcdRegistryOptions) {
    this.#client = client;
    this.#prefix = options.prefix;
    this.#ttlSeconds = Math.min(10, options.ttlSeconds);
    this.#onError = options.onError ?? console.error;
  }

  /** Connects, loads the live instances and watches for changes. */
  static async open(options: EtcdRegistryOptions): Promise<EtcdRegistry> {
    const client = new Etcd3({ hosts: options.endpoints, dialTimeout: 5000 });
    const registry = new EtcdRegistry(client, options);
    try {
      await within(registry.#start(), 10_000);
    } catch (error) {
      client.close();
      throw new AppError("unavailable", `Cannot reach etcd at ${options.endpoints.join(",")}`, {
        cause: error,
      });
    }
    return registry;
  }

  get #services(): string {
    return `${this.#prefix}services/`;
  }

  async #start(): Promise<void> {
    this.#watcher = await this.#client.watch().prefix(this.#services).create();
    this.#watcher.on("put", (kv) => this.#put(kv.key.toString(), kv.value.toString()));
    this.#watcher.on("delete", (kv) => this.#delete(kv.key.toString()));
    this.#watcher.on("error", (error) => this.#onError(error));
    const all = await this.#client.getAll().prefix(this.#services).strings();
    for (const [key, value] of Object.entries(all)) this.#put(key, value);
  }

  #put(key: string, value: string): void {
    try {
      const instance = JSON.parse(value) as ServiceInstance;
      this.#instances.set(key, instance);
      this.#notify(instance.layer);
    } catch (error) {
      this.#onError(error);
    }
  }

  #delete(key: string): void {
    const instance = this.#instances.get(key);
    if (!instance) return;
    this.#instances.delete(key);
    this.#notify(instance.layer);
  }

  #notify(layer: Layer): void {
    const list = this.instances(layer);
    for (const entry of this.#listeners) if (entry.layer === layer) entry.listener(list);
  }

  /** This process's lease, created on first use and re-created (with its keys) if lost. */
  async #ensureLease(): Promise<Lease> {
    if (this.#lease) return this.#lease;
    const lease = this.#client.lease(this.#ttlSeconds, { autoKeepAlive: true });
    lease.on("lost", (error) => {
      if (this.#closed) return;
      this.#onError(new Error(`etcd lease lost; registering again: ${error?.message ?? error}`));
      this.#lease = null;
      this.#reRegister().catch((e) => this.#onError(e));
    });
    await lease.grant();
    this.#lease = lease;
    return lease;
  }

  async #reRegister(): Promise<void> {
    const lease = await this.#ensureLease();
    if (this.#workerId !== null) await this.#claim(lease, this.#workerId);
    for (const [key, instance] of this.#registered) {
      await lease.put(key).value(JSON.stringify(instance));
    }
  }

  async register(instance: ServiceInstance): Promise<void> {
    const key = `${this.#services}${instance.layer}/${instance.id}`;
    const lease = await this.#ensureLease();
    await lease.put(key).value(JSON.stringify(instance));
    this.#registered.set(key, instance);
  }

  instances(layer: Layer): ServiceInstance[] {
    return [...this.#instances.values()].filter((i) => i.layer === layer).sort((
      a,
      b,
    ) => (a.id < b.id ? -1 : 1));
  }

  watch(layer: Layer, listener: (instances: ServiceInstance[]) => void): () => void {
    const entry = { layer, listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  async #claim(lease: Lease, id: number): Promise<boolean> {
    const key = `${this.#prefix}workers/${id}`;
    const result = await this.#client.if(key, "Create", "==", 0)
      .then(this.#client.put(key).value(String(Date.now())).lease(await lease.grant()))
      .commit();
    return result.succeeded;
  }

  async claimWorkerId(): Promise<number> {
    if (this.#workerId !== null) return this.#workerId;
    const lease = await this.#ensureLease();
    const start = Math.floor(Math.random() * 1024);
    for (let i = 0; i < 1024; i++) {
      const id = (start + i) % 1024;
      if (await this.#claim(lease, id)) {
        this.#workerId = id;
        return id;
      }
    }
    throw new AppError("unavailable", "No snowflake worker id is free in etcd");
  }

  /** Asks etcd for its status, with a short timeout. */
  async ping(): Promise<void> {
    try {
      await within(this.#client.maintenance.status(), 2000);
    } catch (error) {
      throw new AppError("unavailable", "etcd is unavailable", { cause: error });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#watcher?.cancel().catch(() => {});
    await this.#lease?.revoke().catch(() => {});
    this.#client.close();
    this.#listeners.clear();
  }
}
