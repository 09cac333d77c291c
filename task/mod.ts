/**
 * The task layer: consumes the message log, stores messages with their seqs,
 * then pushes messages and events to connect servers; consumes status changes
 * and pushes presence and group online counts.
 */
import type { LogRecord, MessageLog } from "../shared/message_log/mod.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusChange, StatusQueue } from "../shared/queue/mod.ts";
import type { ConnectDirectory } from "../shared/rpc/connect.ts";
import type {
  AccountStore,
  BlockStore,
  FriendStore,
  GroupStore,
  MessageStore,
} from "../shared/store/mod.ts";
import type { Message } from "../shared/types.ts";
import { deliver, type Outgoing } from "./deliver.ts";
import { groupPushItems, referencedSeqs } from "./group_push.ts";
import { type SearchBacklog, startSearchBacklog } from "./search_backlog.ts";
import { routeSweep } from "./sweep.ts";

/** Options of `createTask()`. */
export interface TaskOptions {
  log: MessageLog;
  statusQueue: StatusQueue;
  /**
   * Messages to save; friends and groups to tell of a user's status, less those
   * the user blocked; when each was last seen.
   */
  store: {
    messages: MessageStore;
    friends: FriendStore;
    blocks: Pick<BlockStore, "blockedBy">;
    groups: GroupStore;
    accounts: Pick<AccountStore, "recordLastSeen">;
  };
  presence: Presence;
  connects: ConnectDirectory;
  /**
   * How often to look for routes of connect servers that are not registered
   * (they died while no task watched them); 0: never. A server absent from the
   * registry in two sweeps in a row has its routes dropped and its users go offline.
   */
  sweepMs?: number;
  /**
   * Whether to index the messages stored before the search index, in the
   * background (`search_backlog.ts`): every task process does, and the embedded
   * mode; tests of task alone do not.
   */
  searchBacklog?: boolean;
  onError?: (error: unknown, context: string) => void;
}

/** A running task layer. */
export interface Task {
  close(): Promise<void>;
}

/** Starts consuming the log and the status queue. */
export function createTask(
  {
    log,
    statusQueue,
    store,
    presence,
    connects,
    sweepMs = 0,
    searchBacklog = false,
    onError = logError,
  }: TaskOptions,
): Task {
  const pushFailed = (error: unknown, serverId: string) => onError(error, `push to ${serverId}`);

  async function handleBatch(batch: LogRecord[]): Promise<void> {
    const accepted = batch.flatMap((r) => (r.type === "message" ? [r.message] : []));
    const stored = new Map<string, Message>();
    for (const message of await store.messages.save(accepted)) stored.set(message.id, message);

    // Floors of the groups whose messages refer to earlier ones: one query per group per batch.
    const referring = new Set(
      [...stored.values()].flatMap((m) =>
        m.to.type === "group" && referencedSeqs(m).length > 0 ? [m.to.id] : []
      ),
    );
    const floors = new Map(
      await Promise.all(
        [...referring].map(async (groupId) =>
          [groupId, await store.groups.floors(groupId)] as const
        ),
      ),
    );

    const items: Outgoing[] = [];
    const kicks: string[] = [];
    for (const record of batch) {
      if (record.type === "kick") {
        kicks.push(...record.tokenHashes);
      } else if (record.type === "group_event") {
        items.push({ groupId: record.groupId, frame: JSON.stringify(record.frame) });
      } else if (record.type === "event") {
        items.push({
          userIds: record.userIds,
          frame: JSON.stringify(record.frame),
          membership: record.membership,
        });
      } else {
        const message = stored.get(record.message.id);
        if (!message) continue;
        if (message.to.type === "group") {
          items.push(...groupPushItems(message, floors.get(message.to.id)));
          // The group as it was has the message (a removed member sees their "removed" line);
          // then connect changes its group nodes and the added members get it too.
          const { membership } = record;
          if (membership) {
            const frame = JSON.stringify({ op: "message", message });
            const ack = { conversationId: message.conversationId, seq: message.seq };
            items.push({ userIds: membership.added, frame, ack, membership });
          }
        } else {
          const frame = JSON.stringify({ op: "message", message });
          const ack = { conversationId: message.conversationId, seq: message.seq };
          items.push({ userIds: [message.from, message.to.id], frame, ack });
        }
      }
    }
    await deliver(presence, connects, items, pushFailed);
    if (kicks.length > 0) {
      await Promise.all(
        connects.connectServers().map((serverId) =>
          connects.connect(serverId)?.kick(kicks).catch((error) => pushFailed(error, serverId))
        ),
      );
    }
  }

  async function handleStatus(change: StatusChange): Promise<void> {
    // When the last connection closed, even if another opened since (kept only if later).
    if (!change.online) await store.accounts.recordLastSeen(change.userId, change.at);
    const online = (await presence.online([change.userId])).has(change.userId);
    if (online !== change.online) return; // Stale: a later change will tell the current state.
    const items: Outgoing[] = [];
    // Friends the user blocked do not see their presence (PROTOCOL.md, Blocking).
    const [friendIds, blocked] = await Promise.all([
      store.friends.idsOf(change.userId),
      store.blocks.blockedBy(change.userId).then((ids) => new Set(ids)),
    ]);
    const lastSeen = online ? {} : { lastSeenAt: change.at };
    items.push({
      userIds: friendIds.filter((id) => !blocked.has(id)),
      frame: JSON.stringify({ op: "presence", userId: change.userId, online, ...lastSeen }),
    });
    for (const groupId of await store.groups.idsOf(change.userId)) {
      const onlineMembers = [...await presence.online(await store.groups.memberIds(groupId))];
      items.push({
        userIds: onlineMembers,
        frame: JSON.stringify({ op: "group_online", groupId, count: onlineMembers.length }),
      });
    }
    await deliver(presence, connects, items, pushFailed);
  }

  // Batches of several partitions that arrive while one is being handled are
  // handled together: one store transaction and one push per connect server for
  // all of them. Partitions hold different conversations, so order is kept.
  let queued: { batch: LogRecord[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let handling = false;

  async function handleQueued(): Promise<void> {
    handling = true;
    while (queued.length > 0) {
      const group = queued;
      queued = [];
      const records = group.flatMap((g) => g.batch);
      try {
        await handleBatch(records);
        for (const g of group) g.resolve();
      } catch (error) {
        onError(error, `log batch of ${records.length}`);
        for (const g of group) g.reject(error);
      }
    }
    handling = false;
  }

  const sweep = routeSweep({ presence, statusQueue, connects });
  const sweeper = sweepMs > 0
    ? setInterval(() => void sweep().catch((error) => onError(error, "route sweep")), sweepMs)
    : undefined;
  if (sweeper !== undefined) void sweep().catch((error) => onError(error, "route sweep"));

  log.consume((batch) =>
    new Promise<void>((resolve, reject) => {
      queued.push({ batch, resolve, reject });
      if (!handling) void handleQueued();
    })
  );
  statusQueue.consume(handleStatus);
  const backlog: SearchBacklog | null = searchBacklog
    ? startSearchBacklog({
      messages: store.messages,
      onError: (error) => onError(error, "search backlog batch"),
    })
    : null;

  return {
    async close() {
      await backlog?.close();
      clearInterval(sweeper);
      await log.close();
      await statusQueue.close();
    },
  };
}

function logError(error: unknown, context: string): void {
  console.error(`task: ${context} failed:`, error);
}
