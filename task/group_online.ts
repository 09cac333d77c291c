/**
 * Groups' online counts (`group_online`), at most one a group per window
 * (`windowMs`, 1 s) whatever the churn, across every task process: a change
 * with no window open sends the count at once and opens one; changes inside
 * it send one count when it ends (the trailing edge), so the last count sent
 * is the current one.
 *
 * The count is kept (`PresenceNotices`: the group's online members as last
 * counted), and changed at each count by the users who came, went, joined or
 * left since the one before: their presence and membership are read again, so
 * a change handled twice or out of order does no harm. Per status change that
 * is one or two O(log n) calls per group of the user; per count sent, O(users
 * changed). Every `recountMs` (and when none is kept) a group is counted
 * afresh from its members, O(members): a change lost with a task process that
 * died half-way is right again by then. Counting every member at each count
 * was measured at 0.4–0.9 s of the embedded server for a group of 100,000
 * (the store's member list), once a second for a group in churn.
 *
 * The count goes out as one group push item: each connect server fans it out to
 * its own online members, so no route is looked up per member.
 */
import type { Presence } from "../shared/presence/mod.ts";
import type { PresenceNotices } from "../shared/presence_notices/mod.ts";
import type { GroupStore } from "../shared/store/mod.ts";
import type { Outgoing } from "./deliver.ts";

/** The groups taken at a time. */
const BATCH = 100;

/** Options of `GroupOnline`. */
export interface GroupOnlineOptions {
  notices: PresenceNotices;
  presence: Pick<Presence, "online">;
  groups: Pick<GroupStore, "idsOf" | "memberIds" | "member">;
  /** Pushes items to the connect servers (group items to every one). */
  send: (items: Outgoing[]) => Promise<void>;
  /** The least time between two counts of one group. */
  windowMs?: number;
  /** How long a kept count is trusted before the group is counted afresh from its members. */
  recountMs?: number;
  now?: () => number;
}

/** Sends groups' online counts, coalesced per window; see the module doc. */
export class GroupOnline {
  readonly #options: Required<GroupOnlineOptions>;

  constructor(
    { windowMs = 1000, recountMs = 600_000, now = Date.now, ...options }: GroupOnlineOptions,
  ) {
    this.#options = { windowMs, recountMs, now, ...options };
  }

  /** A user came online or went offline: the counts of their groups with no window open go now. */
  async memberChanged(userId: string): Promise<void> {
    const groupIds = await this.#options.groups.idsOf(userId);
    await this.#changed(groupIds.map((groupId) => ({ groupId, userIds: [userId] })));
  }

  /**
   * Users joined or left a group (the membership of a log record): read again at its next
   * count. Logic tells the members the count of such a change itself.
   */
  async membershipChanged(
    changes: readonly { groupId: string; userIds: string[] }[],
  ): Promise<void> {
    await Promise.all(
      changes.map(({ groupId, userIds }) => this.#options.notices.markChanged(groupId, userIds)),
    );
  }

  /** Sends the counts of the groups whose window ended with a change in it. */
  async flush(): Promise<void> {
    const { notices, windowMs, now } = this.#options;
    for (;;) {
      const due = await notices.takeGroups(now(), windowMs, BATCH);
      await this.#send(due);
      if (due.length < BATCH) return;
    }
  }

  async #changed(changes: readonly { groupId: string; userIds: string[] }[]): Promise<void> {
    const { notices, windowMs, now } = this.#options;
    const at = now();
    const ends = await Promise.all(
      changes.map(({ groupId, userIds }) => notices.groupChanged(groupId, userIds, at, windowMs)),
    );
    await this.#send(changes.filter((_, i) => ends[i] === 0).map((c) => c.groupId));
  }

  async #send(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const { notices, send, windowMs, now } = this.#options;
    const items = await Promise.all(groupIds.map(async (groupId): Promise<Outgoing> => {
      const count = await this.#count(groupId);
      return { groupId, frame: JSON.stringify({ op: "group_online", groupId, count }) };
    }));
    await send(items);
    // The window began when the count was asked for; the next count is a window after this one.
    const sent = now();
    await Promise.all(groupIds.map((groupId) => notices.groupSent(groupId, sent, windowMs)));
  }

  /** The group's online members now: the kept count changed by who changed, or counted afresh. */
  async #count(groupId: string): Promise<number> {
    const { notices, presence, groups, recountMs, now } = this.#options;
    const changed = await notices.takeChanged(groupId);
    const online = await presence.online(changed);
    const members = await Promise.all(
      changed.map(async (userId) =>
        online.has(userId) && (await groups.member(groupId, userId)) !== null
      ),
    );
    const kept = await notices.updateCount(
      groupId,
      changed.filter((_, i) => members[i]),
      changed.filter((_, i) => !members[i]),
      now(),
    );
    if (kept !== null) return kept;
    const everyone = [...await presence.online(await groups.memberIds(groupId))];
    await notices.resetCount(groupId, everyone, now(), recountMs);
    return everyone.length;
  }
}
