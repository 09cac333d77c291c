/**
 * The registry port: service discovery. Each logic and connect instance
 * registers itself while it lives; callers read and watch the live instances
 * of a layer. In a cluster it is etcd, where an instance lives under a lease
 * (TTL ≤ 10 s, kept alive) and disappears when it stops renewing it. The
 * embedded mode needs none (its main.ts hands task its one connect server);
 * `StaticRegistry` serves tests.
 */

/** A registered instance. */
export interface ServiceInstance {
  layer: "logic" | "connect";
  id: string;
  /** host:port of its gRPC server. */
  grpc: string;
  /** For connect: the WebSocket URL clients open. */
  url?: string;
}

/** The registry port. */
export interface Registry {
  /** Announces an instance until `close()` (or, in etcd, until its lease lapses). */
  register(instance: ServiceInstance): Promise<void>;
  /** The live instances of a layer, in a stable order. */
  instances(layer: ServiceInstance["layer"]): ServiceInstance[];
  /** Calls `listener` with the live instances whenever they change; returns the unsubscribe function. */
  watch(
    layer: ServiceInstance["layer"],
    listener: (instances: ServiceInstance[]) => void,
  ): () => void;
  /** Claims a snowflake worker id (0–1023) that no other live instance holds. */
  claimWorkerId(): Promise<number>;
  /**
   * Calls `listener` whenever the claim changes: `null` as soon as the claim may
   * have lapsed (ids must not be minted then), the id held again once it is
   * confirmed or re-claimed (which may be another id). Returns the unsubscribe function.
   */
  watchWorkerId(listener: (workerId: number | null) => void): () => void;
  /**
   * Calls `listener` each time this process's instances were registered again
   * after its registration lapsed (others may have taken them for gone meanwhile).
   * Returns the unsubscribe function.
   */
  watchReRegistered(listener: () => void): () => void;
  /** Resolves when the backing store answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
