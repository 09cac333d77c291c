/**
 * The registry on etcd: instances live under `<prefix>services/<layer>/<id>`
 * attached to this process's lease (kept alive; TTL ≤ 10 s), and worker ids
 * under `<prefix>workers/<n>`, claimed by a transaction on the same lease, so
 * two live instances never share one. Callers watch the services prefix.
 */
import { logger } from "../log.ts";
import { Etcd3, EtcdLeaseInvalidError, type Lease, type Watcher } from "etcd3";
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

/**
 * The delays before the watch stream reconnects: from 50–100 ms, doubling to at most 1–2 s
 * (half of each at random). etcd3's default (cockatiel's) grows to 30 s: given a list of
 * endpoints of which some are down, a stream that happened to try those a few times in a row
 * then waited longer than `open()` does, and a watcher would miss a member's return as long.
 */
export class WatchBackoff {
  readonly duration: number;
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(baseMs = 50, maxMs = 2000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
    this.duration = baseMs / 2 + Math.random() * baseMs / 2;
  }

  next(): WatchBackoff {
    return new WatchBackoff(Math.min(this.#maxMs, this.#baseMs * 2), this.#maxMs);
  }
}

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
  readonly #workerListeners = new Set<(workerId: number | null) => void>();
  readonly #reRegisteredListeners = new Set<() => void>();
  #workerId: number | null = null;
  /** Whether the claim of `#workerId` is known to hold (a keepalive answered recently). */
  #valid = false;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #leasing: Promise<Lease> | null = null;
  /** The lease the worker id is claimed on: only its keepalives confirm the claim. */
  #claimedOn: Lease | null = null;
  #reRegistration: Promise<void> | null = null;
  #again = false;
  /** When the last keepalive (or grant) was sent. */
  #askedAt = 0;
  #closed = false;

  private constructor(client: Etcd3, options: EtcdRegistryOptions) {
    this.#client = client;
    this.#prefix = options.prefix;
    this.#ttlSeconds = Math.min(10, options.ttlSeconds);
    this.#onError = options.onError ??
      ((error) => logger("registry").error("etcd registry failed", { error }));
  }

  /** Connects, loads the live instances and watches for changes. */
  static async open(options: EtcdRegistryOptions): Promise<EtcdRegistry> {
    const client = new Etcd3({
      hosts: options.endpoints,
      dialTimeout: 5000,
      faultHandling: { watchBackoff: new WatchBackoff() },
    });
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

  /**
   * This process's lease, created on first use (once, however many callers ask
   * at the same time). When it is lost (etcd expired or revoked it), the worker
   * id stops being valid at once, and one re-registration on a new lease
   * re-claims a worker id and the services, retrying until it succeeds or closes.
   */
  #ensureLease(): Promise<Lease> {
    return this.#leasing ??= this.#grantLease().catch((error) => {
      this.#leasing = null;
      throw error;
    });
  }

  async #grantLease(): Promise<Lease> {
    const lease = this.#client.lease(this.#ttlSeconds, { autoKeepAlive: true });
    // An answer confirms the claim from the oldest keepalive not yet answered on.
    let unanswered: number | null = null;
    lease.on("keepaliveFired", () => unanswered ??= Date.now());
    lease.on("keepaliveSucceeded", () => {
      if (this.#lease !== lease) return;
      this.#askedAt = unanswered ?? Date.now();
      unanswered = null;
      this.#confirmed(lease);
    });
    lease.on("lost", (error) => {
      if (this.#closed || this.#lease !== lease) return;
      this.#dropLease();
      this.#onError(new Error(`etcd lease lost; registering again: ${error?.message ?? error}`));
      void this.#reRegisterUntilDone();
    });
    const askedAt = Date.now();
    await lease.grant();
    this.#askedAt = askedAt;
    this.#lease = lease;
    return lease;
  }

  /** Forgets the current lease: the worker id lapses, and the next use grants a new one. */
  #dropLease(): void {
    this.#lapse();
    const lease = this.#lease;
    this.#lease = null;
    this.#leasing = null;
    this.#claimedOn = null;
    if (lease && !lease.revoked()) lease.revoke().catch(() => {});
  }

  /**
   * A keepalive of `lease` was answered, or a claim made on it: etcd holds the
   * claim until a TTL after the keepalive (or grant) was sent. A margin before
   * that, without another answer, the worker id is withdrawn until the next
   * answer (or a new claim after a loss).
   */
  #confirmed(lease: Lease): void {
    if (this.#claimedOn !== lease || this.#lease !== lease || lease.revoked()) return;
    if (this.#workerId === null) return;
    clearTimeout(this.#watchdog);
    const ttl = this.#ttlSeconds * 1000;
    const margin = Math.min(1000, ttl / 4);
    this.#watchdog = setTimeout(() => this.#lapse(), this.#askedAt + ttl - margin - Date.now());
    if (!this.#valid) {
      this.#valid = true;
      this.#notifyWorkerId(this.#workerId);
    }
  }

  #lapse(): void {
    clearTimeout(this.#watchdog);
    if (!this.#valid) return;
    this.#valid = false;
    this.#notifyWorkerId(null);
  }

  #notifyWorkerId(workerId: number | null): void {
    for (const listener of this.#workerListeners) listener(workerId);
  }

  /**
   * One re-registration at a time; a loss while it runs makes it go again. Resolves when the
   * one under way (or this one) is done.
   */
  #reRegisterUntilDone(): Promise<void> {
    if (this.#reRegistration) {
      this.#again = true;
      return this.#reRegistration;
    }
    return this.#reRegistration = this.#reRegisterLoop();
  }

  async #reRegisterLoop(): Promise<void> {
    try {
      for (let attempt = 0; !this.#closed;) {
        this.#again = false;
        try {
          await this.#reRegister();
          if (!this.#again) return;
        } catch (error) {
          this.#onError(error);
          this.#dropLease();
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt++)));
        }
      }
    } finally {
      this.#reRegistration = null;
    }
  }

  /** Re-claims the worker id on a new lease (another one if it was taken meanwhile), then the services. */
  async #reRegister(): Promise<void> {
    const lease = await this.#ensureLease();
    // A second pass on the same lease (a loss told twice) keeps the id it claimed on it.
    if (this.#workerId !== null && this.#claimedOn !== lease) {
      const previous = this.#workerId;
      const id = await this.#claim(lease, previous) ? previous : await this.#claimAny(lease);
      if (id !== previous) {
        this.#onError(new Error(`snowflake worker id ${previous} was taken; now ${id}`));
      }
      this.#workerId = id;
      this.#claimedOn = lease;
      // Valid only if the lease it was claimed on is still the live one.
      this.#confirmed(lease);
    }
    for (const [key, instance] of this.#registered) {
      await lease.put(key).value(JSON.stringify(instance));
    }
    for (const listener of this.#reRegisteredListeners) listener();
  }

  async register(instance: ServiceInstance): Promise<void> {
    const key = `${this.#services}${instance.layer}/${instance.id}`;
    const lease = await this.#ensureLease();
    try {
      await lease.put(key).value(JSON.stringify(instance));
    } catch (error) {
      // The lease expired before the put (a process that stalled past its TTL while starting):
      // registering again on a new lease puts this key too, as it does after any loss.
      if (!(error instanceof EtcdLeaseInvalidError)) throw error;
      this.#registered.set(key, instance);
      if (this.#lease === lease) this.#dropLease();
      this.#onError(new Error(`etcd lease lost; registering again: ${error.message}`));
      await this.#reRegisterUntilDone();
      return;
    }
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

  async #claimAny(lease: Lease): Promise<number> {
    const start = Math.floor(Math.random() * 1024);
    for (let i = 0; i < 1024; i++) {
      const id = (start + i) % 1024;
      if (await this.#claim(lease, id)) return id;
    }
    throw new AppError("unavailable", "No snowflake worker id is free in etcd");
  }

  async claimWorkerId(): Promise<number> {
    if (this.#workerId !== null) return this.#workerId;
    const lease = await this.#ensureLease();
    this.#workerId = await this.#claimAny(lease);
    this.#claimedOn = lease;
    this.#confirmed(lease);
    if (!this.#valid) {
      throw new AppError("unavailable", "The etcd lease was lost while claiming a worker id");
    }
    return this.#workerId;
  }

  watchReRegistered(listener: () => void): () => void {
    this.#reRegisteredListeners.add(listener);
    return () => this.#reRegisteredListeners.delete(listener);
  }

  watchWorkerId(listener: (workerId: number | null) => void): () => void {
    this.#workerListeners.add(listener);
    return () => this.#workerListeners.delete(listener);
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
    clearTimeout(this.#watchdog);
    this.#workerListeners.clear();
    this.#reRegisteredListeners.clear();
    await this.#watcher?.cancel().catch(() => {});
    await this.#lease?.revoke().catch(() => {});
    this.#client.close();
    this.#listeners.clear();
  }
}
