/**
 * The group port's decorator of the authorization cache (authorization_cache.ts):
 * membership pairs and members' sender states, remembered for the send path.
 */
import type { AuthorizationCache, Pairs } from "./authorization_cache.ts";
import type {
  GroupPatch,
  GroupRole,
  GroupRow,
  GroupStore,
  JoinRequestRow,
  MemberRow,
  NewGroup,
  Removal,
  SenderState,
} from "./mod.ts";

/**
 * A GroupStore that answers `memberPairs()` and `senders()` from the cache.
 * A change of a member's role or mute, or a transfer, forgets the sender
 * states of those members; a removal, disband or change of the group's
 * `muted` forgets the states of the whole group (a leaving owner's heir
 * changes role too); a removal or disband forgets membership pairs. Additions forget nothing: only found pairs are
 * remembered, and an accepted request's user, if a member already, stays as
 * they were.
 */
export class CachedGroupStore implements GroupStore {
  readonly #inner: GroupStore;
  readonly #cache: AuthorizationCache;

  constructor(inner: GroupStore, cache: AuthorizationCache) {
    this.#inner = inner;
    this.#cache = cache;
  }

  memberPairs(pairs: Pairs): Promise<Set<string>> {
    return this.#cache.lookup("member", pairs, (missing) => this.#inner.memberPairs(missing));
  }

  senders(pairs: Pairs): Promise<Map<string, SenderState>> {
    return this.#cache.lookupValues("sender", pairs, (missing) => this.#inner.senders(missing));
  }

  removeMember(groupId: string, userId: string): Promise<Removal> {
    return this.#cache.removing(
      [`member:${groupId}:${userId}`],
      () => this.#inner.removeMember(groupId, userId),
      [`sender:${groupId}:`],
    );
  }

  setRole(groupId: string, userId: string, role: "admin" | "member"): Promise<boolean> {
    return this.#cache.removing(
      [`sender:${groupId}:${userId}`],
      () => this.#inner.setRole(groupId, userId, role),
    );
  }

  setMutedUntil(groupId: string, userId: string, until: number | null): Promise<boolean> {
    return this.#cache.removing(
      [`sender:${groupId}:${userId}`],
      () => this.#inner.setMutedUntil(groupId, userId, until),
    );
  }

  transfer(groupId: string, fromId: string, toId: string): Promise<boolean> {
    return this.#cache.removing(
      [`sender:${groupId}:${fromId}`, `sender:${groupId}:${toId}`],
      () => this.#inner.transfer(groupId, fromId, toId),
    );
  }

  disband(groupId: string): Promise<string[]> {
    return this.#cache.removing(
      [],
      () => this.#inner.disband(groupId),
      [`member:${groupId}:`, `sender:${groupId}:`],
    );
  }

  update(id: string, patch: GroupPatch): Promise<GroupRow> {
    if (patch.muted === undefined) return this.#inner.update(id, patch);
    return this.#cache.removing([], () => this.#inner.update(id, patch), [`sender:${id}:`]);
  }

  decideRequest(
    groupId: string,
    requestId: string,
    accept: boolean,
    maxSize: number,
    at: number,
  ): Promise<JoinRequestRow | null> {
    return this.#inner.decideRequest(groupId, requestId, accept, maxSize, at);
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

  members(groupId: string): Promise<MemberRow[]> {
    return this.#inner.members(groupId);
  }

  member(groupId: string, userId: string): Promise<MemberRow | null> {
    return this.#inner.member(groupId, userId);
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

  addRequest(row: JoinRequestRow): Promise<JoinRequestRow> {
    return this.#inner.addRequest(row);
  }

  requests(groupId: string): Promise<JoinRequestRow[]> {
    return this.#inner.requests(groupId);
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
