/**
 * Decorators of the friend and group ports that remember the friendships and
 * group memberships they have found, so the send path's authorization does not
 * ask the engine for each batch.
 *
 * They are exact only when every removal goes through the same objects, as in
 * the embedded mode (one logic, one store). Logic instances of a cluster share
 * the database but not this memory, so they must not use them.
 */
import type {
  FriendRequestRow,
  FriendStore,
  GroupPatch,
  GroupRole,
  GroupRow,
  GroupStore,
  NewGroup,
  Store,
} from "./mod.ts";

type Pairs = readonly (readonly [string, string])[];

/** Found pairs of either kind (`friend`, `member`), at most `maxEntries`, forgotten on removal. */
export class AuthorizationCache {
  readonly #known = new Set<string>();
  readonly #maxEntries: number;
  // Bumped around each removal: a lookup that overlapped one does not fill the cache.
  #generation = 0;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  /** Answers the pairs it knows and asks `ask` for the others, remembering those found. */
  async lookup(
    kind: "friend" | "member",
    pairs: Pairs,
    ask: (pairs: Pairs) => Promise<Set<string>>,
  ): Promise<Set<string>> {
    const result = new Set<string>();
    const missing = pairs.filter(([a, b]) => {
      const hit = this.#known.has(`${kind}:${a}:${b}`);
      if (hit) result.add(`${a}:${b}`);
      return !hit;
    });
    if (missing.length === 0) return result;
    const started = this.#generation;
    const found = await ask(missing);
    if (started === this.#generation) {
      if (this.#known.size + found.size > this.#maxEntries) this.#known.clear();
      for (const key of found) this.#known.add(`${kind}:${key}`);
    }
    for (const key of found) result.add(key);
    return result;
  }

  /** Runs a removal, forgetting `keys` (`kind:a:b`) before and after it. */
  async removing<T>(keys: string[], remove: () => Promise<T>): Promise<T> {
    this.#generation++;
    for (const key of keys) this.#known.delete(key);
    try {
      return await remove();
    } finally {
      this.#generation++;
      for (const key of keys) this.#known.delete(key);
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

/** A GroupStore that answers `memberPairs()` from the cache; `removeMember()` forgets the pair. */
export class CachedGroupStore implements GroupStore {
  readonly #inner: GroupStore;
  readonly #cache: AuthorizationCache;

  constructor(inner: GroupStore, cache: AuthorizationCache = new AuthorizationCache()) {
    this.#inner = inner;
    this.#cache = cache;
  }

  memberPairs(pairs: Pairs): Promise<Set<string>> {
    return this.#cache.lookup("member", pairs, (missing) => this.#inner.memberPairs(missing));
  }

  removeMember(groupId: string, userId: string): Promise<boolean> {
    return this.#cache.removing(
      [`member:${groupId}:${userId}`],
      () => this.#inner.removeMember(groupId, userId),
    );
  }

  create(row: NewGroup, memberIds: readonly string[]): Promise<GroupRow> {
    return this.#inner.create(row, memberIds);
  }

  get(id: string): Promise<GroupRow | null> {
    return this.#inner.get(id);
  }

  role(groupId: string, userId: string): Promise<GroupRole | null> {
    return this.#inner.role(groupId, userId);
  }

  historyFloor(groupId: string, userId: string): Promise<number | null> {
    return this.#inner.historyFloor(groupId, userId);
  }

  members(groupId: string): Promise<{ userId: string; role: GroupRole }[]> {
    return this.#inner.members(groupId);
  }

  floors(groupId: string): Promise<Map<string, number>> {
    return this.#inner.floors(groupId);
  }

  memberIds(groupId: string): Promise<string[]> {
    return this.#inner.memberIds(groupId);
  }

  addMembers(
    groupId: string,
    userIds: readonly string[],
    maxSize: number,
    joinedAt: number,
  ): Promise<string[]> {
    return this.#inner.addMembers(groupId, userIds, maxSize, joinedAt);
  }

  update(id: string, patch: GroupPatch): Promise<GroupRow> {
    return this.#inner.update(id, patch);
  }

  of(userId: string): Promise<GroupRow[]> {
    return this.#inner.of(userId);
  }

  idsOf(userId: string): Promise<string[]> {
    return this.#inner.idsOf(userId);
  }

  search(query: string, limit: number): Promise<GroupRow[]> {
    return this.#inner.search(query, limit);
  }
}

/** The store with its friend and group ports behind one shared authorization cache. */
export function withAuthorizationCache(store: Store, maxEntries?: number): Store {
  const cache = new AuthorizationCache(maxEntries);
  return {
    accounts: store.accounts,
    friends: new CachedFriendStore(store.friends, cache),
    groups: new CachedGroupStore(store.groups, cache),
    media: store.media,
    messages: store.messages,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
