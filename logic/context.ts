/** What every part of logic shares: its ports, limits and helpers that publish events. */
import type { Dedupe } from "../shared/dedupe/mod.ts";
import type { Limits, RateLimit, Rates } from "../shared/config.ts";
import { AppError } from "../shared/errors.ts";
import type { RateLimiter } from "../shared/limiter/mod.ts";
import type { MembershipChange, MessageLog } from "../shared/message_log/mod.ts";
import { rateLimited } from "../shared/metrics.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { ConnectDirectory } from "../shared/rpc/connect.ts";
import type { Snowflake } from "../shared/snowflake.ts";
import type {
  AccountStore,
  AdminStore,
  BlockStore,
  FriendStore,
  GroupStore,
  MediaStore,
  MessageStore,
} from "../shared/store/mod.ts";
import type { ServerFrame } from "../shared/types.ts";
import { DisabledUsers } from "./disabled_users.ts";

/** The store ports logic uses, and the health check of their engine (closing it is the opener's). */
export interface LogicStore {
  accounts: AccountStore;
  blocks: BlockStore;
  friends: FriendStore;
  groups: GroupStore;
  media: MediaStore;
  messages: MessageStore;
  /**
   * The admin tool's port: with it, logic applies the pending admin actions
   * (`logic/admin.ts`) until closed; tests of logic alone leave it out.
   */
  admin?: AdminStore;
  ping(): Promise<void>;
}

/** Options of `createLogic()`. */
export interface LogicOptions {
  store: LogicStore;
  log: MessageLog;
  presence: Presence;
  dedupe: Dedupe;
  limiter: RateLimiter;
  ids: Snowflake;
  limits: Limits;
  auth: { scryptCost: number; tokenTtlMs: number };
  send: { rate: number; burst: number };
  /** Abuse limits; defaults allow anything (tests of logic alone). */
  rates?: Rates;
  /**
   * The connect servers, for what goes to them straight rather than through the log
   * (typing); none by default (tests of logic alone), when typing reaches nobody.
   */
  connects?: ConnectDirectory;
  now?: () => number;
  /** Timers for work logic defers (coalesced read receipts); a fake clock's in tests. */
  timers?: Timers;
}

/** Setting and clearing timers, as the platform does. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The platform's timers; unreferenced, so a deferred receipt never holds a process open. */
const PLATFORM_TIMERS: Timers = {
  setTimeout(callback, ms) {
    const id = setTimeout(callback, ms);
    Deno.unrefTimer(id);
    return id;
  },
  clearTimeout: (id) => clearTimeout(id as number),
};

/** The shared context of logic's parts. */
export interface Context extends Required<LogicOptions> {
  /** Takes a token of a limit; `rate_limited` (with the seconds to wait) when there is none. */
  limit(key: string, limit: RateLimit, what: string): Promise<void>;
  /**
   * Fails `unauthenticated` "This account is disabled" for a user an operator
   * disabled: the check of the writes a socket makes (send, read, typing), whose
   * user connect authenticated when it connected (`disabled_users.ts`).
   */
  refuseDisabled(userId: string): Promise<void>;
  /** Publishes an event to users through the log, so task delivers it in order with messages. */
  emit(
    userIds: readonly string[],
    frame: ServerFrame,
    membership?: MembershipChange,
  ): Promise<void>;
}

/**
 * The name of the limit a limiter key belongs to, for `im_rate_limited_total{limit}`: the keys
 * hold user ids, names and addresses, which must never become label values.
 */
const LIMIT_NAMES: [prefix: string, name: string][] = [
  ["login:addr:", "login_address"],
  ["login:account", "login_username"],
  ["register:addr:", "register_address"],
  ["password:", "password"],
  ["upload:", "upload"],
  ["friend-request:", "friend_request"],
  ["search-messages:", "message_search"],
  ["search:", "user_search"],
  ["read:", "read"],
  ["settings:", "conversation_settings"],
  ["send:", "send"],
];

/** The limit a key belongs to; `other` for a key of no known limit. */
export function limitName(key: string): string {
  return LIMIT_NAMES.find(([prefix]) => key.startsWith(prefix))?.[1] ?? "other";
}

/** No connect server at all. */
const NO_CONNECTS: ConnectDirectory = { connectServers: () => [], connect: () => undefined };

const NONE: RateLimit = { rate: 1e9, burst: 1e9 };
const UNLIMITED: Rates = {
  loginPerUsername: NONE,
  loginPerAddress: NONE,
  registerPerAddress: NONE,
  uploadPerUser: NONE,
  friendRequestPerUser: NONE,
  searchPerUser: NONE,
  readPerUser: NONE,
  messageSearchPerUser: NONE,
};

/** Builds the context from options. */
export function createContext(options: LogicOptions): Context {
  const now = options.now ?? Date.now;
  const disabled = new DisabledUsers((ids) => options.store.accounts.disabledUsers(ids), now);
  const context: Context = {
    now,
    ...options,
    rates: options.rates ?? UNLIMITED,
    timers: options.timers ?? PLATFORM_TIMERS,
    connects: options.connects ?? NO_CONNECTS,
    async limit(key, limit, what) {
      const wait = await options.limiter.take(key, limit);
      if (wait > 0) {
        rateLimited.inc({ limit: limitName(key) });
        throw new AppError("rate_limited", `Too many ${what}; try again later`, {
          retryAfter: Math.ceil(wait / 1000),
        });
      }
    },
    refuseDisabled: (userId) => disabled.refuse(userId),
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
