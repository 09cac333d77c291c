/** A registry in this process's memory, for tests: what is registered is live. */
import type { Registry, ServiceInstance } from "./mod.ts";

/** A static registry; worker ids are handed out from `firstWorkerId` up. */
export class StaticRegistry implements Registry {
  readonly #instances = new Map<string, ServiceInstance>();
  readonly #listeners = new Set<
    { layer: string; listener: (instances: ServiceInstance[]) => void }
  >();
  #nextWorkerId: number;

  constructor({ firstWorkerId = 0 }: { firstWorkerId?: number } = {}) {
    this.#nextWorkerId = firstWorkerId;
  }

  register(instance: ServiceInstance): Promise<void> {
    this.#instances.set(`${instance.layer}/${instance.id}`, instance);
    this.#notify(instance.layer);
    return Promise.resolve();
  }

  /** Removes an instance, as an expired lease would. */
  unregister(layer: ServiceInstance["layer"], id: string): void {
    if (this.#instances.delete(`${layer}/${id}`)) this.#notify(layer);
  }

  instances(layer: ServiceInstance["layer"]): ServiceInstance[] {
    return [...this.#instances.values()].filter((i) => i.layer === layer).sort((
      a,
      b,
    ) => (a.id < b.id ? -1 : 1));
  }

  watch(
    layer: ServiceInstance["layer"],
    listener: (instances: ServiceInstance[]) => void,
  ): () => void {
    const entry = { layer, listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  #notify(layer: string): void {
    for (const entry of this.#listeners) {
      if (entry.layer === layer) entry.listener(this.instances(layer as ServiceInstance["layer"]));
    }
  }

  claimWorkerId(): Promise<number> {
    if (this.#nextWorkerId > 1023) {
      return Promise.reject(new Error("No snowflake worker id is free"));
    }
    return Promise.resolve(this.#nextWorkerId++);
  }

  /** A static claim never lapses: the listener is never called. */
  watchWorkerId(_listener: (workerId: number | null) => void): () => void {
    return () => {};
  }

  /** A static registration never lapses: the listener is never called. */
  watchReRegistered(_listener: () => void): () => void {
    return () => {};
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#instances.clear();
    this.#listeners.clear();
    return Promise.resolve();
  }
}
