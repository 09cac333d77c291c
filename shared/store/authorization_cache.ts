/**
 * A store that remembers the friendships and group memberships it has found,
 * so the send path's authorization does not ask the engine for each batch.
 *
 * It is exact only when every removal goes through the same object, as in the
 * embedded mode (one logic, one store). Logic instances of a cluster share the
 * database but not this memory, so they must not use it.
 */
import type { Store } from "./mod.ts";

type Pairs = readonly (readonly [string, string])[];

/** Wraps a store; every method but the four below goes straight through. */
export function withAuthorizationCache(store: Store, maxEntries = 200_000): Store {
  const known = new Set<string>();
  // Bumped around each removal: a lookup that overlapped one does not fill the cache.
  let generation = 0;

  async function lookup(
    kind: "friend" | "member",
    pairs: Pairs,
    ask: (pairs: Pairs) => Promise<Set<string>>,
  ): Promise<Set<string>> {
    const result = new Set<string>();
    const missing = pairs.filter(([a, b]) => {
      const hit = known.has(`${kind}:${a}:${b}`);
      if (hit) result.add(`${a}:${b}`);
      return !hit;
    });
    if (missing.length === 0) return result;
    const started = generation;
    const found = await ask(missing);
    if (started === generation) {
      if (known.size + found.size > maxEntries) known.clear();
      for (const key of found) known.add(`${kind}:${key}`);
    }
    for (const key of found) result.add(key);
    return result;
  }

  async function removing<T>(keys: string[], remove: () => Promise<T>): Promise<T> {
    generation++;
    for (const key of keys) known.delete(key);
    try {
      return await remove();
    } finally {
      generation++;
      for (const key of keys) known.delete(key);
    }
  }

  const overrides: Partial<Store> = {
    friendPairs: (pairs) => lookup("friend", pairs, (p) => store.friendPairs(p)),
    memberPairs: (pairs) => lookup("member", pairs, (p) => store.memberPairs(p)),
    removeFriendship: (a, b) =>
      removing([`friend:${a}:${b}`, `friend:${b}:${a}`], () => store.removeFriendship(a, b)),
    removeGroupMember: (groupId, userId) =>
      removing([`member:${groupId}:${userId}`], () => store.removeGroupMember(groupId, userId)),
  };
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
