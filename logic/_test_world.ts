/**
 * A world for tests of messages (version 2) on a real store: users, friends and
 * groups made in the store directly, a log that stores what logic appends as
 * task would, and a fake clock for windows and receipts.
 */
import type { Limits, Rates } from "../shared/config.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { MemoryRateLimiter } from "../shared/limiter/memory.ts";
import { AppError } from "../shared/errors.ts";
import type { LogRecord, MessageLog } from "../shared/message_log/mod.ts";
import type { MediaRow, MessageStore, Store } from "../shared/store/mod.ts";
import type { AcceptedMessage, GroupHistory, Message } from "../shared/types.ts";
import { LIMITS, testIds, testLogic } from "./_test_logic.ts";
import type { Logic, Timers } from "./mod.ts";

/** A clock whose time and timers move only when told. */
export class FakeClock implements Timers {
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  constructor(public now: number) {}

  setTimeout(callback: () => void, ms: number): number {
    this.#timers.set(this.#nextId, { at: this.now + ms, callback });
    return this.#nextId++;
  }

  clearTimeout(id: unknown): void {
    this.#timers.delete(id as number);
  }

  /** How many timers wait. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves the clock `ms` on, running every timer that falls due on the way, in
   * time order, each followed by what it started (promises settle in between).
   */
  async tick(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const [id, next] = [...this.#timers].sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
      if (id === undefined || next.at > until) break;
      this.#timers.delete(id);
      this.now = next.at;
      next.callback();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.now = until;
  }
}

/** A log that saves the messages it is given, in order (as task does), and keeps every record. */
export class StoringLog implements MessageLog {
  readonly records: LogRecord[] = [];
  /** Appends to refuse (`unavailable`) before taking them again. */
  failures = 0;
  /** When above 0, the messages are stored this long after the append answers, as task lags. */
  storeLagMs = 0;
  constructor(readonly messages: MessageStore) {}

  async append(records: LogRecord[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new AppError("unavailable", "The log is down");
    }
    // Kept at once, so a record appended by a timer is seen as soon as the timer ran.
    this.records.push(...records);
    const messages = records.flatMap((r) => r.type === "message" ? [r.message] : []);
    if (this.storeLagMs === 0) return void await this.messages.save(messages);
    setTimeout(() => this.messages.save(messages), this.storeLagMs);
  }

  /** The messages appended, in order. */
  get appended(): AcceptedMessage[] {
    return this.records.flatMap((r) => r.type === "message" ? [r.message] : []);
  }

  consume(): void {}
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let nextId = 7_000_000;
/** A fresh snowflake-shaped id. */
export function freshId(): string {
  return String(nextId++);
}

let nextMedia = 0;

/**
 * A world on `store`; dispose it (`await using`) to close its logic, dedupe and
 * limiter. No abuse limit applies unless `rates` gives them (on the fake clock).
 */
export function world(
  store: Store,
  { limits = {}, rates }: { limits?: Partial<Limits>; rates?: Rates } = {},
) {
  const clock = new FakeClock(Date.now());
  const log = new StoringLog(store.messages);
  const dedupe = new MemoryDedupe({ now: () => clock.now });
  const limiter = new MemoryRateLimiter({ now: () => clock.now });
  const ports = {
    accounts: store.accounts,
    blocks: store.blocks,
    friends: store.friends,
    groups: store.groups,
    media: store.media,
    messages: store.messages,
    ping: () => store.ping(),
  };
  const options = {
    store: ports,
    log,
    dedupe,
    limiter,
    now: () => clock.now,
    timers: clock,
    limits: { ...LIMITS, ...limits },
    rates,
  };
  const logics: Logic[] = [];
  const open = (workerId: number) => {
    const logic = testLogic({ ...options, ids: testIds(workerId) });
    logics.push(logic);
    return logic;
  };
  let clientMsgId = 0;

  return {
    logic: open(1),
    /** A second logic instance on the same ports, as in a cluster. */
    twin: () => open(2),
    log,
    clock,
    dedupe,
    limiter,
    store,

    async user(): Promise<string> {
      const id = freshId();
      await store.accounts.createUser({
        id,
        username: `u${id}`,
        passwordHash: "x",
        nickname: id,
        createdAt: clock.now,
      });
      return id;
    },

    async friends(a: string, b: string): Promise<void> {
      await store.friends.add(a, b, clock.now);
    },

    /** A group of `ownerId` and `memberIds`, of whom `adminIds` are admins. */
    async group(
      ownerId: string,
      memberIds: string[],
      { history = "since_join", adminIds = [] }: { history?: GroupHistory; adminIds?: string[] } =
        {},
    ): Promise<string> {
      const id = freshId();
      await store.groups.create(
        { id, name: `g${id}`, avatarMediaId: null, ownerId, createdAt: clock.now, history },
        [ownerId, ...memberIds],
      );
      for (const adminId of adminIds) await store.groups.setRole(id, adminId, "admin");
      return id;
    },

    /** Adds members now: under since_join they read from the conversation's current last seq. */
    async join(groupId: string, userIds: string[]): Promise<void> {
      await store.groups.addMembers(groupId, userIds, 1000, clock.now);
    },

    /** Sends `content` from `from` to a user or group; the new message as stored. */
    async say(
      from: string,
      to: { user: string } | { group: string },
      content: Record<string, unknown> | string,
    ): Promise<Message> {
      const body = typeof content === "string" ? { type: "text", text: content } : content;
      const target = "user" in to ? { type: "user", id: to.user } : { type: "group", id: to.group };
      const sent = await this.logic.send(from, {
        to: target,
        clientMsgId: `m${clientMsgId++}`,
        content: body,
      });
      const [message] = await store.messages.get(sent.conversationId, [sent.id]);
      return message;
    },

    /** A stored upload of `ownerId`: an image, or a file when `name` is given. */
    async media(ownerId: string, name?: string): Promise<MediaRow> {
      const n = nextMedia++;
      const row: MediaRow = {
        id: `media${String(n).padStart(19, "0")}`,
        contentType: name === undefined ? "image/png" : "application/octet-stream",
        size: 10 + n,
        width: name === undefined ? 4 : null,
        height: name === undefined ? 3 : null,
        ...(name === undefined ? {} : { name }),
        sha256: `sha${n}`,
        ownerId,
        createdAt: clock.now,
      };
      await store.media.put(row, new Uint8Array([n % 256]));
      return row;
    },

    async [Symbol.asyncDispose]() {
      for (const logic of logics) logic.close();
      await Promise.all([dedupe.close(), limiter.close()]);
    },
  };
}
