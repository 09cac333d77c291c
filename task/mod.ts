/**
 * The task layer: consumes the message log, stores messages with their seqs,
 * then pushes messages and events to connect servers; consumes status changes
 * and pushes presence (`presence_announce.ts`) and group online counts
 * (`group_online.ts`), both sparingly.
 */
import { logger } from "../shared/log.ts";
import type { LogRecord, MessageLog } from "../shared/message_log/mod.ts";
import {
  acceptToStoreSeconds,
  secondsSince,
  storeBatchSeconds,
  storeBatchSize,
  storeToPushSeconds,
} from "../shared/metrics.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { PresenceNotices } from "../shared/presence_notices/mod.ts";
import type { StatusChange, StatusQueue } from "../shared/queue/mod.ts";
import type { ConnectDirectory } from "../shared/rpc/connect.ts";
import type {
  AccountStore,
  BlockStore,
  FriendStore,
  GroupStore,
  MessageStore,
} from "../shared/store/mod.ts";
import { snowflakeTime } from "../shared/snowflake.ts";
import { type Span, startSpan } from "../shared/trace.ts";
import type { Message } from "../shared/types.ts";
import { deliver, KICK_RETRY_MS, Kicker, type Outgoing } from "./deliver.ts";
import { GroupOnline } from "./group_online.ts";
import { groupPushItems, referencedSeqs } from "./group_push.ts";
import { PresenceAnnouncer } from "./presence_announce.ts";
import { type SearchIndexer, startSearchIndexer } from "./search_indexer.ts";
import { routeSweep } from "./sweep.ts";

/** Task's own lines (`log` is the message log). */
const taskLog = logger("task");

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
  /** What friends were told and the groups' count windows, shared by every task process. */
  notices: PresenceNotices;
  /**
   * How long an offline waits before friends are told (`IM_PRESENCE_GRACE_MS`); a user
   * back within it was never gone for them. 0: told at once.
   */
  presenceGraceMs?: number;
  /** The least time between two online counts of one group (trailing edge: the last is current). */
  groupOnlineWindowMs?: number;
  /** How often to look for offlines and group counts that came due (in any task process). */
  noticePollMs?: number;
  connects: ConnectDirectory;
  /**
   * How often to look for routes of connect servers that are not registered
   * (they died while no task watched them); 0: never. A server absent from the
   * registry in two sweeps in a row has its routes dropped and its users go offline.
   */
  sweepMs?: number;
  /**
   * Whether to keep the message search index up to date in the background
   * (`search_indexer.ts`): every task process does, and the embedded mode; tests
   * of task alone do not.
   */
  searchIndexer?: boolean;
  /**
   * The delays before each new try of a kick a connect server failed to take
   * (default KICK_RETRY_MS): in the background, the batch does not wait.
   */
  kickRetryMs?: readonly number[];
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
    notices,
    presenceGraceMs = 3000,
    groupOnlineWindowMs = 1000,
    noticePollMs = 100,
    connects,
    sweepMs = 0,
    searchIndexer = false,
    kickRetryMs = KICK_RETRY_MS,
    onError = logError,
  }: TaskOptions,
): Task {
  const pushFailed = (error: unknown, serverId: string) => onError(error, `push to ${serverId}`);
  const kicker = new Kicker(connects, onError, kickRetryMs);
  const send = async (items: Outgoing[]) =>
    void await deliver(presence, connects, items, pushFailed);
  const announcer = new PresenceAnnouncer({
    notices,
    presence,
    store,
    send,
    graceMs: presenceGraceMs,
  });
  const groupOnline = new GroupOnline({
    notices,
    presence,
    groups: store.groups,
    send,
    windowMs: groupOnlineWindowMs,
  });

  async function handleBatch(batch: LogRecord[]): Promise<void> {
    const accepted = batch.flatMap((r) => (r.type === "message" ? [r.message] : []));
    const stored = new Map<string, Message>();
    const saving = performance.now();
    for (const message of await store.messages.save(accepted)) stored.set(message.id, message);
    const storedAt = Date.now();
    if (accepted.length > 0) {
      storeBatchSize.observe(accepted.length);
      storeBatchSeconds.observe(secondsSince(saving));
    }
    // Each message's `store` span, a child of its send's trace: its push items carry it on.
    const spans = new Map<string, Span>();
    const debug = taskLog.enabled("debug");
    for (const record of batch) {
      if (record.type !== "message") continue;
      const message = stored.get(record.message.id);
      if (!message || spans.has(message.id)) continue;
      const span = startSpan("store", { parent: record.trace ?? null, kind: "consumer" });
      spans.set(message.id, span);
      // Since its id was minted, when logic accepted it.
      acceptToStoreSeconds.observe(Math.max(0, storedAt - snowflakeTime(message.id)) / 1000);
      if (debug) {
        taskLog.debug("message stored", {
          traceId: span.traceId,
          messageId: message.id,
          conversationId: message.conversationId,
          seq: message.seq,
        });
      }
    }

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
    /** The message of each item that pushes one, by item index. */
    const messageOf: (string | undefined)[] = [];
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
        const first = items.length;
        const traceparent = spans.get(message.id)!.traceparent;
        if (message.to.type === "group") {
          for (const item of groupPushItems(message, floors.get(message.to.id))) {
            items.push({ ...item, traceparent });
          }
          // The group as it was has the message (a removed member sees their "removed" line);
          // then connect changes its group nodes and the added members get it too.
          const { membership } = record;
          if (membership) {
            const frame = JSON.stringify({ op: "message", message });
            const ack = { conversationId: message.conversationId, seq: message.seq };
            items.push({ userIds: membership.added, frame, ack, membership, traceparent });
          }
        } else {
          const frame = JSON.stringify({ op: "message", message });
          const ack = { conversationId: message.conversationId, seq: message.seq };
          items.push({ userIds: [message.from, message.to.id], frame, ack, traceparent });
        }
        for (let i = first; i < items.length; i++) messageOf[i] = message.id;
      }
    }
    const reached = await deliver(presence, connects, items, pushFailed);
    // Members who joined or left change their groups' kept online counts.
    const memberships = batch.flatMap((r) =>
      r.type !== "kick" && "membership" in r && r.membership ? [r.membership] : []
    );
    await groupOnline.membershipChanged(
      memberships.map(({ groupId, added, removed }) => ({
        groupId,
        userIds: [...added, ...removed],
      })),
    ).catch((error) => onError(error, "group online counts"));
    // Each message's push is handed over: the servers it reached, the time since it was stored.
    const servers = new Map<string, Set<string>>();
    reached.forEach((serverIds, i) => {
      const messageId = messageOf[i];
      if (messageId === undefined) return;
      let set = servers.get(messageId);
      if (!set) servers.set(messageId, set = new Set());
      for (const serverId of serverIds) set.add(serverId);
    });
    const pushedAt = Date.now();
    for (const [messageId, span] of spans) {
      storeToPushSeconds.observe((pushedAt - storedAt) / 1000);
      if (debug) {
        taskLog.debug("message pushed", {
          traceId: span.traceId,
          messageId,
          conversationId: stored.get(messageId)!.conversationId,
          servers: servers.get(messageId)?.size ?? 0,
        });
      }
      span.end();
    }
    await kicker.kick(kicks);
  }

  async function handleStatus(change: StatusChange): Promise<void> {
    // When the last connection closed, even if another opened since (kept only if later).
    if (!change.online) await store.accounts.recordLastSeen(change.userId, change.at);
    const online = (await presence.online([change.userId])).has(change.userId);
    if (online !== change.online) return; // Stale: a later change will tell the current state.
    // Neither waits for a grace or a window: what is due later goes out from `flushNotices()`.
    await announcer.changed(change);
    await groupOnline.memberChanged(change.userId);
  }

  // Offlines whose grace ended and groups whose window ended, whichever task process recorded them.
  let flushing: Promise<void> | null = null;
  const flushNotices = async () => {
    await announcer.flush().catch((error) => onError(error, "presence announcements"));
    await groupOnline.flush().catch((error) => onError(error, "group online counts"));
  };
  const noticePoller = setInterval(() => {
    flushing ??= flushNotices().finally(() => flushing = null);
  }, noticePollMs);

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
  const indexer: SearchIndexer | null = searchIndexer
    ? startSearchIndexer({
      messages: store.messages,
      onError: (error) => onError(error, "search index batch"),
    })
    : null;

  return {
    async close() {
      kicker.close();
      clearInterval(noticePoller);
      await flushing;
      await indexer?.close();
      clearInterval(sweeper);
      await log.close();
      await statusQueue.close();
    },
  };
}

function logError(error: unknown, context: string): void {
  taskLog.error(`${context} failed`, { error });
}
