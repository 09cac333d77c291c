/** What every part of logic shares: its ports, limits and helpers that publish events. */
import type { Dedupe } from "../shared/dedupe/mod.ts";
import type { Limits } from "../shared/config.ts";
import type { RateLimiter } from "../shared/limiter/mod.ts";
import type { MembershipChange, MessageLog } from "../shared/log/mod.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { Snowflake } from "../shared/snowflake.ts";
import type { Store } from "../shared/store/mod.ts";
import type { ServerFrame } from "../shared/types.ts";

/** Options of `createLogic()`. */
export interface LogicOptions {
  store: Store;
  log: MessageLog;
  presence: Presence;
  dedupe: Dedupe;
  limiter: RateLimiter;
  ids: Snowflake;
  limits: Limits;
  auth: { scryptCost: number; tokenTtlMs: number };
  send: { rate: number; burst: number };
  now?: () => number;
  /**
   * Since when the dedupe port holds every key given to it: sends first seen
   * before then are also looked up in the store. Embedded: the process start, or
   * 0 when the store holds no message young enough to be retried. Omitted (a
   * shared dedupe that may have been flushed): the store is always asked too.
   */
  dedupeSince?: number;
}

/** The shared context of logic's parts. */
export interface Context extends Required<Omit<LogicOptions, "dedupeSince">> {
  dedupeSince: number;
  /** Publishes an event to users through the log, so task delivers it in order with messages. */
  emit(
    userIds: readonly string[],
    frame: ServerFrame,
    membership?: MembershipChange,
  ): Promise<void>;
}

/** Builds the context from options. */
export function createContext(options: LogicOptions): Context {
  const context: Context = {
    now: Date.now,
    ...options,
    dedupeSince: options.dedupeSince ?? Infinity,
    async emit(userIds, frame, membership) {
      if (userIds.length === 0) return;
      await options.log.append([{
        type: "event",
        userIds: [...new Set(userIds)],
        frame,
        membership,
      }]);
    },
  };
  return context;
}
