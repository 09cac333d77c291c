/**
 * Which users an operator disabled, as the WebSocket-driven writes (send, read,
 * typing) see it. Disabling deletes the account's sessions and kicks their
 * sockets, but a kick that never reached a connect server (down for a moment)
 * leaves a socket open, and connect trusts the user id it authenticated then.
 * So logic asks again, cheaply: once per user per {@link DISABLED_TTL_MS} (one
 * lookup by primary key; sends at once share it), remembered for at most
 * {@link DISABLED_MAX_USERS} users, so a disable takes effect within seconds
 * whatever became of its kick.
 */
import { AppError } from "../shared/errors.ts";

/** What a disabled account is told when it signs in, or when its socket writes. */
export const ACCOUNT_DISABLED = "This account is disabled";
/** How long a user's state is taken as known. */
export const DISABLED_TTL_MS = 5000;
/** Most users whose state is remembered (the least recently asked are forgotten first). */
export const DISABLED_MAX_USERS = 50_000;

/** The disabled state of the users of this logic instance, asked at most once per TTL. */
export class DisabledUsers {
  readonly #ask: (ids: readonly string[]) => Promise<Set<string>>;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxUsers: number;
  /** Each user's state and until when it holds, least recently asked first. */
  readonly #known = new Map<string, { disabled: boolean; until: number }>();
  /** Lookups under way, which concurrent callers for the same user share. */
  readonly #asking = new Map<string, Promise<boolean>>();

  constructor(
    ask: (ids: readonly string[]) => Promise<Set<string>>,
    now: () => number,
    { ttlMs = DISABLED_TTL_MS, maxUsers = DISABLED_MAX_USERS } = {},
  ) {
    this.#ask = ask;
    this.#now = now;
    this.#ttlMs = ttlMs;
    this.#maxUsers = maxUsers;
  }

  /** Users whose state is remembered now. */
  get size(): number {
    return this.#known.size;
  }

  /** Whether an operator disabled the user (as of at most the TTL ago). */
  async disabled(userId: string): Promise<boolean> {
    const known = this.#known.get(userId);
    if (known && known.until > this.#now()) return known.disabled;
    let asking = this.#asking.get(userId);
    if (!asking) {
      asking = this.#lookUp(userId);
      this.#asking.set(userId, asking);
    }
    return await asking;
  }

  /** Fails `unauthenticated` "This account is disabled" for a disabled user. */
  async refuse(userId: string): Promise<void> {
    if (await this.disabled(userId)) throw new AppError("unauthenticated", ACCOUNT_DISABLED);
  }

  async #lookUp(userId: string): Promise<boolean> {
    try {
      const disabled = (await this.#ask([userId])).has(userId);
      this.#known.delete(userId);
      this.#known.set(userId, { disabled, until: this.#now() + this.#ttlMs });
      for (const oldest of this.#known.keys()) {
        if (this.#known.size <= this.#maxUsers) break;
        this.#known.delete(oldest);
      }
      return disabled;
    } finally {
      this.#asking.delete(userId);
    }
  }
}
