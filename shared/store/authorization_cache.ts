/**
 * Decorators of the friend and group ports that remember the friendships,
 * group memberships and members' sender states they have found, so the send
 * path's authorization does not ask the engine for each batch.
 *
 * They are exact only when every change goes through the same objects, as in
 * the embedded mode (one logic, one store). Logic instances of a cluster share
 * the database but not this memory, so they must not use them.
 */
import { CachedGroupStore } from "./cached_group_store.ts";
import type { BlockStore, FriendRequestRow, FriendStore, Store } from "./mod.ts";

/** (a, b) pairs as the ports ask them. */
export type Pairs = readonly (readonly [string, string])[];

/** What the cache remembers: friend pairs, group membership pairs, and members' sender states. */
export type CacheKind = "friend" | "member" | "sender";

/**
 * Found pairs of each kind (`friend`, `member`, `sender`) with what was found
 * of them, at most `maxEntries`, forgotten on a change that may take them
 * away. Only what was found is remembered: a refusal is asked again.
 */
export class AuthorizationCache {
  readonly #known = new Map<string, unknown>();
  readonly #maxEntries: number;
  // Bumped around each change: a lookup that overlapped one does not fill the cache.
  #generation = 0;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  /** Answers the pairs it knows and asks `ask` for the others, remembering those found. */
  async lookup(
    kind: CacheKind,
    pairs: Pairs,
    ask: (pairs: Pairs) => Promise<Set<string>>,
  ): Promise<Set<string>> {
    const found = await this.lookupValues(kind, pairs, async (missing) => {
      const set = await ask(missing);
      return new Map([...set].map((key) => [key, true as const]));
    });
    return new Set(found.keys());
  }

  /** As `lookup()`, for pairs found with a value (`a:b` to its value); the values are kept as they are. */
  async lookupValues<V>(
    kind: CacheKind,
    pairs: Pairs,
    ask: (pairs: Pairs) => Promise<Map<string, V>>,
  ): Promise<Map<string, V>> {
    const result = new Map<string, V>();
    const missing = pairs.filter(([a, b]) => {
      const key = `${a}:${b}`;
      const hit = this.#known.get(`${kind}:${key}`);
      if (hit !== undefined) result.set(key, hit as V);
      return hit === undefined;
    });
    if (missing.length === 0) return result;
    const started = this.#generation;
    const found = await ask(missing);
    if (started === this.#generation) {
      if (this.#known.size + found.size > this.#maxEntries) this.#known.clear();
      for (const [key, value] of found) this.#known.set(`${kind}:${key}`, value);
    }
    for (const [key, value] of found) result.set(key, value);
    return result;
  }

  /**
   * Runs a change, forgetting `keys` (`kind:a:b`) and every key that begins
   * with one of `prefixes` (`kind:a:`, every pair of `a`) before and after it.
   */
  async removing<T>(
    keys: readonly string[],
    remove: () => Promise<T>,
    prefixes: readonly string[] = [],
  ): Promise<T> {
    this.#generation++;
    this.#forget(keys, prefixes);
    try {
      return await remove();
    } finally {
      this.#generation++;
      this.#forget(keys, prefixes);
    }
  }

  #forget(keys: readonly string[], prefixes: readonly string[]): void {
    for (const key of keys) this.#known.delete(key);
    if (prefixes.length === 0) return;
    // A walk of every entry: only for changes of a whole group, which are rare.
    for (const key of this.#known.keys()) {
      if (prefixes.some((prefix) => key.startsWith(prefix))) this.#known.delete(key);
    }
  }
}

/** A FriendStore that answers `pairs()` from the cache; `remove()` forgets both directions. */
export class CachedFriendStore implements FriendStore {
  readonly #inner: FriendStore;
  readonly #cache: AuthorizationCache;

  constructor(inner: FriendStore, cache: AuthorizationCache = new AuthorizationCache()) {
    this.#inner = inner;
    this.#cache = cache;
  }

  pairs(pairs: Pairs): Promise<Set<string>> {
    return this.#cache.lookup("friend", pairs, (missing) => this.#inner.pairs(missing));
  }

  remove(a: string, b: string): Promise<boolean> {
    return this.#cache.removing(
      [`friend:${a}:${b}`, `friend:${b}:${a}`],
      () => this.#inner.remove(a, b),
    );
  }

  createRequest(row: FriendRequestRow): Promise<void> {
    return this.#inner.createRequest(row);
  }

  request(id: string): Promise<FriendRequestRow | null> {
    return this.#inner.request(id);
  }

  requestBetween(fromId: string, toId: string): Promise<FriendRequestRow | null> {
    return this.#inner.requestBetween(fromId, toId);
  }

  requests(userId: string) {
    return this.#inner.requests(userId);
  }

  deleteRequest(id: string): Promise<void> {
    return this.#inner.deleteRequest(id);
  }

  cancelRequest(id: string, fromId: string): Promise<FriendRequestRow | null> {
    return this.#inner.cancelRequest(id, fromId);
  }

  add(a: string, b: string, createdAt: number): Promise<boolean> {
    return this.#inner.add(a, b, createdAt);
  }

  areFriends(a: string, b: string): Promise<boolean> {
    return this.#inner.areFriends(a, b);
  }

  idsOf(userId: string): Promise<string[]> {
    return this.#inner.idsOf(userId);
  }
}

/**
 * A BlockStore that makes the shared cache forget the friend pairs of a block
 * it makes (`FriendStore.pairs` leaves out a pair whose friend blocked the
 * user). An unblock only gives pairs back, which the cache finds when asked.
 */
export class CachedBlockStore implements BlockStore {
  readonly #inner: BlockStore;
  readonly #cache: AuthorizationCache;

  constructor(inner: BlockStore, cache: AuthorizationCache) {
    this.#inner = inner;
    this.#cache = cache;
  }

  block(userId: string, blockedId: string, at: number): Promise<boolean> {
    return this.#cache.removing(
      [`friend:${blockedId}:${userId}`, `friend:${userId}:${blockedId}`],
      () => this.#inner.block(userId, blockedId, at),
    );
  }

  unblock(userId: string, blockedId: string): Promise<boolean> {
    return this.#inner.unblock(userId, blockedId);
  }

  blockedBy(userId: string): Promise<string[]> {
    return this.#inner.blockedBy(userId);
  }

  blocks(userId: string, otherId: string): Promise<boolean> {
    return this.#inner.blocks(userId, otherId);
  }
}

/** The store with its friend, block and group ports behind one shared authorization cache. */
export function withAuthorizationCache(store: Store, maxEntries?: number): Store {
  const cache = new AuthorizationCache(maxEntries);
  return {
    accounts: store.accounts,
    admin: store.admin,
    blocks: new CachedBlockStore(store.blocks, cache),
    friends: new CachedFriendStore(store.friends, cache),
    groups: new CachedGroupStore(store.groups, cache),
    media: store.media,
    messages: store.messages,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
