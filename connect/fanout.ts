/**
 * Push and group fan-out: the authenticated connections of this server spread
 * over buckets (with their group nodes) and indexed by token, the pushes each
 * holds pending ack, and their redelivery.
 */
import { logger } from "../shared/log.ts";
import type { ConnectService, PushItem } from "../shared/rpc/connect.ts";
import { parseTraceparent, withTrace } from "../shared/trace.ts";
import { Bucket } from "./bucket.ts";
import { CLOSE, type Connection } from "./connection.ts";
import { RedeliveryQueue } from "./redelivery.ts";

/**
 * Kicked token hashes remembered for sign-ins under way. A sign-in takes a logic call or two, and
 * this many kicks cannot come within one on a server; the oldest are forgotten first.
 */
const KICKS_KEPT = 10_000;

const log = logger("connect");

/** Options of a `Fanout`. */
export interface FanoutOptions {
  /** 32-bit hash of a user id, for bucketing. */
  hash: (userId: string) => number;
  buckets: number;
  bucketRate: number;
  bucketBurst: number;
  redeliverMs: number;
  now?: () => number;
}

/** Where authenticated connections are registered and pushes fan out from. */
export class Fanout {
  readonly #buckets: Bucket<Connection>[];
  readonly #hash: (userId: string) => number;
  readonly #byToken = new Map<string, Set<Connection>>();
  /** Token hashes kicked lately, with the kick's number: for sign-ins under way when it came. */
  readonly #kicked = new Map<string, number>();
  #kicks = 0;
  readonly #redelivery: RedeliveryQueue;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor({ hash, buckets, bucketRate, bucketBurst, redeliverMs, now }: FanoutOptions) {
    this.#hash = hash;
    this.#buckets = Array.from(
      { length: buckets },
      () => new Bucket<Connection>({ rate: bucketRate, burst: bucketBurst, now }),
    );
    this.#redelivery = new RedeliveryQueue({ timeoutMs: redeliverMs, now });
    this.#timer = setInterval(
      () => this.#redelivery.tick(),
      Math.min(1000, Math.max(10, redeliverMs / 4)),
    );
  }

  /** What task calls. */
  readonly service: ConnectService = {
    push: (items) => {
      for (const item of items) {
        // The trace is only for the `push delivered` line: without it, nothing here needs it.
        if (item.traceparent === undefined || !log.enabled("debug")) this.#push(item);
        else withTrace(parseTraceparent(item.traceparent), () => this.#pushLogged(item));
      }
      return Promise.resolve();
    },
    kick: (tokenHashes) => {
      const mark = ++this.#kicks;
      for (const tokenHash of tokenHashes) {
        this.#kicked.delete(tokenHash);
        this.#kicked.set(tokenHash, mark);
        if (this.#kicked.size > KICKS_KEPT) this.#kicked.delete(this.#kicked.keys().next().value!);
        for (const connection of this.#byToken.get(tokenHash) ?? []) {
          connection.close(CLOSE.unauthenticated, "logged out");
        }
      }
      return Promise.resolve();
    },
  };

  /** The number of the latest kick, taken before a token is checked. */
  kickMark(): number {
    return this.#kicks;
  }

  /**
   * Whether a token was kicked after `mark`: a sign-out that came while the token was being
   * checked, before its connection was registered here, so the kick found nothing to close.
   */
  kickedSince(tokenHash: string, mark: number): boolean {
    return (this.#kicked.get(tokenHash) ?? 0) > mark;
  }

  /** A user's connections on this server. */
  connectionsOf(userId: string): ReadonlySet<Connection> {
    return this.#bucketOf(userId).connections(userId);
  }

  /** Registers an authenticated connection, in the nodes of its user's groups. */
  add(connection: Connection, groupIds: Iterable<string>): void {
    let set = this.#byToken.get(connection.tokenHash);
    if (!set) this.#byToken.set(connection.tokenHash, set = new Set());
    set.add(connection);
    this.#bucketOf(connection.userId).add(connection, groupIds);
  }

  /** Forgets a connection. */
  remove(connection: Connection): void {
    this.#bucketOf(connection.userId).remove(connection);
    const set = this.#byToken.get(connection.tokenHash);
    set?.delete(connection);
    if (set?.size === 0) this.#byToken.delete(connection.tokenHash);
  }

  /** Stops redelivery and writes what the buckets still queue (before a shutdown closes the sockets). */
  drain(): void {
    clearInterval(this.#timer);
    for (const bucket of this.#buckets) bucket.drain();
  }

  /** Stops every timer and drops what is still queued or pending. */
  close(): void {
    clearInterval(this.#timer);
    for (const bucket of this.#buckets) bucket.close();
    this.#redelivery.clear();
  }

  #bucketOf(userId: string): Bucket<Connection> {
    return this.#buckets[this.#hash(userId) % this.#buckets.length];
  }

  /** Delivers a push and writes the `push delivered` line (in the push's trace). */
  #pushLogged(item: PushItem): void {
    const connections = this.#push(item);
    log.debug("push delivered", {
      conversationId: item.ack?.conversationId ??
        ("groupId" in item ? `g:${item.groupId}` : undefined),
      seq: item.ack?.seq,
      connections,
    });
  }

  /** Delivers a push to the connections it concerns; returns how many it was queued for. */
  #push(item: PushItem): number {
    let delivered = 0;
    if ("groupId" in item) {
      for (const bucket of this.#buckets) {
        for (const userId of bucket.groupMembers(item.groupId)) {
          if (userId === item.except) continue;
          for (const connection of bucket.connections(userId)) {
            if (this.#deliver(connection, item)) delivered++;
          }
        }
      }
      return delivered;
    }
    if (item.membership) {
      const { groupId, added, removed } = item.membership;
      for (const userId of added) this.#bucketOf(userId).joinGroup(groupId, userId);
      for (const userId of removed) this.#bucketOf(userId).leaveGroup(groupId, userId);
    }
    for (const userId of item.userIds) {
      for (const connection of this.connectionsOf(userId)) {
        if (this.#deliver(connection, item)) delivered++;
      }
    }
    return delivered;
  }

  /** Queues a push for a connection, unless it already holds it (or may hold no more). */
  #deliver(connection: Connection, item: PushItem): boolean {
    if (item.ack && !connection.hold(item.ack.conversationId, item.ack.seq, item.frame)) {
      return false;
    }
    if (item.ack) this.#redelivery.track(connection, item.ack.conversationId, item.ack.seq);
    this.#bucketOf(connection.userId).enqueue(connection, item.frame);
    return true;
  }
}
