/** Presence notices in this process's memory, for the embedded mode. */
import { type DueOffline, IN_FLIGHT_WINDOWS, type PresenceNotices } from "./mod.ts";

/** In-memory presence notices; see `mod.ts` for the contract. */
export class MemoryPresenceNotices implements PresenceNotices {
  /** Users whose friends were told they are online. */
  readonly #told = new Set<string>();
  /** Offlines waiting: user → when they went offline, when their friends are due to hear it. */
  readonly #offline = new Map<string, { at: number; due: number }>();
  /** Groups with a window open: group → when it ends. */
  readonly #windows = new Map<string, number>();
  /** Groups with a change inside their window: group → when it ends. */
  readonly #due = new Map<string, number>();
  /** Users changed in each group since its last count. */
  readonly #changed = new Map<string, Set<string>>();
  /** Each group's online members as counted, and until when the count is kept. */
  readonly #counts = new Map<string, { online: Set<string>; until: number }>();

  online(userId: string): Promise<boolean> {
    this.#offline.delete(userId);
    if (this.#told.has(userId)) return Promise.resolve(false);
    this.#told.add(userId);
    return Promise.resolve(true);
  }

  offline(userId: string, at: number, due: number): Promise<void> {
    this.#offline.set(userId, { at, due });
    return Promise.resolve();
  }

  takeOffline(now: number, limit: number, leaseMs: number): Promise<DueOffline[]> {
    const due = [...this.#offline].filter(([, waiting]) => waiting.due <= now)
      .sort(([, a], [, b]) => a.due - b.due)
      .slice(0, limit);
    const lease = now + leaseMs;
    return Promise.resolve(due.map(([userId, { at }]) => {
      this.#told.delete(userId);
      this.#offline.set(userId, { at, due: lease });
      return { userId, at, lease };
    }));
  }

  onlineUntold(userId: string): Promise<void> {
    this.#told.delete(userId);
    return Promise.resolve();
  }

  toldOffline(userId: string, lease: number): Promise<void> {
    if (this.#offline.get(userId)?.due === lease) this.#offline.delete(userId);
    return Promise.resolve();
  }

  groupChanged(
    groupId: string,
    userIds: readonly string[],
    now: number,
    windowMs: number,
  ): Promise<number> {
    this.#mark(groupId, userIds);
    const end = this.#windows.get(groupId);
    if (end === undefined || end <= now) {
      // Open until the count is sent (`groupSent`); a count due from the last window goes now.
      this.#windows.set(groupId, now + windowMs * IN_FLIGHT_WINDOWS);
      this.#due.delete(groupId);
      return Promise.resolve(0);
    }
    if (!this.#due.has(groupId)) this.#due.set(groupId, end);
    return Promise.resolve(end);
  }

  groupSent(groupId: string, now: number, windowMs: number): Promise<void> {
    const end = now + windowMs;
    this.#windows.set(groupId, end);
    if (this.#due.has(groupId)) this.#due.set(groupId, end);
    return Promise.resolve();
  }

  takeGroups(now: number, windowMs: number, limit: number): Promise<string[]> {
    // Windows that ended are as good as none, and counts no longer kept: forget them.
    for (const [groupId, end] of this.#windows) {
      if (end <= now && !this.#due.has(groupId)) this.#windows.delete(groupId);
    }
    for (const [groupId, { until }] of this.#counts) {
      if (until <= now) this.#counts.delete(groupId);
    }
    const taken = [...this.#due].filter(([, due]) => due <= now)
      .sort(([, a], [, b]) => a - b)
      .slice(0, limit)
      .map(([groupId]) => groupId);
    for (const groupId of taken) {
      this.#due.delete(groupId);
      this.#windows.set(groupId, now + windowMs * IN_FLIGHT_WINDOWS);
    }
    return Promise.resolve(taken);
  }

  markChanged(groupId: string, userIds: readonly string[]): Promise<void> {
    this.#mark(groupId, userIds);
    return Promise.resolve();
  }

  #mark(groupId: string, userIds: readonly string[]): void {
    let changed = this.#changed.get(groupId);
    if (!changed) this.#changed.set(groupId, changed = new Set());
    for (const userId of userIds) changed.add(userId);
  }

  takeChanged(groupId: string): Promise<string[]> {
    const changed = this.#changed.get(groupId);
    this.#changed.delete(groupId);
    return Promise.resolve([...changed ?? []]);
  }

  updateCount(
    groupId: string,
    online: readonly string[],
    offline: readonly string[],
    now: number,
  ): Promise<number | null> {
    const kept = this.#counts.get(groupId);
    if (!kept || kept.until <= now) {
      this.#counts.delete(groupId);
      return Promise.resolve(null);
    }
    for (const userId of online) kept.online.add(userId);
    for (const userId of offline) kept.online.delete(userId);
    return Promise.resolve(kept.online.size);
  }

  resetCount(
    groupId: string,
    online: readonly string[],
    now: number,
    ttlMs: number,
  ): Promise<void> {
    this.#counts.set(groupId, { online: new Set(online), until: now + ttlMs });
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#changed.clear();
    this.#counts.clear();
    this.#told.clear();
    this.#offline.clear();
    this.#windows.clear();
    this.#due.clear();
    return Promise.resolve();
  }
}
