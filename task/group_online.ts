/**
 * Groups' online counts (`group_online`), at most one a group per window
 * (`windowMs`, 1 s) whatever the churn, across every task process: a change
 * with no window open sends the count at once and opens one; changes inside
 * it send one count when it ends (the trailing edge), so the last count sent
 * is the current one.
 *
 * A count is worked out when it is sent, not kept up per change: the members
 * (one store query) and which of them are online (presence). That is O(members)
 * once per group per window, and per status change only one O(log n) call per
 * group of the user to the shared window (`PresenceNotices.groupChanged`). A
 * counter kept per change would cost less for a group of 100,000 members, but
 * drifts with every change counted twice or lost (at-least-once status changes,
 * members added or removed while online, a task process that dies half-way) and
 * would need this recount to repair it anyway.
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
  groups: Pick<GroupStore, "idsOf" | "memberIds">;
  /** Pushes items to the connect servers (group items to every one). */
  send: (items: Outgoing[]) => Promise<void>;
  /** The least time between two counts of one group. */
  windowMs?: number;
  now?: () => number;
}

/** Sends groups' online counts, coalesced per window; see the module doc. */
export class GroupOnline {
  readonly #options: Required<GroupOnlineOptions>;

  constructor({ windowMs = 1000, now = Date.now, ...options }: GroupOnlineOptions) {
    this.#options = { windowMs, now, ...options };
  }

  /** A user came online or went offline: the counts of their groups with no window open go now. */
  async memberChanged(userId: string): Promise<void> {
    const { notices, groups, windowMs, now } = this.#options;
    const groupIds = await groups.idsOf(userId);
    const at = now();
    const ends = await Promise.all(groupIds.map((id) => notices.groupChanged(id, at, windowMs)));
    await this.#send(groupIds.filter((_, i) => ends[i] === 0));
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

  async #send(groupIds: string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const { presence, groups, send } = this.#options;
    const items = await Promise.all(groupIds.map(async (groupId): Promise<Outgoing> => {
      const count = (await presence.online(await groups.memberIds(groupId))).size;
      return { groupId, frame: JSON.stringify({ op: "group_online", groupId, count }) };
    }));
    await send(items);
  }
}
