/**
 * A bucket of connections (users are spread over buckets by farmhash of their
 * id): the users' connections, a group node per group listing the bucket's
 * online members, and a push queue drained through a token bucket.
 */
import { TokenBucket } from "../shared/token_bucket.ts";

/** What a bucket needs of a connection. */
export interface BucketConnection {
  readonly userId: string;
  /** Writes a frame to the socket. */
  write(frame: string): void;
}

/** Options of a bucket's push queue. */
export interface BucketOptions {
  rate: number;
  burst: number;
  now?: () => number;
}

/** One bucket. */
export class Bucket<C extends BucketConnection = BucketConnection> {
  readonly #users = new Map<string, Set<C>>();
  readonly #groups = new Map<string, Set<string>>();
  readonly #userGroups = new Map<string, Set<string>>();
  readonly #tokens: TokenBucket;
  #queue: { connection: C; frame: string }[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor({ rate, burst, now }: BucketOptions) {
    this.#tokens = new TokenBucket({ rate, burst, now });
  }

  /** Adds a connection and, for its user's first connection here, its groups' nodes. */
  add(connection: C, groupIds: Iterable<string>): void {
    let set = this.#users.get(connection.userId);
    if (!set) {
      this.#users.set(connection.userId, set = new Set());
      for (const groupId of groupIds) this.joinGroup(groupId, connection.userId);
    }
    set.add(connection);
  }

  /** Removes a connection; the user's last one also leaves the group nodes. */
  remove(connection: C): void {
    const set = this.#users.get(connection.userId);
    if (!set?.delete(connection) || set.size > 0) return;
    this.#users.delete(connection.userId);
    for (const groupId of this.#userGroups.get(connection.userId) ?? []) {
      const node = this.#groups.get(groupId);
      node?.delete(connection.userId);
      if (node?.size === 0) this.#groups.delete(groupId);
    }
    this.#userGroups.delete(connection.userId);
  }

  /** Puts an online user of this bucket into a group node. */
  joinGroup(groupId: string, userId: string): void {
    // Users not connected here get their groups when they connect.
    if (!this.#users.has(userId)) return;
    let node = this.#groups.get(groupId);
    if (!node) this.#groups.set(groupId, node = new Set());
    node.add(userId);
    let groups = this.#userGroups.get(userId);
    if (!groups) this.#userGroups.set(userId, groups = new Set());
    groups.add(groupId);
  }

  /** Takes a user out of a group node. */
  leaveGroup(groupId: string, userId: string): void {
    const node = this.#groups.get(groupId);
    node?.delete(userId);
    if (node?.size === 0) this.#groups.delete(groupId);
    this.#userGroups.get(userId)?.delete(groupId);
  }

  /** The connections of a user in this bucket. */
  connections(userId: string): ReadonlySet<C> {
    return this.#users.get(userId) ?? new Set();
  }

  /** The local online members of a group. */
  groupMembers(groupId: string): ReadonlySet<string> {
    return this.#groups.get(groupId) ?? new Set();
  }

  /** Every connection in this bucket. */
  *all(): Iterable<C> {
    for (const set of this.#users.values()) yield* set;
  }

  /** Queues a frame for a connection; it is written as the token bucket allows. */
  enqueue(connection: C, frame: string): void {
    if (this.#head === this.#queue.length && this.#tokens.take()) {
      connection.write(frame);
      return;
    }
    this.#queue.push({ connection, frame });
    this.#schedule();
  }

  /** Frames waiting for tokens. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Writes queued frames while tokens last. */
  drain(): void {
    while (this.#head < this.#queue.length && this.#tokens.take()) {
      const { connection, frame } = this.#queue[this.#head++];
      connection.write(frame);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else {
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.drain();
    }, Math.max(1, this.#tokens.waitMs()));
  }

  /** Stops the drain timer and drops queued frames. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }
}
