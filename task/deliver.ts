/** Routing pushes to the connect servers that hold their recipients: one call per server per batch. */
import type { Presence } from "../shared/presence/mod.ts";
import type { ConnectDirectory, PushItem } from "../shared/rpc/connect.ts";

/**
 * A push addressed by user ids, or to a group. A group push goes to every
 * connect server, which fans it out to its own online members (its group nodes
 * know them): no member list or route lookup per message.
 */
export type Outgoing =
  | (PushItem & { userIds: string[] })
  | (PushItem & { groupId: string });

/**
 * Sends each item to every server holding one of its recipients or of the members
 * it adds or removes (group items to every server), in item order. Returns, for each
 * item, the servers that took it.
 */
export async function deliver(
  presence: Presence,
  connects: ConnectDirectory,
  items: readonly Outgoing[],
  onError: (error: unknown, serverId: string) => void,
): Promise<string[][]> {
  const reached: string[][] = items.map(() => []);
  if (items.length === 0) return reached;
  const everyone = new Set<string>();
  for (const item of items) {
    if ("userIds" in item) {
      for (const id of [...item.userIds, ...changed(item)]) everyone.add(id);
    }
  }
  const routes = everyone.size > 0 ? await presence.routes([...everyone]) : new Map();
  if (items.some((item) => "groupId" in item)) {
    for (const serverId of connects.connectServers()) {
      if (!routes.has(serverId)) routes.set(serverId, []);
    }
  }
  const calls: Promise<void>[] = [];
  for (const [serverId, userIds] of routes) {
    const here = new Set(userIds);
    const batch: PushItem[] = [];
    const indexes: number[] = [];
    items.forEach((item, i) => {
      if ("groupId" in item) {
        const { groupId, frame, ack, traceparent } = item;
        batch.push({ groupId, frame, ack, ...(traceparent ? { traceparent } : {}) });
        indexes.push(i);
      } else {
        const local = item.userIds.filter((id) => here.has(id));
        // A membership change goes to every server with a member it adds or removes, so its
        // group nodes change even where none of the item's recipients is.
        if (local.length > 0 || changed(item).some((id) => here.has(id))) {
          batch.push({ ...item, userIds: local });
          indexes.push(i);
        }
      }
    });
    const service = connects.connect(serverId);
    if (!service || batch.length === 0) continue;
    calls.push(
      service.push(batch).then(
        () => indexes.forEach((i) => reached[i].push(serverId)),
        (error) => onError(error, serverId),
      ),
    );
  }
  await Promise.all(calls);
  return reached;
}

/** The users whose group nodes an item changes. */
function changed(item: Outgoing): string[] {
  if (!("membership" in item) || !item.membership) return [];
  return [...item.membership.added, ...item.membership.removed];
}

/** The delays before each new try of a kick a connect server failed to take. */
export const KICK_RETRY_MS: readonly number[] = [250, 1000, 4000];

/**
 * Kicks token hashes (signed-out, disabled or deleted sessions) on every connect
 * server. A server that fails the kick is tried again in the background after
 * each delay of `retryMs`, so a socket whose session ended while its server was
 * unreachable for a moment is still closed; the batch waits for the first try
 * only. A kick is idempotent (a socket closed is closed), so a try that did
 * reach the server before failing costs nothing. A server gone from the
 * registry is not tried again: its sockets went with it.
 */
export class Kicker {
  readonly #connects: ConnectDirectory;
  readonly #onError: (error: unknown, context: string) => void;
  readonly #retryMs: readonly number[];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(
    connects: ConnectDirectory,
    onError: (error: unknown, context: string) => void,
    retryMs: readonly number[] = KICK_RETRY_MS,
  ) {
    this.#connects = connects;
    this.#onError = onError;
    this.#retryMs = retryMs;
  }

  /** Kicks on every server; resolves after the first try (retries go on in the background). */
  async kick(tokenHashes: string[]): Promise<void> {
    if (tokenHashes.length === 0) return;
    await Promise.all(
      this.#connects.connectServers().map((serverId) => this.#try(serverId, tokenHashes, 0)),
    );
  }

  /** Kicks pending a retry (their timers). */
  get retrying(): number {
    return this.#timers.size;
  }

  /** Drops the retries not made yet. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #try(serverId: string, tokenHashes: string[], attempt: number): Promise<void> {
    const service = this.#connects.connect(serverId);
    if (!service || this.#closed) return;
    try {
      await service.kick(tokenHashes);
    } catch (error) {
      const tries = this.#retryMs.length + 1;
      this.#onError(error, `kick to ${serverId} (try ${attempt + 1} of ${tries})`);
      if (this.#closed || attempt >= this.#retryMs.length) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void this.#try(serverId, tokenHashes, attempt + 1);
      }, this.#retryMs[attempt]);
      Deno.unrefTimer(timer);
      this.#timers.add(timer);
    }
  }
}
