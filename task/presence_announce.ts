/**
 * Presence to friends, told only of changes they were not told: an offline
 * waits `graceMs` and is dropped if the user comes back meanwhile, so a
 * reconnect flap tells them nothing at all. What they were told, and the
 * offlines waiting, are shared by every task process (`PresenceNotices`), so
 * any of them may tell an offline another one recorded, and none tells it twice.
 */
import type { Presence } from "../shared/presence/mod.ts";
import type { PresenceNotices } from "../shared/presence_notices/mod.ts";
import type { StatusChange } from "../shared/queue/mod.ts";
import type { BlockStore, FriendStore } from "../shared/store/mod.ts";
import type { Outgoing } from "./deliver.ts";

/** The offlines taken at a time. */
const BATCH = 100;

/** Options of a `PresenceAnnouncer`. */
export interface PresenceAnnouncerOptions {
  notices: PresenceNotices;
  presence: Pick<Presence, "online">;
  store: { friends: Pick<FriendStore, "idsOf">; blocks: Pick<BlockStore, "blockedBy"> };
  /** Pushes items to the connect servers of their recipients. */
  send: (items: Outgoing[]) => Promise<void>;
  /** How long an offline waits before the friends are told; 0: told at once. */
  graceMs: number;
  /**
   * How long an offline handed to this process is its own to tell: one not told
   * by then (the process died) is handed out again.
   */
  leaseMs?: number;
  now?: () => number;
}

/** Tells a user's friends of their presence; see the module doc. */
export class PresenceAnnouncer {
  readonly #options: Required<PresenceAnnouncerOptions>;

  constructor({ leaseMs = 30_000, now = Date.now, ...options }: PresenceAnnouncerOptions) {
    this.#options = { leaseMs, now, ...options };
  }

  /** A change presence agrees with (not stale): online is told now, offline after the grace. */
  async changed({ userId, online, at }: StatusChange): Promise<void> {
    const { notices, graceMs, now } = this.#options;
    if (online) {
      if (!await notices.online(userId)) return;
      try {
        await this.#tell(userId, { online: true });
      } catch (error) {
        // Not told after all: the status change is tried again, and must tell them then.
        await notices.onlineUntold(userId).catch(() => {});
        throw error;
      }
      return;
    }
    await notices.offline(userId, at, now() + graceMs);
    if (graceMs === 0) await this.flush();
  }

  /** Tells the friends of every user whose offline is due and who did not come back. */
  async flush(): Promise<void> {
    const { notices, presence, leaseMs, now } = this.#options;
    for (;;) {
      const due = await notices.takeOffline(now(), BATCH, leaseMs);
      if (due.length === 0) return;
      const back = await presence.online(due.map((d) => d.userId));
      for (const { userId, at, lease } of due) {
        if (back.has(userId)) {
          // Back before their online change was handled: the friends go on believing online.
          await notices.online(userId);
          continue;
        }
        await this.#tell(userId, { online: false, lastSeenAt: at });
        await notices.toldOffline(userId, lease);
      }
      if (due.length < BATCH) return;
    }
  }

  /** Pushes a user's presence to their friends, less those the user blocked (PROTOCOL.md, Blocking). */
  async #tell(userId: string, state: { online: boolean; lastSeenAt?: number }): Promise<void> {
    const { store, send } = this.#options;
    const [friendIds, blocked] = await Promise.all([
      store.friends.idsOf(userId),
      store.blocks.blockedBy(userId).then((ids) => new Set(ids)),
    ]);
    const userIds = friendIds.filter((id) => !blocked.has(id));
    if (userIds.length === 0) return;
    await send([{ userIds, frame: JSON.stringify({ op: "presence", userId, ...state }) }]);
  }
}
